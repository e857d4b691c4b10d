package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Unmatched is the route label of requests no route pattern matched (404, 405).
const Unmatched = "unmatched"

// otherMethod labels methods outside the standard set: the method is client input
// and must not be able to mint new series.
const otherMethod = "OTHER"

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
	http.MethodOptions: true, http.MethodConnect: true, http.MethodTrace: true,
}

// ObserveRequest counts an answered request and observes its latency. route is the
// matched ServeMux pattern, never the raw path, so the number of series stays
// bounded by the route table; a leading "METHOD " is dropped since the method has
// its own label, and an empty route is labelled Unmatched.
func (m *Metrics) ObserveRequest(route, method string, status int, latency time.Duration) {
	method = methodLabel(method)
	route = routeLabel(route)

	m.requests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.requestDuration.WithLabelValues(route, method).Observe(latency.Seconds())
}

// statusLabels spares an allocation per request for the usual codes.
var statusLabels = func() (l [600]string) {
	for code := range l {
		l[code] = strconv.Itoa(code)
	}
	return l
}()

func statusLabel(code int) string {
	if code >= 0 && code < len(statusLabels) {
		return statusLabels[code]
	}
	return strconv.Itoa(code)
}

func methodLabel(method string) string {
	if knownMethods[method] {
		return method
	}
	return otherMethod
}

func routeLabel(route string) string {
	// Patterns are "GET /api/v1/orders/{id}"; a pattern without a method has a
	// path starting with "/" (or a host) and no space before it.
	if i := strings.IndexByte(route, ' '); i >= 0 {
		route = strings.TrimSpace(route[i+1:])
	}
	if route == "" {
		return Unmatched
	}
	return route
}

// Handler serves the registry in the Prometheus exposition format. With a non-empty
// token every scrape must carry "Authorization: Bearer <token>" (RFC 6750 §2.1) or
// gets 401; the comparison takes the same time whatever the guess.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}

	// Comparing digests keeps the time independent of the token's length too.
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(bearer(r.Header.Get("Authorization"))))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// bearer returns the credentials of a Bearer authorization header, or "". The
// scheme is case-insensitive (RFC 9110 §11.1).
func bearer(header string) string {
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(cred)
}
