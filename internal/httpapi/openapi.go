package httpapi

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openapiDoc builds the OpenAPI 3 document from the route table itself, so the
// document cannot forget a route.
func (s *Server) openapiDoc() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		ops, ok := paths[rt.Path]
		if !ok {
			ops = map[string]any{}
			paths[rt.Path] = ops
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"responses":   responses(rt),
		}
		if rt.Access == Public {
			op["security"] = []any{}
		} else {
			op["x-required-permission"] = string(rt.Access)
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{
				"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"},
			})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Method == http.MethodPost || rt.Method == http.MethodPatch {
			op["requestBody"] = map[string]any{
				"required": true,
				"content": map[string]any{"application/json": map[string]any{
					"schema": map[string]any{"type": "object", "additionalProperties": false},
				}},
			}
		}
		describeBodies(rt, op)
		ops[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Octopus API",
			"version":     "1.0.0",
			"description": "Trading venue API. Amounts, prices and quantities are decimal strings.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
			"schemas": map[string]any{
				"Error": map[string]any{"type": "object", "properties": map[string]any{
					"error": map[string]any{"type": "object", "properties": map[string]any{
						"code":    map[string]any{"type": "string"},
						"message": map[string]any{"type": "string"},
					}},
				}},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKey": []any{}}},
	}
}

func operationID(rt Route) string {
	p := pathParam.ReplaceAllString(rt.Path, "by_$1")
	p = strings.NewReplacer("/api/v1/", "", "/", "_", ".", "_", "-", "_").Replace(p)
	return strings.ToLower(rt.Method) + "_" + strings.Trim(p, "_")
}

func responses(rt Route) map[string]any {
	errRef := map[string]any{"description": "error", "content": map[string]any{
		"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}},
	}}
	out := map[string]any{"200": map[string]any{"description": "success"}, "400": errRef}
	if rt.Access != Public {
		out["401"], out["403"] = errRef, errRef
	}
	return out
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openapiDoc())
}
