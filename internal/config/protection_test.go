package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeKeyPair writes a self-signed certificate and its key into dir.
func writeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for path, block := range map[string]*pem.Block{
		certFile: {Type: "CERTIFICATE", Bytes: der},
		keyFile:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// hardenedEnv is a production configuration that passes every check.
func hardenedEnv(t *testing.T) map[string]string {
	t.Helper()
	cert, key := writeKeyPair(t, t.TempDir())
	return map[string]string{
		"ENVIRONMENT": Production, "SECRET_KEY": goodSecret, "JWT_SECRET_KEY": goodJWT,
		"TLS_CERT_FILE": cert, "TLS_KEY_FILE": key,
		"DATABASE_URL":         "postgres://octopus:pw@db:5432/octopus?sslmode=verify-full",
		"REDIS_URL":            "rediss://:redis-password@redis:6379/0",
		"CORS_ALLOWED_ORIGINS": "https://app.example.com",
	}
}

func TestHardenedProductionLoads(t *testing.T) {
	c, err := Load(env(hardenedEnv(t)))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, ch := range c.Hardening() {
		if ch.Status != Pass {
			t.Errorf("%s %s: %s", ch.Status, ch.Item, ch.Detail)
		}
	}
	if !c.ForceHTTPS || !c.SecureCookies || c.RateLimitFailOpen || !c.RateLimitEnabled {
		t.Fatalf("production defaults: %+v", c.Protection)
	}
}

// TestProductionRefusesEachInsecureSetting changes one setting of a hardened
// configuration at a time: each is refused with a message of its own.
func TestProductionRefusesEachInsecureSetting(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"debug", map[string]string{"DEBUG": "true"}, "DEBUG must be false in production"},
		{"plain http", map[string]string{"FORCE_HTTPS": "false"}, "FORCE_HTTPS must be true"},
		{"insecure cookies", map[string]string{"SECURE_COOKIES": "false"},
			"SECURE_COOKIES must be true"},
		{"short hsts", map[string]string{"HSTS_MAX_AGE": "86400"},
			"HSTS_MAX_AGE must be at least 31536000"},
		{"cors wildcard", map[string]string{"CORS_ALLOWED_ORIGINS": "*"},
			"CORS_ALLOWED_ORIGINS must list origins in production"},
		{"cors over http", map[string]string{"CORS_ALLOWED_ORIGINS": "http://app.example.com"},
			"CORS_ALLOWED_ORIGINS must hold only https:// origins"},
		{"database without tls", map[string]string{
			"DATABASE_URL": "postgres://octopus:pw@db:5432/octopus"}, "sslmode is unset"},
		{"database preferring tls", map[string]string{
			"DATABASE_URL": "postgresql://octopus:pw@db/octopus?sslmode=prefer"}, "sslmode is prefer"},
		{"redis without password", map[string]string{"REDIS_URL": "redis://redis:6379/0"},
			"REDIS_URL must carry a password"},
		{"rate limits off", map[string]string{"RATE_LIMIT_ENABLED": "false"},
			"RATE_LIMIT_ENABLED must be true in production"},
		{"rate limits in shadow", map[string]string{"RATE_LIMIT_SHADOW": "true"},
			"RATE_LIMIT_SHADOW must be false in production"},
		{"no tls", map[string]string{"TLS_CERT_FILE": "", "TLS_KEY_FILE": ""},
			"TLS_CERT_FILE and TLS_KEY_FILE must name a readable certificate"},
		{"unreadable tls", map[string]string{"TLS_KEY_FILE": filepath.Join(dir, "missing.key")},
			"cannot read"},
		{"short secret", map[string]string{"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32"},
		{"same secrets", map[string]string{"JWT_SECRET_KEY": goodSecret}, "must differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := hardenedEnv(t)
			for k, v := range tt.vars {
				vars[k] = v
			}
			_, err := Load(env(vars))
			p, ok := err.(Problems)
			if !ok {
				t.Fatalf("Load error = %v, want problems", err)
			}
			if len(p) != 1 || !strings.Contains(p[0], tt.want) {
				t.Fatalf("problems = %q, want exactly one mentioning %q", p, tt.want)
			}
		})
	}
}

