package app_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

func scrape(t *testing.T, v *apptest.Venue, metric string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + v.App.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(metric) + ` ([0-9.e+]+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return 0
	}
	f, _ := strconv.ParseFloat(string(m[1]), 64)
	return f
}

// TestMetricsMove checks that /metrics, on its own listener, shows the counters of
// what just happened.
func TestMetricsMove(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	before := scrape(t, v, "failed_login_total")
	for range 3 {
		v.Must(v.Do("POST", "/api/v1/auth/login", "", map[string]string{
			"username": "admin", "password": "wrong-password-123"}), 401)
	}
	if got := scrape(t, v, "failed_login_total"); got != before+3 {
		t.Fatalf("failed_login_total = %v, want %v", got, before+3)
	}
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	id, trader := v.Trader(admin, "mia")
	v.Deposit(admin, id, "USD", "1000")
	v.Must(v.Do("POST", "/api/v1/orders", trader, map[string]string{"symbol": "AAPL", "side": "buy",
		"type": "limit", "price": "10", "quantity": "1"}), 201)
	if got := scrape(t, v, `orders_total{symbol="AAPL"}`); got != 1 {
		t.Fatalf("orders_total = %v", got)
	}
	if got := scrape(t, v, `http_requests_total{method="POST",route="/api/v1/orders",status="201"}`); got != 1 {
		t.Fatalf("http_requests_total for orders = %v", got)
	}
}
