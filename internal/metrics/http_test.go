package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/octopus-venue/octopus/internal/metrics"
)

func TestHandlerToken(t *testing.T) {
	const token = "s3cr3t-scrape-token"
	tests := []struct {
		name   string
		token  string
		header string
		want   int
	}{
		{name: "no token configured, no header", token: "", header: "", want: http.StatusOK},
		{name: "missing header", token: token, header: "", want: http.StatusUnauthorized},
		{name: "right token", token: token, header: "Bearer " + token, want: http.StatusOK},
		{name: "scheme is case-insensitive", token: token, header: "bearer " + token,
			want: http.StatusOK},
		{name: "wrong token", token: token, header: "Bearer nope", want: http.StatusUnauthorized},
		{name: "prefix of the token", token: token, header: "Bearer s3cr3t",
			want: http.StatusUnauthorized},
		{name: "token with a suffix", token: token, header: "Bearer " + token + "x",
			want: http.StatusUnauthorized},
		{name: "other scheme", token: token, header: "Basic " + token,
			want: http.StatusUnauthorized},
		{name: "bare token", token: token, header: token, want: http.StatusUnauthorized},
		{name: "empty bearer", token: token, header: "Bearer ", want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := metrics.New(prometheus.NewRegistry())
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			m.FailedLogin()

			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			m.Handler(tt.token).ServeHTTP(rec, req)

			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			body, _ := io.ReadAll(rec.Body)
			served := strings.Contains(string(body), "failed_login_total 1\n")
			if served != (tt.want == http.StatusOK) {
				t.Errorf("metrics served = %v with status %d:\n%.300s", served, rec.Code, body)
			}
			if strings.Contains(string(body), token) {
				t.Error("response echoes the token")
			}
			if tt.want == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// TestHandlerShowsCountersMoving scrapes a real server before and after traffic.
func TestHandlerShowsCountersMoving(t *testing.T) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(m.Handler("tok"))
	defer srv.Close()

	scrape := func() string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	before := scrape()
	m.ObserveRequest("POST /api/v1/auth/login", "POST", 401, 0)
	m.FailedLogin()
	m.Batch("BTC-USD", 5, 3, 0, 0, nil)
	after := scrape()

	for _, line := range []string{
		`http_requests_total{method="POST",route="/api/v1/auth/login",status="401"} 1`,
		"failed_login_total 1",
		`orders_total{symbol="BTC-USD"} 5`,
		`trades_total{symbol="BTC-USD"} 3`,
	} {
		if strings.Contains(before, line+"\n") {
			t.Errorf("before traffic, scrape already has %q", line)
		}
		if !strings.Contains(after, line+"\n") {
			t.Errorf("after traffic, scrape lacks %q", line)
		}
	}
	for _, prefix := range []string{"go_goroutines ", "process_cpu_seconds_total "} {
		if !strings.Contains(after, "\n"+prefix) {
			t.Errorf("scrape lacks runtime metric %q", prefix)
		}
	}
}
