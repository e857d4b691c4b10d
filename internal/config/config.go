// Package config loads the venue's configuration from the environment, once, at start.
// Every variable NAME may instead be read from the file named by NAME_FILE (Docker
// secrets). Load collects every problem it finds and reports them together, so an
// operator fixes a bad deployment in one pass instead of one restart per mistake.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environments the venue knows.
const (
	Development = "development"
	Production  = "production"
	Test        = "test"
)

// Defaults, named so the README and the code cannot drift apart.
const (
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultAccessTokenTTL  = 60 * time.Minute
	DefaultRefreshTokenTTL = 7 * 24 * time.Hour
	DefaultBcryptCost      = 12
	MinSecretLength        = 32
	DefaultMaxBodyBytes    = 1 << 20
	DefaultBatchSize       = 256
)

// Config is the whole configuration of one process. It is passed explicitly; nothing
// reads the environment after Load.
type Config struct {
	Environment     string
	Debug           bool
	HTTPAddr        string
	SecretKey       string
	JWTSecretKey    string
	DatabaseURL     string
	RedisURL        string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	BcryptCost      int
	MaxBodyBytes    int64
	BatchSize       int
	JWTIssuer       string
	JWTAudience     string
	// JWTRotationInterval is how long one key signs before the next takes over.
	JWTRotationInterval time.Duration

	RegistrationEnabled       bool
	MFARequiredRoles          []string
	LockoutThreshold          int
	LockoutWindow             time.Duration
	LockoutDuration           time.Duration
	PasswordMinLength         int
	PasswordMinScore          int
	BreachedPasswordsFile     string
	BreachedPasswordsMinCount int

	Observability
	// Protection holds rate limits, IP blocks, TLS, HTTPS and CORS (protection.go).
	Protection

	// GeneratedSecrets is true when development secrets were made up for this process.
	GeneratedSecrets bool
}

// Getenv is the lookup Load reads through; tests pass a map instead of the process env.
type Getenv func(string) (string, bool)

// Problems is every configuration problem found, reported together.
type Problems []string

func (p Problems) Error() string {
	return "invalid configuration:\n  - " + strings.Join(p, "\n  - ")
}

// placeholders are secrets copied from examples that must never reach production.
var placeholders = []string{
	"changeme", "change-me", "change_me", "your-secret-key", "secret", "password",
	"your-jwt-secret-key", "default", "example", "test", "insecure",
}

// Load reads the configuration. It returns a Problems error listing everything wrong;
// the returned Config is still filled as far as it could be, for reporting.
func Load(getenv Getenv) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		Environment:     r.str("ENVIRONMENT", Development),
		Debug:           r.boolean("DEBUG", false),
		HTTPAddr:        r.str("HTTP_ADDR", DefaultHTTPAddr),
		SecretKey:       r.str("SECRET_KEY", ""),
		JWTSecretKey:    r.str("JWT_SECRET_KEY", ""),
		DatabaseURL:     r.str("DATABASE_URL", ""),
		RedisURL:        r.str("REDIS_URL", ""),
		AccessTokenTTL:  r.duration("ACCESS_TOKEN_TTL", DefaultAccessTokenTTL),
		RefreshTokenTTL: r.duration("REFRESH_TOKEN_TTL", DefaultRefreshTokenTTL),
		BcryptCost:      r.integer("BCRYPT_COST", DefaultBcryptCost),
		MaxBodyBytes:    int64(r.integer("MAX_BODY_BYTES", DefaultMaxBodyBytes)),
		BatchSize:       r.integer("ORDER_BATCH_SIZE", DefaultBatchSize),
		JWTIssuer:       r.str("JWT_ISSUER", "octopus"),
		JWTAudience:     r.str("JWT_AUDIENCE", "octopus-api"),
	}
	c.JWTRotationInterval = r.duration("JWT_ROTATION_INTERVAL", 24*time.Hour)
	c.RegistrationEnabled = r.boolean("REGISTRATION_ENABLED", !c.IsProduction())
	c.MFARequiredRoles = r.list("MFA_REQUIRED_ROLES", c.defaultMFARoles())
	c.LockoutThreshold = r.integer("LOCKOUT_THRESHOLD", 5)
	c.LockoutWindow = r.duration("LOCKOUT_WINDOW", 15*time.Minute)
	c.LockoutDuration = r.duration("LOCKOUT_DURATION", 15*time.Minute)
	c.PasswordMinLength = r.integer("PASSWORD_MIN_LENGTH", 8)
	c.PasswordMinScore = r.integer("PASSWORD_MIN_SCORE", 3)
	c.BreachedPasswordsFile = r.str("BREACHED_PASSWORDS_FILE", "")
	c.BreachedPasswordsMinCount = r.integer("BREACHED_PASSWORDS_MIN_COUNT", 1)
	c.loadObservability(&r)
	c.validate(&r)
	c.validateAuth(&r)
	c.loadProtection(&r)
	if len(r.problems) > 0 {
		return c, r.problems
	}
	return c, nil
}

