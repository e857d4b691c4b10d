package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/clientip"
)

// Protection defaults, named so the README and the code cannot drift apart.
const (
	DefaultRateLimitPerMinute          = 100
	DefaultRateLimitBurst              = 20
	DefaultPrincipalRateLimitPerMinute = 300
	DefaultLoginRateLimitPerMinute     = 10
	DefaultRateLimitRedisPrefix        = "octopus:"
	DefaultRateLimitTimeout            = 500 * time.Millisecond
	DefaultAbuseThreshold              = 20
	DefaultAbuseWindow                 = 5 * time.Minute
	DefaultIPBlockDuration             = 15 * time.Minute
	DefaultIPBlockMaxDuration          = 24 * time.Hour
	DefaultIPBlockMemory               = 7 * 24 * time.Hour
	// MinHSTSMaxAge is one year, the least the HSTS preload list accepts and the
	// specification's production value.
	MinHSTSMaxAge     = 31536000
	DefaultCORSMaxAge = 10 * time.Minute
	maxRatePerMinute  = 1_000_000
)

// Rate limit rule names, as they appear in RATE_LIMIT_SHADOW_RULES, in the
// RateLimit-Policy header and in metrics.
const (
	RuleIP        = "ip"
	RulePrincipal = "principal"
	RuleLogin     = "login"
)

// Protection is the configuration of everything in front of authentication: client
// address resolution, rate limits and IP blocks, TLS, HTTPS redirects, HSTS, cookies
// and CORS.
type Protection struct {
	// TrustedProxies may set X-Forwarded-For, Forwarded and X-Forwarded-Proto.
	TrustedProxies []netip.Prefix

	RateLimitEnabled            bool
	RateLimitPerMinute          int
	RateLimitBurst              int
	PrincipalRateLimitPerMinute int
	LoginRateLimitPerMinute     int
	// RateLimitShadow measures every rule without enforcing any; RateLimitShadowRules
	// does the same for the named rules only.
	RateLimitShadow      bool
	RateLimitShadowRules []string
	// RateLimitFailOpen lets requests through when Redis cannot be asked.
	RateLimitFailOpen    bool
	RateLimitRedisPrefix string
	// RateLimitTimeout bounds each limiter or block list call.
	RateLimitTimeout time.Duration

	// AbuseThreshold refusals within AbuseWindow block the client address for
	// IPBlockDuration, doubled per repeat offense remembered for IPBlockMemory, at
	// most IPBlockMaxDuration.
	AbuseThreshold     int
	AbuseWindow        time.Duration
	IPBlockDuration    time.Duration
	IPBlockMaxDuration time.Duration
	IPBlockMemory      time.Duration

	TLSCertFile string
	TLSKeyFile  string
	// TLSTerminatedByProxy says a trusted proxy in front terminates TLS, so the
	// server itself listens in plain HTTP and believes its X-Forwarded-Proto.
	TLSTerminatedByProxy bool
	ForceHTTPS           bool
	// HTTPRedirectAddr, with TLS configured, is a plain HTTP listener that only
	// redirects to HTTPS.
	HTTPRedirectAddr string
	// HTTPSPort is the port redirects point at; 0 derives it from HTTP_ADDR when the
	// server terminates TLS and means 443 otherwise.
	HTTPSPort             int
	HSTSMaxAge            int
	HSTSIncludeSubdomains bool
	SecureCookies         bool

	CORSAllowedOrigins   []string
	CORSAllowCredentials bool
	CORSMaxAge           time.Duration
}

// TLSEnabled reports whether the server terminates TLS itself.
func (p Protection) TLSEnabled() bool { return p.TLSCertFile != "" || p.TLSKeyFile != "" }

// ShadowRule reports whether the named rate limit rule runs in shadow mode.
func (p Protection) ShadowRule(name string) bool {
	if p.RateLimitShadow {
		return true
	}
	for _, r := range p.RateLimitShadowRules {
		if r == name {
			return true
		}
	}
	return false
}

