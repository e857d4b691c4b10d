package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/octopus-venue/octopus/internal/clientip"
	"github.com/octopus-venue/octopus/internal/config"
	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/ratelimit"
)

// guards are the pieces of the API's protection built from the configuration.
type guards struct {
	ClientIP *clientip.Resolver
	Limiter  ratelimit.Limiter
	Blocker  ratelimit.Blocker
	Abuse    *ratelimit.AbuseTracker
	Options  httpapi.Protection
}

// protection builds the client address resolver, the rate limiter, the block list
// and the abuse tracker: in Redis when REDIS_URL is set, so that every process
// shares them, in memory otherwise.
func (a *App) protection(ctx context.Context) (guards, error) {
	cfg := a.Config
	g := guards{ClientIP: clientip.NewResolver(cfg.TrustedProxies), Options: protectionOptions(cfg)}
	if err := a.openRedis(ctx); err != nil {
		return g, err
	}

	var escalator ratelimit.Escalator
	if a.Redis != nil {
		b := ratelimit.NewRedisBlocker(a.Redis, cfg.RateLimitRedisPrefix, nil)
		g.Blocker, escalator = b, b
	} else {
		b := ratelimit.NewMemoryBlocker(nil, 0)
		g.Blocker, escalator = b, b
	}
	if !cfg.RateLimitEnabled {
		return g, nil
	}

	if a.Redis != nil {
		g.Limiter = ratelimit.NewRedis(a.Redis, cfg.RateLimitRedisPrefix, nil)
	} else {
		g.Limiter = ratelimit.NewMemory(nil)
	}
	abuse, err := ratelimit.NewAbuseTracker(escalator, ratelimit.AbusePolicy{
		Threshold: cfg.AbuseThreshold, Window: cfg.AbuseWindow, BaseBlock: cfg.IPBlockDuration,
		MaxBlock: cfg.IPBlockMaxDuration, OffenseTTL: cfg.IPBlockMemory,
	})
	if err != nil {
		return g, fmt.Errorf("abuse policy: %w", err)
	}
	g.Abuse = abuse
	for _, rule := range []ratelimit.Rule{g.Options.IPRule, g.Options.PrincipalRule,
		g.Options.LoginRule} {
		if err := rule.Validate(); err != nil {
			return g, fmt.Errorf("rate limits: %w", err)
		}
	}
	return g, nil
}

// protectionOptions translates the configuration for the API.
func protectionOptions(cfg config.Config) httpapi.Protection {
	rule := func(name string, limit, burst int) ratelimit.Rule {
		return ratelimit.Rule{Name: name, Limit: limit, Burst: burst, Window: time.Minute,
			Shadow: cfg.ShadowRule(name)}
	}
	hsts := "max-age=" + strconv.Itoa(cfg.HSTSMaxAge)
	if cfg.HSTSIncludeSubdomains {
		hsts += "; includeSubDomains"
	}
	return httpapi.Protection{
		IPRule:        rule(config.RuleIP, cfg.RateLimitPerMinute, cfg.RateLimitBurst),
		PrincipalRule: rule(config.RulePrincipal, cfg.PrincipalRateLimitPerMinute, cfg.RateLimitBurst),
		LoginRule:     rule(config.RuleLogin, cfg.LoginRateLimitPerMinute, 0),
		FailOpen:      cfg.RateLimitFailOpen,
		Timeout:       cfg.RateLimitTimeout,
		CORS: httpapi.CORS{AllowedOrigins: cfg.CORSAllowedOrigins,
			AllowCredentials: cfg.CORSAllowCredentials, MaxAge: cfg.CORSMaxAge},
		ForceHTTPS: cfg.ForceHTTPS,
		// A proxy trusted to name the client is trusted to name the scheme too.
		TrustForwardedProto: len(cfg.TrustedProxies) > 0,
		HTTPSPort:           cfg.RedirectPort(),
		HSTS:                hsts,
		SecureCookies:       cfg.SecureCookies,
	}
}

// openRedis connects the one Redis client of the process when REDIS_URL is set. An
// unreachable server is logged, not fatal: the limiter's failure policy covers it,
// and the process recovers by itself when Redis comes back.
func (a *App) openRedis(ctx context.Context) error {
	if a.Config.RedisURL == "" || a.Redis != nil {
		return nil
	}
	opts, err := redis.ParseURL(a.Config.RedisURL)
	if err != nil {
		// go-redis errors may quote the URL, and with it the password.
		return fmt.Errorf("REDIS_URL: not a valid redis:// or rediss:// URL")
	}
	// Every call carries a deadline of RATE_LIMIT_TIMEOUT; let it bound the I/O.
	opts.ContextTimeoutEnabled = true
	a.Redis = redis.NewClient(opts)

	pingCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := a.Redis.Ping(pingCtx).Err(); err != nil {
		a.Log.Warn("redis unreachable at start; rate limits follow RATE_LIMIT_FAIL_OPEN",
			"error", err, "fail_open", a.Config.RateLimitFailOpen)
	}
	return nil
}

// closeRedis closes the Redis client, if any.
func (a *App) closeRedis() {
	if a.Redis != nil {
		_ = a.Redis.Close()
		a.Redis = nil
	}
}
