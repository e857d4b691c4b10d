package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/rbac"
)

// TestEveryRouteHasAPermission walks the router's table: a route without an access
// rule would be reachable by anyone.
func TestEveryRouteHasAPermission(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	public := map[string]bool{
		"GET /healthz": true, "GET /readyz": true, "GET /api/v1/openapi.json": true,
		"POST /api/v1/auth/login": true, "POST /api/v1/auth/refresh": true,
		"POST /api/v1/auth/register": true,
	}
	for _, rt := range v.App.API.Routes() {
		switch rt.Access {
		case httpapi.Public:
			if !public[rt.Pattern()] {
				t.Errorf("%s is public but not on the list of public routes", rt.Pattern())
			}
		case httpapi.Session:
		default:
			if !rbac.ValidPermission(rbac.Permission(rt.Access)) {
				t.Errorf("%s requires unknown permission %q", rt.Pattern(), rt.Access)
			}
		}
	}
}

// TestOpenAPICoversEveryRoute fails when a registered route is missing from the
// document served at /api/v1/openapi.json.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	doc := v.Must(v.Do("GET", "/api/v1/openapi.json", "", nil), 200).JSON()
	paths := doc["paths"].(map[string]any)
	for _, rt := range v.App.API.Routes() {
		ops, ok := paths[rt.Path].(map[string]any)
		if !ok || ops[strings.ToLower(rt.Method)] == nil {
			t.Errorf("%s missing from the OpenAPI document", rt.Pattern())
		}
	}
	post := paths["/api/v1/orders"].(map[string]any)["post"].(map[string]any)
	schema := post["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	for _, field := range []string{"symbol", "side", "type", "price", "quantity", "time_in_force",
		"client_order_id", "self_trade_prevention"} {
		if _, ok := schema["properties"].(map[string]any)[field]; !ok {
			t.Errorf("order request schema lacks %s", field)
		}
	}
	if _, ok := post["responses"].(map[string]any)["201"]; !ok {
		t.Errorf("order creation documents no 201")
	}
	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi version = %v", doc["openapi"])
	}
}

func TestAuthorization(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	_, trader := v.Trader(admin, "tina")
	v.CreateUserDirect("viewer", rbac.User, "Lookout-pass-long-77!")
	user := v.Login("viewer", "Lookout-pass-long-77!")
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		code   string
	}{
		{"no token", "GET", "/api/v1/me", "", nil, 401, "unauthorized"},
		{"garbage token", "GET", "/api/v1/me", "abc.def.ghi", nil, 401, "invalid_token"},
		{"user reads", "GET", "/api/v1/me", user, nil, 200, ""},
		{"user cannot trade", "POST", "/api/v1/orders", user,
			map[string]string{"symbol": "X", "side": "buy", "type": "limit", "price": "1", "quantity": "1"},
			403, "forbidden"},
		{"trader cannot admin", "GET", "/api/v1/admin/users", trader, nil, 403, "forbidden"},
		{"trader cannot raise a role", "PATCH", "/api/v1/admin/users/2", trader,
			map[string]string{"role": "admin"}, 403, "forbidden"},
		{"admin lists users", "GET", "/api/v1/admin/users", admin, nil, 200, ""},
		{"admin cannot trade", "POST", "/api/v1/orders", admin,
			map[string]string{"symbol": "X", "side": "buy", "type": "limit", "price": "1", "quantity": "1"},
			403, "forbidden"},
		{"unknown path", "GET", "/api/v1/nope", admin, nil, 404, "not_found"},
		{"wrong method", "PUT", "/api/v1/orders", admin, nil, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Do(tt.method, tt.path, tt.token, tt.body)
			if r.Status != tt.status || (tt.code != "" && r.ErrorCode() != tt.code) {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
			}
			for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options",
				"Content-Security-Policy", "Referrer-Policy"} {
				if r.Header.Get(h) == "" {
					t.Errorf("missing %s", h)
				}
			}
		})
	}
	r := v.Must(v.Do("GET", "/api/v1/admin/security-events?type=privilege_escalation", admin, nil), 200)
	if n := len(r.JSON()["items"].([]any)); n < 2 {
		t.Errorf("privilege escalation events = %d, want at least 2", n)
	}
}

