package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

const (
	goodSecret = "0123456789abcdef0123456789abcdef-one"
	goodJWT    = "0123456789abcdef0123456789abcdef-two"
)

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.AccessTokenTTL != 60*time.Minute || c.RefreshTokenTTL != 7*24*time.Hour {
		t.Errorf("token TTLs = %v, %v", c.AccessTokenTTL, c.RefreshTokenTTL)
	}
	if c.BcryptCost != 12 || c.Environment != Development {
		t.Errorf("cost %d env %q", c.BcryptCost, c.Environment)
	}
	if !c.GeneratedSecrets || len(c.SecretKey) < MinSecretLength || c.SecretKey == c.JWTSecretKey {
		t.Errorf("development secrets not generated properly")
	}
}

func TestProductionRefusesEachProblem(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"missing secret", map[string]string{"JWT_SECRET_KEY": goodJWT}, "SECRET_KEY is missing"},
		{"missing jwt secret", map[string]string{"SECRET_KEY": goodSecret}, "JWT_SECRET_KEY is missing"},
		{"short", map[string]string{"SECRET_KEY": "short", "JWT_SECRET_KEY": goodJWT},
			"SECRET_KEY must be at least 32"},
		{"equal", map[string]string{"SECRET_KEY": goodSecret, "JWT_SECRET_KEY": goodSecret},
			"must differ"},
		{"placeholder", map[string]string{"SECRET_KEY": "changeme", "JWT_SECRET_KEY": goodJWT},
			"placeholder"},
		{"placeholder long", map[string]string{
			"SECRET_KEY": "your-secret-key-your-secret-key-123", "JWT_SECRET_KEY": goodJWT}, "placeholder"},
		{"debug", map[string]string{"SECRET_KEY": goodSecret, "JWT_SECRET_KEY": goodJWT,
			"DEBUG": "true"}, "DEBUG must be false"},
		{"low bcrypt", map[string]string{"SECRET_KEY": goodSecret, "JWT_SECRET_KEY": goodJWT,
			"BCRYPT_COST": "4"}, "BCRYPT_COST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vars["ENVIRONMENT"] = Production
			_, err := Load(env(tt.vars))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		"ENVIRONMENT": Production, "DEBUG": "yes please", "ACCESS_TOKEN_TTL": "soon",
	}))
	p, ok := err.(Problems)
	if !ok || len(p) < 4 {
		t.Fatalf("want at least 4 problems, got %v", err)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(goodSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"SECRET_KEY_FILE": path, "JWT_SECRET_KEY": goodJWT}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.SecretKey != goodSecret {
		t.Fatalf("secret from file not read")
	}
	_, err = Load(env(map[string]string{"SECRET_KEY_FILE": path, "SECRET_KEY": goodSecret,
		"JWT_SECRET_KEY": goodJWT}))
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Fatalf("both set not refused: %v", err)
	}
}

func TestTestEnvironmentAllowsLowCost(t *testing.T) {
	c, err := Load(env(map[string]string{"ENVIRONMENT": Test, "BCRYPT_COST": "4"}))
	if err != nil || c.BcryptCost != 4 {
		t.Fatalf("Load = %v, %v", c.BcryptCost, err)
	}
	if _, err := Load(env(map[string]string{"BCRYPT_COST": "4"})); err == nil {
		t.Fatal("development accepted bcrypt cost 4")
	}
}

func TestParseDuration(t *testing.T) {
	d, err := ParseDuration("7d")
	if err != nil || d != 168*time.Hour {
		t.Fatalf("7d = %v, %v", d, err)
	}
	if _, err := ParseDuration("xd"); err == nil {
		t.Fatal("xd accepted")
	}
}