func TestProductionAcceptsTLSAtATrustedProxy(t *testing.T) {
	vars := hardenedEnv(t)
	vars["TLS_CERT_FILE"], vars["TLS_KEY_FILE"] = "", ""
	vars["TLS_TERMINATED_BY_PROXY"], vars["TRUSTED_PROXIES"] = "true", "10.0.0.0/8"
	if _, err := Load(env(vars)); err != nil {
		t.Fatalf("Load: %v", err)
	}
	vars["TRUSTED_PROXIES"] = ""
	_, err := Load(env(vars))
	if err == nil || !strings.Contains(err.Error(), "needs TRUSTED_PROXIES") {
		t.Fatalf("Load without proxies = %v", err)
	}
}

// TestProtectionRefusedInEveryEnvironment covers settings that are wrong anywhere.
func TestProtectionRefusedInEveryEnvironment(t *testing.T) {
	cert, key := writeKeyPair(t, t.TempDir())
	otherCert, _ := writeKeyPair(t, t.TempDir())
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"wildcard with credentials", map[string]string{"CORS_ALLOWED_ORIGINS": "*",
			"CORS_ALLOW_CREDENTIALS": "true"}, "must not contain * when CORS_ALLOW_CREDENTIALS"},
		{"origin with a path", map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example/x"},
			"is not an origin"},
		{"wildcard subdomain", map[string]string{"CORS_ALLOWED_ORIGINS": "https://*.example.com"},
			"is not an origin"},
		{"bad proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"},
			"TRUSTED_PROXIES"},
		{"zero rate", map[string]string{"RATE_LIMIT_PER_MINUTE": "0"}, "RATE_LIMIT_PER_MINUTE"},
		{"unknown shadow rule", map[string]string{"RATE_LIMIT_SHADOW_RULES": "ip,orders"},
			`unknown rule "orders"`},
		{"cert without key", map[string]string{"TLS_CERT_FILE": cert}, "must be set together"},
		{"mismatched pair", map[string]string{"TLS_CERT_FILE": otherCert, "TLS_KEY_FILE": key},
			"do not load as a matching PEM pair"},
		{"redirect without tls", map[string]string{"HTTP_REDIRECT_ADDR": ":8080"},
			"HTTP_REDIRECT_ADDR needs TLS_CERT_FILE"},
		{"bad redis prefix", map[string]string{"RATE_LIMIT_REDIS_PREFIX": "a b"},
			"RATE_LIMIT_REDIS_PREFIX"},
		{"block shorter than max", map[string]string{"IP_BLOCK_DURATION": "2h",
			"IP_BLOCK_MAX_DURATION": "1h"}, "IP_BLOCK_MAX_DURATION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.vars))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestProtectionDefaults(t *testing.T) {
	tests := []struct {
		environment string
		enabled     bool
		failOpen    bool
		forceHTTPS  bool
	}{
		{Development, true, true, false},
		{Test, false, true, false},
	}
	for _, tt := range tests {
		c, err := Load(env(map[string]string{"ENVIRONMENT": tt.environment, "BCRYPT_COST": "12"}))
		if err != nil {
			t.Fatalf("%s: %v", tt.environment, err)
		}
		if c.RateLimitEnabled != tt.enabled || c.RateLimitFailOpen != tt.failOpen ||
			c.ForceHTTPS != tt.forceHTTPS || c.RateLimitPerMinute != 100 ||
			c.LoginRateLimitPerMinute != DefaultLoginRateLimitPerMinute ||
			c.HSTSMaxAge != MinHSTSMaxAge {
			t.Errorf("%s defaults: %+v", tt.environment, c.Protection)
		}
	}
}

// TestHardeningListsEveryItem: validate prints an item for each point of the
// specification's list, and a development configuration fails it.
func TestHardeningListsEveryItem(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	failed := false
	for _, ch := range c.Hardening() {
		items = append(items, ch.Item)
		failed = failed || ch.Status == Fail
	}
	for _, want := range []string{"ENVIRONMENT", "DEBUG", "SECRET_KEY", "FORCE_HTTPS",
		"SECURE_COOKIES", "HSTS_MAX_AGE", "CORS_ALLOWED_ORIGINS", "DATABASE_URL", "REDIS_URL",
		"RATE_LIMIT", "TLS"} {
		if !slices.Contains(items, want) {
			t.Errorf("no %s item in %v", want, items)
		}
	}
	if !failed {
		t.Error("a development configuration passed the production checklist")
	}
}