// FromEnv is the Getenv of the real process environment.
func FromEnv(name string) (string, bool) { return os.LookupEnv(name) }

// IsProduction reports whether the strict production rules apply.
func (c Config) IsProduction() bool { return c.Environment == Production }

func (c *Config) validate(r *reader) {
	switch c.Environment {
	case Development, Production, Test:
	default:
		r.fail("ENVIRONMENT must be development, production or test, not %q", c.Environment)
	}
	if c.AccessTokenTTL <= 0 || c.AccessTokenTTL > 24*time.Hour {
		r.fail("ACCESS_TOKEN_TTL must be between 1s and 24h")
	}
	if c.RefreshTokenTTL < c.AccessTokenTTL || c.RefreshTokenTTL > 90*24*time.Hour {
		r.fail("REFRESH_TOKEN_TTL must be at least ACCESS_TOKEN_TTL and at most 90d")
	}
	minCost := DefaultBcryptCost
	if c.Environment == Test {
		minCost = 4 // only tests may trade hashing strength for speed
	}
	if c.BcryptCost < minCost || c.BcryptCost > 16 {
		r.fail("BCRYPT_COST must be between %d and 16 in %s", minCost, c.Environment)
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20 {
		r.fail("MAX_BODY_BYTES must be between 1024 and 67108864")
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		r.fail("ORDER_BATCH_SIZE must be between 1 and 10000")
	}
	if c.IsProduction() {
		c.validateProduction(r)
		return
	}
	if c.SecretKey == "" && c.JWTSecretKey == "" {
		c.SecretKey, c.JWTSecretKey = randomSecret(), randomSecret()
		c.GeneratedSecrets = true
		return
	}
	c.checkSecrets(r)
}

func (c *Config) defaultMFARoles() []string {
	if c.IsProduction() {
		return []string{"admin"}
	}
	return nil
}

func (c *Config) validateAuth(r *reader) {
	for _, role := range c.MFARequiredRoles {
		switch role {
		case "admin", "trader", "analyst", "user":
		default:
			r.fail("MFA_REQUIRED_ROLES: unknown role %q", role)
		}
	}
	if c.JWTRotationInterval < time.Minute || c.JWTRotationInterval > 90*24*time.Hour {
		r.fail("JWT_ROTATION_INTERVAL must be between 1m and 90d")
	}
	if c.LockoutThreshold < 1 || c.LockoutThreshold > 100 {
		r.fail("LOCKOUT_THRESHOLD must be between 1 and 100")
	}
	if c.LockoutWindow <= 0 || c.LockoutDuration <= 0 {
		r.fail("LOCKOUT_WINDOW and LOCKOUT_DURATION must be positive durations")
	}
	if c.PasswordMinLength < 8 || c.PasswordMinLength > 72 {
		r.fail("PASSWORD_MIN_LENGTH must be between 8 and 72")
	}
	if c.PasswordMinScore < 0 || c.PasswordMinScore > 4 {
		r.fail("PASSWORD_MIN_SCORE must be between 0 and 4")
	}
	if c.BreachedPasswordsFile != "" {
		if _, err := os.Stat(c.BreachedPasswordsFile); err != nil {
			r.fail("BREACHED_PASSWORDS_FILE %s is not readable", c.BreachedPasswordsFile)
		}
	}
	if c.BreachedPasswordsMinCount < 1 {
		r.fail("BREACHED_PASSWORDS_MIN_COUNT must be at least 1")
	}
}

func (c *Config) validateProduction(r *reader) {
	if c.Debug {
		r.fail("DEBUG must be false in production")
	}
	c.checkSecrets(r)
}

func (c *Config) checkSecrets(r *reader) {
	for _, s := range []struct{ name, value string }{
		{"SECRET_KEY", c.SecretKey}, {"JWT_SECRET_KEY", c.JWTSecretKey},
	} {
		switch {
		case s.value == "":
			r.fail("%s is missing", s.name)
		case isPlaceholder(s.value):
			r.fail("%s is a placeholder value; generate one with: openssl rand -base64 48", s.name)
		case len(s.value) < MinSecretLength:
			r.fail("%s must be at least %d characters", s.name, MinSecretLength)
		}
	}
	if c.SecretKey != "" && c.SecretKey == c.JWTSecretKey {
		r.fail("SECRET_KEY and JWT_SECRET_KEY must differ")
	}
}

func isPlaceholder(v string) bool {
	lower := strings.ToLower(v)
	if strings.Contains(lower, "changeme") || strings.Contains(lower, "your-secret") {
		return true
	}
	for _, p := range placeholders {
		if lower == p {
			return true
		}
	}
	return false
}

func randomSecret() string {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("config: crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// reader reads typed values and collects problems instead of stopping at the first.
type reader struct {
	getenv   Getenv
	problems Problems
}

func (r *reader) fail(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// lookup returns NAME, or the contents of the file NAME_FILE names. Both set is an
// error: which one wins would be a guess.
func (r *reader) lookup(name string) (string, bool) {
	v, ok := r.getenv(name)
	path, fileOK := r.getenv(name + "_FILE")
	if fileOK && path != "" {
		if ok && v != "" {
			r.fail("%s and %s_FILE are both set; set one", name, name)
			return "", false
		}
		b, err := os.ReadFile(path)
		if err != nil {
			r.fail("%s_FILE: cannot read %s: %v", name, path, errors.Unwrap(err))
			return "", false
		}
		return strings.TrimRight(string(b), "\r\n"), true
	}
	return v, ok && v != ""
}

func (r *reader) str(name, def string) string {
	if v, ok := r.lookup(name); ok {
		return v
	}
	return def
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail("%s must be true or false, not %q", name, v)
		return def
	}
	return b
}

func (r *reader) integer(name string, def int) int {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail("%s must be a whole number, not %q", name, v)
		return def
	}
	return n
}

// list reads a comma-separated list. Unlike other variables, one set to the empty
// string counts: it means an empty list, overriding the default.
func (r *reader) list(name string, def []string) []string {
	raw, set := r.getenv(name)
	if _, fileSet := r.getenv(name + "_FILE"); !set && !fileSet {
		return def
	}
	v, _ := r.lookup(name)
	if !set {
		raw = v
	}
	var out []string
	for _, item := range strings.Split(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// duration accepts Go durations plus a day suffix ("7d"), which Go's parser lacks.
func (r *reader) duration(name string, def time.Duration) time.Duration {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	d, err := ParseDuration(v)
	if err != nil {
		r.fail("%s must be a duration such as 60m or 7d, not %q", name, v)
		return def
	}
	return d
}

// ParseDuration is time.ParseDuration that also understands whole days ("7d").
func ParseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3650 {
			return 0, fmt.Errorf("bad day count %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}
