package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// setHardenedEnv sets a production configuration that passes every check.
func setHardenedEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	cert, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	_ = os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY",
		Bytes: keyDER}), 0o600)
	for k, v := range map[string]string{
		"ENVIRONMENT": "production", "TLS_CERT_FILE": cert, "TLS_KEY_FILE": keyFile,
		"SECRET_KEY":     "0123456789abcdef0123456789abcdef-one",
		"JWT_SECRET_KEY": "0123456789abcdef0123456789abcdef-two",
		"DATABASE_URL":   "postgres://octopus:pw@db:5432/octopus?sslmode=require",
		"REDIS_URL":      "rediss://:redis-password@redis:6379/0",
	} {
		t.Setenv(k, v)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantOut []string
		wantErr bool
	}{
		{"hardened", nil, nil, []string{"PASS  FORCE_HTTPS", "PASS  TLS", "PASS  REDIS_URL",
			"configuration OK (environment production)"}, false},
		{"plain http", map[string]string{"FORCE_HTTPS": "false"}, nil, []string{
			"FAIL  FORCE_HTTPS            FORCE_HTTPS must be true in production: plain HTTP " +
				"requests must be redirected to HTTPS\n"}, true},
		{"redis without tls", map[string]string{"REDIS_URL": "redis://:pw@redis:6379/0"}, nil,
			[]string{"WARN  REDIS_URL", "configuration OK"}, false},
		{"development", map[string]string{"ENVIRONMENT": "development"}, nil,
			[]string{`FAIL  ENVIRONMENT            ENVIRONMENT is "development": set ` +
				"ENVIRONMENT=production"}, true},
		{"development, loading only", map[string]string{"ENVIRONMENT": "development"},
			[]string{"-hardening=false"}, []string{"configuration OK (environment development)"},
			false},
		{"broken value", map[string]string{"ENVIRONMENT": "development", "RATE_LIMIT_BURST": "x"},
			[]string{"-hardening=false"}, []string{"FAIL  configuration", "RATE_LIMIT_BURST"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setHardenedEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			err := runValidate(context.Background(), tt.args, &out, &errOut)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, errValidation)) {
				t.Fatalf("error = %v, want error %v\n%s", err, tt.wantErr, out.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Fatalf("output lacks %q:\n%s", want, out.String())
				}
			}
			if strings.Count(out.String(), "FORCE_HTTPS must be true") > 1 {
				t.Fatalf("a problem is printed twice:\n%s", out.String())
			}
		})
	}
}

// TestServeRefusesAnInsecureProduction: serve stops before opening anything.
func TestServeRefusesAnInsecureProduction(t *testing.T) {
	setHardenedEnv(t)
	t.Setenv("HSTS_MAX_AGE", "60")
	var out, errOut bytes.Buffer
	err := runServe(context.Background(), nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "refusing to start") ||
		!strings.Contains(err.Error(), "HSTS_MAX_AGE must be at least 31536000") {
		t.Fatalf("serve = %v", err)
	}
}
