package app_test

import (
	"bytes"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/auth/totp"
	"github.com/octopus-venue/octopus/internal/logging"
	"github.com/octopus-venue/octopus/internal/store"
)

// syncBuffer is a log destination safe for the venue's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secrets collects the credentials a test sent, by name.
type secrets map[string]string

// TestAuditNeverRecordsSecrets sends every kind of credential through real
// requests, where they belong (bodies, headers) and where they do not (query
// strings, paths), then searches every audit record and every log line, at
// debug level, for each of them.
func TestAuditNeverRecordsSecrets(t *testing.T) {
	logs := &syncBuffer{}
	v := apptest.Start(t, apptest.Options{Logger: logging.New(logs, slog.LevelDebug),
		Env: map[string]string{"AUDIT_FLUSH_INTERVAL": "10ms"}})
	s := secrets{"admin password": apptest.AdminPassword}
	admin := v.Admin()
	s["admin token"] = admin
	_, mia := v.Trader(admin, "mia")
	s["trader password"], s["trader token"] = apptest.TraderPassword("mia"), mia

	seed, codes := enrollTOTP(t, v, mia, s)
	s["totp seed"], s["recovery code"], s["unused recovery code"] = seed, codes[0], codes[1]
	login := func(extra map[string]string, want int) apptest.Response {
		body := map[string]string{"username": "mia", "password": apptest.TraderPassword("mia")}
		for k, val := range extra {
			body[k] = val
		}
		return v.Must(v.Do("POST", "/api/v1/auth/login", "", body), want)
	}
	s["login totp code"] = totpCode(t, seed, 30*time.Second)
	var pair struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	login(map[string]string{"totp_code": s["login totp code"]}, 200).Decode(t, &pair)
	s["mfa access token"], s["refresh token"] = pair.Access, pair.Refresh
	login(map[string]string{"recovery_code": codes[0]}, 200)
	s["wrong password"] = "Wrong-horse-battery-77!"
	v.Must(v.Do("POST", "/api/v1/auth/login", "", map[string]string{
		"username": "mia", "password": s["wrong password"]}), 401)
	v.Must(v.Do("POST", "/api/v1/auth/refresh", "", map[string]string{
		"refresh_token": pair.Refresh}), 200)

	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	v.Must(v.Do("POST", "/api/v1/api-keys", pair.Access, map[string]any{
		"name": "bot", "scopes": []string{"read"}, "signing": "none"}), 201).Decode(t, &key)
	s["api key"], s["api key secret"] = key.Key, key.Key[strings.LastIndexByte(key.Key, '_')+1:]
	s["wrong api key"] = "oct_" + key.ID + "_WrongSecretWrongSecret1234"
	v.Must(v.DoHeaders("GET", "/api/v1/account", nil, map[string]string{"X-API-Key": key.Key}), 200)
	v.Must(v.DoHeaders("GET", "/api/v1/account", nil, map[string]string{"X-API-Key": s["wrong api key"]}), 401)

	misplaced(t, v, s)
	s["new password"] = "Fresh-kelp-forest-42?"
	v.Must(v.Do("POST", "/api/v1/me/password", pair.Access, map[string]string{
		"current_password": apptest.TraderPassword("mia"), "new_password": s["new password"]}), 200)
	waitAudit(t, v)

	var trail strings.Builder
	records := allAudit(t, v.App.Store.(store.AuditStore))
	for _, r := range records {
		trail.WriteString(recordText(r) + "\n")
	}
	// The search must have something to find: every request, debug lines, and
	// the token sent in a path, recorded redacted.
	if len(records) < 15 || !strings.Contains(logs.String(), `"level":"DEBUG"`) ||
		!strings.Contains(trail.String(), "/api/v1/orders/[redacted]") {
		t.Fatalf("nothing to search: %d records, log:\n%s", len(records), logs.String())
	}
	for name, secret := range s {
		for where, text := range map[string]string{"audit trail": trail.String(), "log": logs.String()} {
			if found(text, secret) {
				t.Errorf("the %s holds the %s", where, name)
			}
		}
	}
	t.Logf("searched %d records and %d log bytes for %d secrets", len(records), len(logs.String()),
		len(s))
}

// misplaced sends credentials where no client should put them: query strings
// and the path. They are recorded without them.
func misplaced(t *testing.T, v *apptest.Venue, s secrets) {
	t.Helper()
	q := url.Values{"token": {s["trader token"]}, "api_key": {s["api key"]},
		"password": {s["trader password"]}, "totp_code": {s["login totp code"]},
		"recovery_code": {s["recovery code"]}}.Encode()
	for _, path := range []string{
		"/api/v1/account?" + q,
		"/api/v1/auth/login?" + q,
		"/api/v1/orders/" + s["trader token"],
		"/api/v1/orders/" + s["api key"],
	} {
		r := v.Do("GET", path, "", nil)
		if r.Status < 400 {
			t.Errorf("GET %s: %d", path, r.Status)
		}
	}
	v.Do("POST", "/api/v1/auth/login?"+q, "", map[string]string{
		"username": "mia", "password": s["trader password"], "totp_code": "000000"})
}

// enrollTOTP turns TOTP on for the holder of tok and returns the seed and the
// recovery codes; the confirmation code goes into s.
func enrollTOTP(t *testing.T, v *apptest.Venue, tok string, s secrets) (string, []string) {
	t.Helper()
	var e struct {
		Secret string `json:"secret"`
	}
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp", tok, nil), 200).Decode(t, &e)
	s["enrollment totp code"] = totpCode(t, e.Secret, 0)
	var c struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp/confirm", tok,
		map[string]string{"code": s["enrollment totp code"]}), 200).Decode(t, &c)
	if e.Secret == "" || len(c.RecoveryCodes) < 2 {
		t.Fatalf("enrollment: seed %q, %d recovery codes", e.Secret, len(c.RecoveryCodes))
	}
	return e.Secret, c.RecoveryCodes
}

func totpCode(t *testing.T, seed string, offset time.Duration) string {
	t.Helper()
	c, err := totp.Code(seed, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// found reports whether secret occurs in text. A short numeric code counts only
// as a whole token, not inside a longer run of digits or hex (a timestamp's
// fraction, a request id), which would match by chance.
func found(text, secret string) bool {
	if len(secret) > 8 {
		return strings.Contains(text, secret)
	}
	re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(secret) + `([^0-9A-Za-z]|$)`)
	return re.MatchString(text)
}
