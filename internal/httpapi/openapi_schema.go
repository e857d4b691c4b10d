package httpapi

import (
	"reflect"
	"strings"
	"time"
)

// bodies names the request and success response types of each route, so the
// OpenAPI document describes real shapes. A route missing here still appears in the
// document, with a generic body.
var bodies = map[string]struct {
	status   string
	req      any
	resp     any
	listResp bool
}{
	"POST /api/v1/auth/login":                           {"200", loginRequest{}, tokenResponse{}, false},
	"POST /api/v1/auth/refresh":                         {"200", refreshRequest{}, tokenResponse{}, false},
	"POST /api/v1/auth/register":                        {"201", registerRequest{}, userResponse{}, false},
	"POST /api/v1/auth/logout":                          {"204", nil, nil, false},
	"GET /api/v1/me":                                    {"200", nil, userResponse{}, false},
	"POST /api/v1/me/password":                          {"200", passwordRequest{}, tokenResponse{}, false},
	"POST /api/v1/me/mfa/totp":                          {"200", nil, enrollResponse{}, false},
	"POST /api/v1/me/mfa/totp/confirm":                  {"200", confirmRequest{}, confirmResponse{}, false},
	"GET /api/v1/symbols":                               {"200", nil, symbolResponse{}, true},
	"POST /api/v1/admin/symbols":                        {"201", symbolRequest{}, symbolResponse{}, false},
	"PATCH /api/v1/admin/symbols/{symbol}":              {"200", symbolPatch{}, symbolResponse{}, false},
	"POST /api/v1/admin/users":                          {"201", createUserRequest{}, userResponse{}, false},
	"GET /api/v1/admin/users":                           {"200", nil, userResponse{}, true},
	"PATCH /api/v1/admin/users/{id}":                    {"200", userPatch{}, userResponse{}, false},
	"POST /api/v1/admin/accounts/{user_id}/deposits":    {"201", fundsRequest{}, fundsResponse{}, false},
	"POST /api/v1/admin/accounts/{user_id}/withdrawals": {"201", fundsRequest{}, fundsResponse{}, false},
	"GET /api/v1/admin/security-events":                 {"200", nil, securityEventResponse{}, true},
	"GET /api/v1/account":                               {"200", nil, accountResponse{}, false},
	"GET /api/v1/account/ledger":                        {"200", nil, ledgerResponse{}, true},
	"GET /api/v1/account/trades":                        {"200", nil, tradeResponse{}, true},
	"POST /api/v1/orders":                               {"201", orderRequest{}, orderResponse{}, false},
	"GET /api/v1/orders":                                {"200", nil, orderResponse{}, true},
	"GET /api/v1/orders/{id}":                           {"200", nil, orderResponse{}, false},
	"DELETE /api/v1/orders/{id}":                        {"200", nil, orderResponse{}, false},
	"GET /api/v1/markets/{symbol}/book":                 {"200", nil, bookResponse{}, false},
	"GET /api/v1/markets/{symbol}/trades":               {"200", nil, tradeResponse{}, true},
	"GET /api/v1/markets/{symbol}/bars":                 {"200", nil, barResponse{}, true},
	"POST /api/v1/api-keys":                             {"201", apiKeyRequest{}, apiKeyResponse{}, false},
	"GET /api/v1/api-keys":                              {"200", nil, apiKeyResponse{}, true},
	"DELETE /api/v1/api-keys/{id}":                      {"204", nil, nil, false},
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf describes a Go type as an OpenAPI schema through its json tags.
func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		s := schemaOf(t.Elem())
		s["nullable"] = true
		return s
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type)
		}
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	return map[string]any{}
}

func listSchema(item any) map[string]any {
	return map[string]any{"type": "object", "properties": map[string]any{
		"items":       map[string]any{"type": "array", "items": schemaOf(reflect.TypeOf(item))},
		"next_cursor": map[string]any{"type": "string", "nullable": true},
	}}
}

// describeBodies fills op's request body and success response from the bodies table.
func describeBodies(rt Route, op map[string]any) {
	b, ok := bodies[rt.Pattern()]
	if !ok {
		return
	}
	if b.req != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(b.req))}}}
	} else {
		delete(op, "requestBody")
	}
	resp := op["responses"].(map[string]any)
	delete(resp, "200")
	ok200 := map[string]any{"description": "success"}
	switch {
	case b.listResp:
		ok200["content"] = map[string]any{"application/json": map[string]any{"schema": listSchema(b.resp)}}
	case b.resp != nil:
		ok200["content"] = map[string]any{"application/json": map[string]any{
			"schema": schemaOf(reflect.TypeOf(b.resp))}}
	}
	resp[b.status] = ok200
}
