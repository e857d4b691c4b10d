package httpapi_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/auth/apikey"
	"github.com/octopus-venue/octopus/internal/rbac"
)

// signScript returns the path of scripts/sign-request.sh, skipping the test when
// the tools it needs are missing.
func signScript(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"bash", "openssl", "base32", "od", "tr"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "sign-request.sh")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
}

// runSignScript signs a request with the script and returns the headers it printed.
func runSignScript(t *testing.T, script, key, method, path string, body []byte,
	env ...string) map[string]string {
	t.Helper()
	args := []string{script, "-k", method, path}
	if body != nil {
		f := filepath.Join(t.TempDir(), "body")
		if err := os.WriteFile(f, body, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	cmd := exec.Command("bash", args...)
	cmd.Env = append(os.Environ(), append(env, "OCTOPUS_API_KEY="+key)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sign-request.sh: %v: %s", err, stderr.String())
	}
	headers := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			t.Fatalf("sign-request.sh printed %q", sc.Text())
		}
		headers[name] = value
	}
	return headers
}

// TestSignScriptMatchesServer checks the script against the server's own signing
// code on random keys and awkward bodies: NUL, percent and backslash bytes.
func TestSignScriptMatchesServer(t *testing.T) {
	script := signScript(t)
	bodies := [][]byte{nil, []byte(orderBody), {0, '%', '\\', 'x', '\n', 0xff}, []byte("%s%%\\x41")}
	paths := []string{"/api/v1/orders", "/api/v1/orders?limit=5&cursor=9", "/a%2Fb?q=x%20y"}

	for i := range 12 {
		k, err := apikey.Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := apikey.DecodeSecret(k.Secret)
		body, path := bodies[i%len(bodies)], paths[i%len(paths)]
		ts := int64(1700000000000 + i)

		got := runSignScript(t, script, k.Full, "POST", path, body,
			"OCTOPUS_TIMESTAMP="+strconv.FormatInt(ts, 10))
		want := apikey.SignHMAC(raw, apikey.Canonical("POST", path, ts, body))
		if got[apikey.HeaderSignature] != want || got["X-API-Key"] != k.Full ||
			got[apikey.HeaderTimestamp] != strconv.FormatInt(ts, 10) {
			t.Fatalf("key %s body %q path %s: script %v, want signature %s",
				k.ID, body, path, got, want)
		}
	}
}

// TestSignScriptAgainstServer sends an order signed by the script, on the clock.
func TestSignScriptAgainstServer(t *testing.T) {
	script := signScript(t)
	v := newKeyVenue(t)
	_, jwt := v.user("scot", rbac.Trader)
	_, key := v.createKey(jwt, map[string]any{"scopes": []string{"trade"}, "signing": "hmac"})

	v.clock.Add(time.Since(v.clock.Now())) // the script signs on the real clock
	headers := runSignScript(t, script, key, "POST", "/api/v1/orders", []byte(orderBody))
	delete(headers, "X-API-Key")
	a := v.do(call{method: "POST", path: "/api/v1/orders", body: orderBody, key: key,
		headers: headers})
	if a.status != 201 {
		t.Fatalf("script-signed order: %d %v", a.status, a.body)
	}
}
