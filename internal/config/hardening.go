package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Status is the outcome of one hardening check.
type Status string

// Check outcomes. A warning names a weaker choice that production still accepts.
const (
	Pass Status = "PASS"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Check is one item of the production hardening list: what was checked, how it
// went, and either what was found or how to fix it.
type Check struct {
	Item   string
	Status Status
	Detail string
}

// Hardening checks the configuration against the production hardening list of the
// specification, whatever ENVIRONMENT says: `octopus validate` runs it before a
// deploy. In production, Load turns every failure into a problem, so a server
// never starts on a configuration that fails here.
func (c Config) Hardening() []Check {
	checks := []Check{c.environmentCheck(), c.debugCheck()}
	checks = append(checks, c.secretChecks()...)
	return append(checks, c.protectionChecks()...)
}

func (c Config) environmentCheck() Check {
	if c.IsProduction() {
		return Check{"ENVIRONMENT", Pass, "production"}
	}
	return Check{"ENVIRONMENT", Fail, fmt.Sprintf(
		"ENVIRONMENT is %q: set ENVIRONMENT=production", c.Environment)}
}

func (c Config) debugCheck() Check {
	if c.Debug {
		return Check{"DEBUG", Fail, "DEBUG must be false in production"}
	}
	return Check{"DEBUG", Pass, "off"}
}

// secretChecks reuses the rules Load applies, so both say the same thing.
func (c Config) secretChecks() []Check {
	if c.GeneratedSecrets {
		return []Check{{"SECRET_KEY", Fail, "SECRET_KEY and JWT_SECRET_KEY are not set: " +
			"generate each with: openssl rand -base64 48"}}
	}
	r := reader{}
	c.checkSecrets(&r)
	if len(r.problems) == 0 {
		return []Check{{"SECRET_KEY", Pass, fmt.Sprintf(
			"SECRET_KEY and JWT_SECRET_KEY are distinct and at least %d characters",
			MinSecretLength)}}
	}
	checks := make([]Check, len(r.problems))
	for i, p := range r.problems {
		checks[i] = Check{"SECRET_KEY", Fail, p}
	}
	return checks
}

// protectionChecks are the items of this file's settings and of the data stores.
func (c Config) protectionChecks() []Check {
	return []Check{
		c.forceHTTPSCheck(), c.secureCookiesCheck(), c.hstsCheck(), c.corsCheck(),
		c.databaseCheck(), c.redisCheck(), c.rateLimitCheck(), c.tlsCheck(),
	}
}

func (c Config) forceHTTPSCheck() Check {
	if !c.ForceHTTPS {
		return Check{"FORCE_HTTPS", Fail, "FORCE_HTTPS must be true in production: " +
			"plain HTTP requests must be redirected to HTTPS"}
	}
	return Check{"FORCE_HTTPS", Pass, "plain HTTP is redirected to HTTPS"}
}

func (c Config) secureCookiesCheck() Check {
	if !c.SecureCookies {
		return Check{"SECURE_COOKIES", Fail, "SECURE_COOKIES must be true in production: " +
			"cookies must never travel over plain HTTP"}
	}
	return Check{"SECURE_COOKIES", Pass, "cookies carry Secure"}
}

func (c Config) hstsCheck() Check {
	switch {
	case c.HSTSMaxAge < MinHSTSMaxAge:
		return Check{"HSTS_MAX_AGE", Fail, fmt.Sprintf(
			"HSTS_MAX_AGE must be at least %d (one year) in production, not %d",
			MinHSTSMaxAge, c.HSTSMaxAge)}
	case !c.HSTSIncludeSubdomains:
		return Check{"HSTS_MAX_AGE", Warn, "HSTS_INCLUDE_SUBDOMAINS is false: subdomains " +
			"may still be reached over plain HTTP"}
	}
	return Check{"HSTS_MAX_AGE", Pass, fmt.Sprintf("max-age=%d; includeSubDomains", c.HSTSMaxAge)}
}

func (c Config) corsCheck() Check {
	for _, o := range c.CORSAllowedOrigins {
		if o == "*" {
			return Check{"CORS_ALLOWED_ORIGINS", Fail, "CORS_ALLOWED_ORIGINS must list origins " +
				"in production, not the wildcard *"}
		}
		if !strings.HasPrefix(o, "https://") {
			return Check{"CORS_ALLOWED_ORIGINS", Fail, fmt.Sprintf(
				"CORS_ALLOWED_ORIGINS must hold only https:// origins in production, not %q", o)}
		}
	}
	if len(c.CORSAllowedOrigins) == 0 {
		return Check{"CORS_ALLOWED_ORIGINS", Pass, "no cross-origin access"}
	}
	return Check{"CORS_ALLOWED_ORIGINS", Pass, strings.Join(c.CORSAllowedOrigins, ", ")}
}

// databaseCheck wants PostgreSQL reached over TLS; pgx's default sslmode, prefer,
// falls back to plain text when the server offers no TLS, so it does not count.
func (c Config) databaseCheck() Check {
	u, err := url.Parse(c.DatabaseURL)
	scheme := ""
	if err == nil {
		scheme = strings.ToLower(u.Scheme)
	}
	if scheme != "postgres" && scheme != "postgresql" {
		return Check{"DATABASE_URL", Pass, "embedded SQLite file: no network transport to protect"}
	}
	switch mode := u.Query().Get("sslmode"); mode {
	case "require", "verify-ca", "verify-full":
		return Check{"DATABASE_URL", Pass, "sslmode=" + mode}
	default:
		if mode == "" {
			mode = "unset"
		}
		return Check{"DATABASE_URL", Fail, fmt.Sprintf("DATABASE_URL must set sslmode=require, "+
			"verify-ca or verify-full in production (sslmode is %s)", mode)}
	}
}

// redisCheck wants a password on Redis: it holds the shared rate limits and blocks,
// and whoever can write there can lift a block or lock everyone out.
func (c Config) redisCheck() Check {
	if c.RedisURL == "" {
		return Check{"REDIS_URL", Warn, "REDIS_URL is not set: rate limits and IP blocks are " +
			"kept per process; set it whenever more than one process serves"}
	}
	u, err := url.Parse(c.RedisURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		return Check{"REDIS_URL", Fail, "REDIS_URL must be a redis:// or rediss:// URL"}
	}
	if !hasRedisPassword(u) {
		return Check{"REDIS_URL", Fail, "REDIS_URL must carry a password in production: " +
			"rediss://:PASSWORD@host:6379/0"}
	}
	if u.Scheme != "rediss" {
		return Check{"REDIS_URL", Warn, "REDIS_URL has a password but no TLS: prefer rediss:// " +
			"unless Redis sits on a private network"}
	}
	return Check{"REDIS_URL", Pass, "rediss:// with a password"}
}

// hasRedisPassword accepts redis://:pw@host, redis://user:pw@host, a lone user
// (which go-redis takes as the password) and ?password= on unix sockets.
func hasRedisPassword(u *url.URL) bool {
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			return pw != ""
		}
		return u.User.Username() != ""
	}
	return u.Query().Get("password") != ""
}