// loadProtection reads and checks the protection settings; in production every
// failed hardening check is a problem, so serve refuses to start.
func (c *Config) loadProtection(r *reader) {
	prod := c.IsProduction()
	p := &c.Protection
	p.TrustedProxies = r.prefixes("TRUSTED_PROXIES")

	p.RateLimitEnabled = r.boolean("RATE_LIMIT_ENABLED", c.Environment != Test)
	p.RateLimitPerMinute = r.integer("RATE_LIMIT_PER_MINUTE", DefaultRateLimitPerMinute)
	p.RateLimitBurst = r.integer("RATE_LIMIT_BURST", DefaultRateLimitBurst)
	p.PrincipalRateLimitPerMinute = r.integer("RATE_LIMIT_PRINCIPAL_PER_MINUTE",
		DefaultPrincipalRateLimitPerMinute)
	p.LoginRateLimitPerMinute = r.integer("LOGIN_RATE_LIMIT_PER_MINUTE",
		DefaultLoginRateLimitPerMinute)
	p.RateLimitShadow = r.boolean("RATE_LIMIT_SHADOW", false)
	p.RateLimitShadowRules = r.list("RATE_LIMIT_SHADOW_RULES", nil)
	p.RateLimitFailOpen = r.boolean("RATE_LIMIT_FAIL_OPEN", !prod)
	p.RateLimitRedisPrefix = r.str("RATE_LIMIT_REDIS_PREFIX", DefaultRateLimitRedisPrefix)
	p.RateLimitTimeout = r.duration("RATE_LIMIT_TIMEOUT", DefaultRateLimitTimeout)

	p.AbuseThreshold = r.integer("ABUSE_THRESHOLD", DefaultAbuseThreshold)
	p.AbuseWindow = r.duration("ABUSE_WINDOW", DefaultAbuseWindow)
	p.IPBlockDuration = r.duration("IP_BLOCK_DURATION", DefaultIPBlockDuration)
	p.IPBlockMaxDuration = r.duration("IP_BLOCK_MAX_DURATION", DefaultIPBlockMaxDuration)
	p.IPBlockMemory = r.duration("IP_BLOCK_MEMORY", DefaultIPBlockMemory)

	p.TLSCertFile = r.str("TLS_CERT_FILE", "")
	p.TLSKeyFile = r.str("TLS_KEY_FILE", "")
	p.TLSTerminatedByProxy = r.boolean("TLS_TERMINATED_BY_PROXY", false)
	p.ForceHTTPS = r.boolean("FORCE_HTTPS", prod)
	p.HTTPRedirectAddr = r.str("HTTP_REDIRECT_ADDR", "")
	p.HTTPSPort = r.integer("HTTPS_PORT", 0)
	p.HSTSMaxAge = r.integer("HSTS_MAX_AGE", MinHSTSMaxAge)
	p.HSTSIncludeSubdomains = r.boolean("HSTS_INCLUDE_SUBDOMAINS", true)
	p.SecureCookies = r.boolean("SECURE_COOKIES", prod)

	p.CORSAllowedOrigins = r.list("CORS_ALLOWED_ORIGINS", nil)
	p.CORSAllowCredentials = r.boolean("CORS_ALLOW_CREDENTIALS", false)
	p.CORSMaxAge = r.duration("CORS_MAX_AGE", DefaultCORSMaxAge)

	c.checkProtection(r)
	if prod {
		for _, ch := range c.protectionChecks() {
			if ch.Status == Fail && !slices.Contains(r.problems, ch.Detail) {
				r.fail("%s", ch.Detail)
			}
		}
	}
}

// checkProtection reports settings that are wrong in any environment.
func (c *Config) checkProtection(r *reader) {
	p := &c.Protection
	for _, l := range []struct {
		name string
		v    int
	}{
		{"RATE_LIMIT_PER_MINUTE", p.RateLimitPerMinute},
		{"RATE_LIMIT_PRINCIPAL_PER_MINUTE", p.PrincipalRateLimitPerMinute},
		{"LOGIN_RATE_LIMIT_PER_MINUTE", p.LoginRateLimitPerMinute},
	} {
		if l.v < 1 || l.v > maxRatePerMinute {
			r.fail("%s must be between 1 and %d", l.name, maxRatePerMinute)
		}
	}
	if p.RateLimitBurst < 0 || p.RateLimitBurst > maxRatePerMinute {
		r.fail("RATE_LIMIT_BURST must be between 0 and %d", maxRatePerMinute)
	}
	for _, name := range p.RateLimitShadowRules {
		if name != RuleIP && name != RulePrincipal && name != RuleLogin {
			r.fail("RATE_LIMIT_SHADOW_RULES: unknown rule %q (rules: ip, principal, login)", name)
		}
	}
	if !validPrefix(p.RateLimitRedisPrefix) {
		r.fail("RATE_LIMIT_REDIS_PREFIX must be 1 to 64 of [A-Za-z0-9:._-]")
	}
	if p.RateLimitTimeout < time.Millisecond || p.RateLimitTimeout > 10*time.Second {
		r.fail("RATE_LIMIT_TIMEOUT must be between 1ms and 10s")
	}
	c.checkAbuse(r)
	c.checkTLS(r)
	if p.HSTSMaxAge < 0 {
		r.fail("HSTS_MAX_AGE must not be negative")
	}
	c.checkCORS(r)
}

