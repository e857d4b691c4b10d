package app_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// selfSigned writes a fresh self-signed certificate for 127.0.0.1 named cn to
// certFile and keyFile and returns it.
func selfSigned(t *testing.T, cn, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{
			x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Write the key first, as a renewal tool would; the reloader copes either way.
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	writePEM(t, certFile, "CERTIFICATE", der)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	tmp := path + ".tmp"
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestTLSEndToEnd(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first := selfSigned(t, "first", certFile, keyFile)
	redirect := freeAddr(t)
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile, "FORCE_HTTPS": "true",
		"HTTP_REDIRECT_ADDR": redirect}})
	addr := strings.TrimPrefix(v.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)

	pool := x509.NewCertPool()
	pool.AddCert(first)
	client := tlsClient(&tls.Config{RootCAs: pool})
	resp := get(t, client, "https://"+addr+"/api/v1/openapi.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d over TLS", resp.StatusCode)
	}
	hsts := resp.Header.Get("Strict-Transport-Security")
	if hsts != "max-age=31536000; includeSubDomains" {
		t.Fatalf("HSTS = %q", hsts)
	}
	if resp.TLS.Version != tls.VersionTLS13 || resp.ProtoMajor != 2 {
		t.Fatalf("negotiated %x over HTTP/%d, want TLS 1.3 and HTTP/2", resp.TLS.Version,
			resp.ProtoMajor)
	}

	t.Run("old protocols and weak suites are refused", func(t *testing.T) {
		refused := []*tls.Config{
			{RootCAs: pool, MaxVersion: tls.VersionTLS11},
			{RootCAs: pool, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
					tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256}},
		}
		for _, cfg := range refused {
			if _, err := tlsClient(cfg).Get("https://" + addr + "/healthz"); err == nil {
				t.Fatalf("handshake succeeded with %+v", cfg)
			}
		}
		tls12 := tlsClient(&tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12})
		if resp := get(t, tls12, "https://"+addr+"/healthz"); resp.TLS.Version != tls.VersionTLS12 {
			t.Fatalf("TLS 1.2 with an AEAD suite refused")
		}
	})

	t.Run("plain HTTP is redirected", func(t *testing.T) {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		for method, want := range map[string]int{"GET": 301, "POST": 308} {
			req, _ := http.NewRequest(method, "http://"+redirect+"/api/v1/orders?symbol=AAPL", nil)
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := "https://127.0.0.1:" + port + "/api/v1/orders?symbol=AAPL"
			if resp.StatusCode != want || resp.Header.Get("Location") != loc {
				t.Fatalf("%s: %d %q, want %d %q", method, resp.StatusCode,
					resp.Header.Get("Location"), want, loc)
			}
		}
		// Following the redirect ends on the TLS listener.
		follow := tlsClient(&tls.Config{RootCAs: pool})
		if resp := get(t, follow, "http://"+redirect+"/healthz"); resp.TLS == nil {
			t.Fatal("redirect did not lead to TLS")
		}
	})

	t.Run("a renewed certificate is served without a restart", func(t *testing.T) {
		time.Sleep(1100 * time.Millisecond) // file times need to move on
		second := selfSigned(t, "second", certFile, keyFile)
		pool.AddCert(second)
		deadline := time.Now().Add(5 * time.Second)
		for {
			resp := get(t, tlsClient(&tls.Config{RootCAs: pool}), "https://"+addr+"/healthz")
			if resp.TLS.PeerCertificates[0].Subject.CommonName == "second" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("still serving the first certificate")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// tlsClient is a client with its own transport, so no connection is reused across
// configurations.
func tlsClient(cfg *tls.Config) *http.Client {
	return &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
}

func get(t *testing.T, c *http.Client, url string) *http.Response {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp
}
