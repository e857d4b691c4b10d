package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// defaultHSTS is one year with subdomains (RFC 6797 section 6.1).
const defaultHSTS = "max-age=31536000; includeSubDomains"

func (s *Server) hstsValue() string {
	if v := s.opts.Protection.HSTS; v != "" {
		return v
	}
	return defaultHSTS
}

// sendHSTS reports whether the answer to r carries Strict-Transport-Security.
// Browsers ignore it over plain HTTP (RFC 6797 section 8.1), so sending it there
// in production does no harm and covers a proxy that forgets X-Forwarded-Proto.
func (s *Server) sendHSTS(r *http.Request) bool {
	return s.opts.TLS || s.opts.Production || s.secure(r)
}

// secure reports whether r reached the venue over HTTPS: on a TLS connection, or,
// when TLS ends at a proxy in front, with X-Forwarded-Proto: https written by a
// trusted proxy. A client's own X-Forwarded-Proto counts for nothing, and every
// value in the header must say https, so an appended "http" is not outvoted.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !s.opts.Protection.TrustForwardedProto {
		return false
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !s.ClientIP.Trusted(peer.Addr()) {
		return false
	}
	values := r.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 {
		return false
	}
	for _, line := range values {
		for _, v := range strings.Split(line, ",") {
			if !strings.EqualFold(strings.TrimSpace(v), "https") {
				return false
			}
		}
	}
	return true
}

// probe reports whether r is a health probe, which orchestrators send in plain
// HTTP from inside the deployment; probes carry no data worth protecting.
func probe(r *http.Request) bool {
	return r.Method == http.MethodGet && (r.URL.Path == "/healthz" || r.URL.Path == "/readyz")
}

// redirectHTTPS sends plain HTTP requests to HTTPS when ForceHTTPS is on.
func (s *Server) redirectHTTPS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.Protection.ForceHTTPS || s.secure(r) || probe(r) {
			next.ServeHTTP(w, r)
			return
		}
		s.toHTTPS(w, r, s.opts.Protection.HTTPSPort)
	})
}

// Redirector is the handler of the plain HTTP listener beside a TLS one: every
// request is redirected to HTTPS on httpsPort, nothing is served.
func (s *Server) Redirector(httpsPort int) http.Handler {
	return s.observe(s.recoverPanics(s.securityHeaders(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { s.toHTTPS(w, r, httpsPort) }))))
}

// toHTTPS redirects to the same host and path over HTTPS: 301 for GET and HEAD,
// 308 otherwise, so that a client repeats the method and body (RFC 9110 section
// 15.4.9). The host comes from the request, whose Host header net/http has
// already checked for forbidden characters; a request without one is refused.
func (s *Server) toHTTPS(w http.ResponseWriter, r *http.Request, port int) {
	state(r.Context()).route = "redirect to https"
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" || strings.ContainsAny(host, "/\\@?#") {
		s.writeError(w, r, errHTTPSRequired)
		return
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != 0 && port != 443 {
		host += ":" + strconv.Itoa(port)
	}
	code := http.StatusPermanentRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusMovedPermanently
	}
	w.Header().Set("Location", "https://"+host+r.URL.RequestURI())
	w.WriteHeader(code)
}

// setCookie sets c with the venue's cookie rules: HttpOnly, SameSite=Strict, path
// /, and Secure when SECURE_COOKIES is on. The API itself sets no cookie today;
// anything that does must go through here.
func (s *Server) setCookie(w http.ResponseWriter, c *http.Cookie) {
	c.HttpOnly = true
	c.SameSite = http.SameSiteStrictMode
	c.Secure = c.Secure || s.opts.Protection.SecureCookies
	if c.Path == "" {
		c.Path = "/"
	}
	http.SetCookie(w, c)
}