func (c *Config) checkAbuse(r *reader) {
	p := &c.Protection
	if p.AbuseThreshold < 1 || p.AbuseThreshold > 10000 {
		r.fail("ABUSE_THRESHOLD must be between 1 and 10000")
	}
	if p.AbuseWindow < time.Second {
		r.fail("ABUSE_WINDOW must be at least 1s")
	}
	if p.IPBlockDuration < time.Second {
		r.fail("IP_BLOCK_DURATION must be at least 1s")
	}
	if p.IPBlockMaxDuration < p.IPBlockDuration {
		r.fail("IP_BLOCK_MAX_DURATION must not be shorter than IP_BLOCK_DURATION")
	}
	if p.IPBlockMemory < time.Second {
		r.fail("IP_BLOCK_MEMORY must be at least 1s")
	}
}

func (c *Config) checkTLS(r *reader) {
	p := &c.Protection
	switch {
	case (p.TLSCertFile == "") != (p.TLSKeyFile == ""):
		r.fail("TLS_CERT_FILE and TLS_KEY_FILE must be set together")
	case p.TLSEnabled():
		if err := loadKeyPair(p.TLSCertFile, p.TLSKeyFile); err != nil {
			r.fail("TLS_CERT_FILE/TLS_KEY_FILE: %v", err)
		}
	}
	if p.HTTPRedirectAddr != "" && !p.TLSEnabled() {
		r.fail("HTTP_REDIRECT_ADDR needs TLS_CERT_FILE and TLS_KEY_FILE")
	}
	if p.HTTPRedirectAddr != "" {
		if _, _, err := net.SplitHostPort(p.HTTPRedirectAddr); err != nil {
			r.fail("HTTP_REDIRECT_ADDR must be host:port, not %q", p.HTTPRedirectAddr)
		}
	}
	if p.HTTPSPort < 0 || p.HTTPSPort > 65535 {
		r.fail("HTTPS_PORT must be between 1 and 65535")
	}
	if p.TLSTerminatedByProxy && len(p.TrustedProxies) == 0 {
		r.fail("TLS_TERMINATED_BY_PROXY needs TRUSTED_PROXIES: only a trusted proxy's " +
			"X-Forwarded-Proto is believed")
	}
}

// loadKeyPair checks that the certificate and key files parse and match. The error
// names no key material.
func loadKeyPair(certFile, keyFile string) error {
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("cannot read %s: %w", pe.Path, pe.Err)
		}
		return errors.New("the certificate and key do not load as a matching PEM pair")
	}
	return nil
}

// checkCORS refuses origins that are not scheme://host[:port] and the wildcard
// together with credentials, which browsers reject and which would otherwise invite
// echoing any origin back.
func (c *Config) checkCORS(r *reader) {
	p := &c.Protection
	for _, o := range p.CORSAllowedOrigins {
		if o == "*" {
			if p.CORSAllowCredentials {
				r.fail("CORS_ALLOWED_ORIGINS must not contain * when CORS_ALLOW_CREDENTIALS is " +
					"true: list the origins")
			}
			continue
		}
		if !validOrigin(o) {
			r.fail("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://app.example.com", o)
		}
	}
	if p.CORSMaxAge < 0 || p.CORSMaxAge > 24*time.Hour {
		r.fail("CORS_MAX_AGE must be between 0s and 24h")
	}
}

// validOrigin reports whether o is a serialized origin (RFC 6454 section 6.2):
// scheme, host and optional port, nothing else, lower case.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return false
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" ||
		strings.Contains(u.Host, "*") {
		return false
	}
	return o == strings.ToLower(o) && u.Scheme+"://"+u.Host == o
}

// validPrefix reports whether s can start Redis keys safely.
func validPrefix(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == ':' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// prefixes reads a comma-separated list of CIDR prefixes or addresses.
func (r *reader) prefixes(name string) []netip.Prefix {
	v, ok := r.lookup(name)
	if !ok {
		return nil
	}
	p, err := clientip.ParsePrefixes(v)
	if err != nil {
		r.fail("%s: %v", name, strings.ReplaceAll(err.Error(), "\n", "; "))
		return nil
	}
	return p
}

// RedirectPort is the port that redirects to HTTPS name: HTTPS_PORT when set, else
// the port of HTTP_ADDR when the server terminates TLS itself, else 443.
func (c Config) RedirectPort() int {
	if c.HTTPSPort != 0 {
		return c.HTTPSPort
	}
	if c.TLSEnabled() {
		if _, port, err := net.SplitHostPort(c.HTTPAddr); err == nil {
			if n, err := strconv.Atoi(port); err == nil && n > 0 {
				return n
			}
		}
	}
	return 443
}