func TestStrictInput(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{"MAX_BODY_BYTES": "4096"}})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	uid, trader := v.Trader(admin, "tom")
	v.Deposit(admin, uid, "USD", "1000")
	order := func(price, qty string) map[string]string {
		return map[string]string{"symbol": "AAPL", "side": "buy", "type": "limit", "price": price,
			"quantity": qty}
	}
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"unknown field", `{"symbol":"AAPL","side":"buy","type":"limit","price":"1","quantity":"1","x":1}`,
			400, "unknown_field"},
		{"trailing data", `{"symbol":"AAPL"} {}`, 400, "invalid_json"},
		{"wrong type", `{"symbol":"AAPL","side":"buy","type":"limit","price":1,"quantity":"1"}`,
			400, "invalid_field"},
		{"not an object", `[1,2]`, 400, "invalid_json"},
		{"malformed", `{"symbol":`, 400, "invalid_json"},
		{"too deep", strings.Repeat("[", 100), 400, "too_deep"},
		{"too large", `{"symbol":"` + strings.Repeat("A", 5000) + `"}`, 413, "body_too_large"},
		{"off tick", order("150.001", "1"), 400, "invalid_field"},
		{"off lot", order("150", "1.5"), 400, "invalid_field"},
		{"zero quantity", order("150", "0"), 400, "invalid_field"},
		{"negative price", order("-1", "1"), 400, "invalid_field"},
		{"too many decimals", order("1.000000001", "1"), 400, "invalid_field"},
		{"overflow", order("90000000000", "90000000000"), 400, "invalid_field"},
		{"insufficient funds", order("150", "100"), 400, "insufficient_funds"},
		{"unknown symbol", map[string]string{"symbol": "ZZZ", "side": "buy", "type": "limit",
			"price": "1", "quantity": "1"}, 400, "invalid_field"},
		{"bad side", map[string]string{"symbol": "AAPL", "side": "up", "type": "limit",
			"price": "1", "quantity": "1"}, 400, "invalid_field"},
		{"market with GTC", map[string]string{"symbol": "AAPL", "side": "buy", "type": "market",
			"quantity": "1", "time_in_force": "GTC"}, 400, "invalid_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Do("POST", "/api/v1/orders", trader, tt.body)
			if r.Status != tt.status || r.ErrorCode() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
			}
			if strings.Contains(string(r.Body), "sql") || strings.Contains(string(r.Body), "goroutine") {
				t.Fatalf("error leaks internals: %s", r.Body)
			}
		})
	}
	b := balances(t, v, trader)["USD"]
	if b.Reserved != "0" || b.Total != "1000" {
		t.Fatalf("bad input changed the account: %+v", b)
	}
	r := v.DoHeaders("POST", "/api/v1/orders", order("1", "1"), map[string]string{
		"Authorization": "Bearer " + trader, "Content-Type": "text/plain"})
	if r.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain accepted: %d", r.Status)
	}
}

func TestAmbiguousInputIsRefused(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	_, trader := v.Trader(admin, "ann")
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"duplicate key", `{"symbol":"AAPL","symbol":"MSFT","side":"buy","type":"limit","price":"1","quantity":"1"}`,
			400, "invalid_field"},
		{"key in another case", `{"SYMBOL":"AAPL","side":"buy","type":"limit","price":"1","quantity":"1"}`,
			400, "unknown_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Do("POST", "/api/v1/orders", trader, tt.body)
			if r.Status != tt.status || r.ErrorCode() != tt.code {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
	if r := v.Do("GET", "/api/v1/orders/+1", trader, nil); r.Status != 404 {
		t.Fatalf("/orders/+1 = %d", r.Status)
	}
	req, _ := http.NewRequest("GET", v.URL+"/api/v1/me", nil)
	req.Header.Add("Authorization", "Bearer "+trader)
	req.Header.Add("Authorization", "Bearer garbage")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("two Authorization headers = %d", resp.StatusCode)
	}
}