func (c Config) rateLimitCheck() Check {
	switch {
	case !c.RateLimitEnabled:
		return Check{"RATE_LIMIT", Fail, "RATE_LIMIT_ENABLED must be true in production"}
	case c.RateLimitShadow:
		return Check{"RATE_LIMIT", Fail, "RATE_LIMIT_SHADOW must be false in production: " +
			"shadow rules are counted, not enforced"}
	case len(c.RateLimitShadowRules) > 0:
		return Check{"RATE_LIMIT", Warn, "rules in shadow mode, not enforced: " +
			strings.Join(c.RateLimitShadowRules, ", ")}
	case c.RateLimitFailOpen:
		return Check{"RATE_LIMIT", Warn, "RATE_LIMIT_FAIL_OPEN is true: a Redis outage " +
			"switches the limits off"}
	}
	return Check{"RATE_LIMIT", Pass, fmt.Sprintf("%d/min per IP (+%d burst), %d/min per "+
		"principal, %d/min on login and registration", c.RateLimitPerMinute, c.RateLimitBurst,
		c.PrincipalRateLimitPerMinute, c.LoginRateLimitPerMinute)}
}

func (c Config) tlsCheck() Check {
	switch {
	case c.TLSEnabled():
		if err := loadKeyPair(c.TLSCertFile, c.TLSKeyFile); err != nil {
			return Check{"TLS", Fail, fmt.Sprintf("TLS_CERT_FILE/TLS_KEY_FILE: %v", err)}
		}
		return Check{"TLS", Pass, "served from " + c.TLSCertFile}
	case c.TLSTerminatedByProxy && len(c.TrustedProxies) > 0:
		return Check{"TLS", Pass, "terminated by a trusted proxy (TLS_TERMINATED_BY_PROXY)"}
	}
	return Check{"TLS", Fail, "TLS_CERT_FILE and TLS_KEY_FILE must name a readable certificate " +
		"and key in production, or set TLS_TERMINATED_BY_PROXY=true and TRUSTED_PROXIES when " +
		"a proxy in front terminates TLS"}
}
