package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CORS is the cross-origin policy (the Fetch standard's CORS protocol). The venue
// needs only an exact-match allowlist, fixed methods and headers, and preflights
// answered before rate limiting and authentication; that is a few dozen lines, so
// it is written here rather than taken from a library whose wildcard patterns and
// origin callbacks are exactly the features that get misconfigured.
type CORS struct {
	// AllowedOrigins are serialized origins ("https://app.example.com"); "*" allows
	// any origin without credentials. Empty allows no cross-origin access.
	AllowedOrigins   []string
	AllowCredentials bool
	// MaxAge is how long a browser may cache a preflight answer.
	MaxAge time.Duration
}

// Methods and headers a cross-origin caller may use; the signing headers are those
// of signed API key requests.
var (
	corsMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	corsHeaders = []string{"Authorization", "Content-Type", "X-API-Key",
		"X-Octopus-Timestamp", "X-Octopus-Signature"}
	corsExposed = []string{"RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-Id"}
)

var (
	corsMethodList = strings.Join(corsMethods, ", ")
	corsHeaderList = strings.Join(corsHeaders, ", ")
	corsExposeList = strings.Join(corsExposed, ", ")
)

// allowOrigin returns the Access-Control-Allow-Origin value for origin, or "".
func (c *CORS) allowOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowedOrigins {
		if o == origin {
			return origin
		}
		if o == "*" && !c.AllowCredentials {
			return "*"
		}
	}
	return ""
}

// cors grants allowed origins access and answers preflights with 204. A preflight
// from any other origin also gets 204, but without a grant, so the browser stops
// there; it never reaches a handler, the rate limiter or authentication.
func (s *Server) cors(next http.Handler) http.Handler {
	c := &s.opts.Protection.CORS
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Answers differ by Origin, so caches must key on it (Fetch standard, CORS
		// protocol and HTTP caches).
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		allowed := c.allowOrigin(origin)
		preflight := r.Method == http.MethodOptions && origin != "" &&
			r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			s.preflight(w, r, allowed)
			return
		}
		if allowed != "" {
			h.Set("Access-Control-Allow-Origin", allowed)
			h.Set("Access-Control-Expose-Headers", corsExposeList)
			if c.AllowCredentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers an OPTIONS preflight; the grant needs an allowed origin, a
// listed method and only listed headers.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, allowed string) {
	c := &s.opts.Protection.CORS
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	state(r.Context()).route = "OPTIONS (preflight)"
	method := r.Header.Get("Access-Control-Request-Method")
	if allowed == "" || !slices.Contains(corsMethods, method) ||
		!headersAllowed(r.Header.Values("Access-Control-Request-Headers")) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Access-Control-Allow-Origin", allowed)
	h.Set("Access-Control-Allow-Methods", corsMethodList)
	h.Set("Access-Control-Allow-Headers", corsHeaderList)
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge/time.Second)))
	}
	w.WriteHeader(http.StatusNoContent)
}

// headersAllowed reports whether every requested header is on the list; header
// names compare case-insensitively.
func headersAllowed(lines []string) bool {
	for _, line := range lines {
		for _, name := range strings.Split(line, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !slices.ContainsFunc(corsHeaders, func(h string) bool {
				return strings.EqualFold(h, name)
			}) {
				return false
			}
		}
	}
	return true
}
