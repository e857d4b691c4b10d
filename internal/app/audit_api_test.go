package app_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// auditItem is one record as GET /admin/audit shows it.
type auditItem struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	RequestID  string    `json:"request_id"`
	UserID     *int64    `json:"user_id"`
	APIKeyHash string    `json:"api_key_hash"`
	ClientIP   string    `json:"client_ip"`
	Method     string    `json:"method"`
	Route      string    `json:"route"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	UserAgent  string    `json:"user_agent"`
	Hash       string    `json:"hash"`
}

type auditPage struct {
	Items      []auditItem `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// auditAPI is a venue whose audit trail holds a known set of requests.
type auditAPI struct {
	v          *apptest.Venue
	admin      string
	trader     string
	traderID   int64
	keyID, key string
	mark       time.Time // between the first and the second group of requests
	unauthUA   string
}

const (
	traderIP = "203.0.113.7"
	strayIP  = "198.51.100.9"
)

// newAuditAPI makes, besides the setup: from traderIP three account reads and,
// after mark, two reads of an unknown order; from strayIP one unauthenticated
// read with a formula for a user agent; the trader's API key creation and two
// reads with that key.
func newAuditAPI(t *testing.T) *auditAPI {
	a := &auditAPI{unauthUA: `=HYPERLINK("http://evil.example/x","open")`}
	a.v = apptest.Start(t, apptest.Options{Env: map[string]string{
		"TRUSTED_PROXIES": "127.0.0.1/32", "AUDIT_FLUSH_INTERVAL": "10ms"}})
	v := a.v
	a.admin = v.Admin()
	a.traderID, a.trader = v.Trader(a.admin, "mia")
	from := func(ip string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + a.trader, "X-Forwarded-For": ip}
	}
	for range 3 {
		v.Must(v.DoHeaders("GET", "/api/v1/account", nil, from(traderIP)), 200)
	}
	waitAudit(t, v)
	time.Sleep(2 * time.Millisecond)
	a.mark = time.Now()
	for range 2 {
		v.Must(v.DoHeaders("GET", "/api/v1/orders/424242", nil, from(traderIP)), 404)
	}
	v.Must(v.DoHeaders("GET", "/api/v1/account", nil, map[string]string{
		"X-Forwarded-For": strayIP, "User-Agent": a.unauthUA}), 401)

	var k struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	v.Must(v.Do("POST", "/api/v1/api-keys", a.trader, map[string]any{
		"name": "bot", "scopes": []string{"read"}, "signing": "none"}), 201).Decode(t, &k)
	a.keyID, a.key = k.ID, k.Key
	for range 2 {
		v.Must(v.DoHeaders("GET", "/api/v1/account", nil, map[string]string{"X-API-Key": a.key}), 200)
	}
	waitAudit(t, v)
	return a
}

// list fetches one JSON page of GET /admin/audit?query.
func (a *auditAPI) list(t *testing.T, query string) auditPage {
	t.Helper()
	var p auditPage
	a.v.Must(a.v.Do("GET", "/api/v1/admin/audit?"+query, a.admin, nil), 200).Decode(t, &p)
	return p
}

func TestAuditAPIFilters(t *testing.T) {
	a := newAuditAPI(t)
	mark := url.QueryEscape(a.mark.Format(time.RFC3339Nano))
	uid := strconv.FormatInt(a.traderID, 10)
	tests := []struct {
		name  string
		query string
		want  int
		match func(auditItem) bool
	}{
		// The trader's own login is recorded under the trader too.
		{"user", "user_id=" + uid, 9,
			func(i auditItem) bool { return i.UserID != nil && *i.UserID == a.traderID }},
		{"ip", "ip=" + traderIP, 5, func(i auditItem) bool { return i.ClientIP == traderIP }},
		{"route", "route=" + url.QueryEscape("GET /api/v1/orders/{id}"), 2,
			func(i auditItem) bool { return i.Route == "GET /api/v1/orders/{id}" && i.Status == 404 }},
		{"status", "status=401", 1,
			func(i auditItem) bool { return i.Status == 401 && i.ClientIP == strayIP }},
		{"ip and status", "ip=" + traderIP + "&status=200", 3,
			func(i auditItem) bool { return i.ClientIP == traderIP && i.Status == 200 }},
		{"from", "ip=" + traderIP + "&from=" + mark, 2,
			func(i auditItem) bool { return !i.Time.Before(a.mark) }},
		{"to", "ip=" + traderIP + "&to=" + mark, 3,
			func(i auditItem) bool { return i.Time.Before(a.mark) }},
		{"nobody", "ip=192.0.2.1", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := a.list(t, tt.query+"&limit=500").Items
			if len(items) != tt.want {
				t.Fatalf("%d records, want %d: %+v", len(items), tt.want, items)
			}
			for _, i := range items {
				if !tt.match(i) {
					t.Errorf("record %d does not match %s: %+v", i.ID, tt.query, i)
				}
			}
			if !slices.IsSortedFunc(items, func(x, y auditItem) int { return int(y.ID - x.ID) }) {
				t.Errorf("records not newest first")
			}
		})
	}

	for _, bad := range []string{"user_id=abc", "status=99", "from=yesterday", "to=2026-13-01",
		"format=xml", "limit=0", "limit=501", "cursor=-1", "colour=red"} {
		if r := a.v.Do("GET", "/api/v1/admin/audit?"+bad, a.admin, nil); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
}

func TestAuditAPICursor(t *testing.T) {
	a := newAuditAPI(t)
	var paged []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the cursor does not end")
		}
		p := a.list(t, "limit=3"+cursor)
		if len(p.Items) > 3 {
			t.Fatalf("page of %d with limit=3", len(p.Items))
		}
		for _, i := range p.Items {
			paged = append(paged, i.ID)
		}
		if p.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *p.NextCursor
	}
	// Listing is audited too: compare with everything up to the first page's top.
	top := paged[0]
	all := a.list(t, "limit=500&cursor="+strconv.FormatInt(top+1, 10)).Items
	var want []int64
	for _, i := range all {
		want = append(want, i.ID)
	}
	if !slices.Equal(paged, want) || int64(len(paged)) != top {
		t.Fatalf("paged ids %v, want %v (1 to %d, newest first)", paged, want, top)
	}
}

func TestAuditAPIExports(t *testing.T) {
	a := newAuditAPI(t)
	v := a.v

	r := v.Must(v.Do("GET", "/api/v1/admin/audit?format=csv&status=401", a.admin, nil), 200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("csv headers: %q, %q", ct, r.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, r.Body)
	}
	wantHeader := []string{"id", "time", "request_id", "user_id", "api_key_hash", "role", "client_ip",
		"method", "route", "path", "status", "latency_us", "user_agent", "summary", "hash", "prev_hash"}
	if len(rows) != 2 || !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("csv rows = %q", rows)
	}
	rec := map[string]string{}
	for i, h := range rows[0] {
		rec[h] = rows[1][i]
	}
	if rec["user_agent"] != "'"+a.unauthUA || rec["client_ip"] != strayIP || rec["status"] != "401" {
		t.Errorf("csv record = %v; the user agent must start with a quote, not a formula", rec)
	}
	for _, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			t.Errorf("csv cell %q starts a formula", cell)
		}
	}

	r = v.Must(v.Do("GET", "/api/v1/admin/audit?format=jsonl&ip="+traderIP, a.admin, nil), 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("jsonl content type %q", ct)
	}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	lines := 0
	for sc.Scan() {
		var i auditItem
		if err := json.Unmarshal(sc.Bytes(), &i); err != nil || i.ClientIP != traderIP || i.Hash == "" {
			t.Errorf("jsonl line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if lines != 5 {
		t.Errorf("jsonl lines = %d, want 5", lines)
	}
}

func TestAuditAPIKeySearch(t *testing.T) {
	a := newAuditAPI(t)
	v := a.v
	var h struct {
		Hash string `json:"hash"`
	}
	v.Must(v.Do("POST", "/api/v1/admin/audit/hash", a.admin, map[string]string{"value": a.keyID}),
		200).Decode(t, &h)
	if !strings.HasPrefix(h.Hash, "hmac:") || strings.Contains(h.Hash, a.keyID) {
		t.Fatalf("hash of the key id = %q", h.Hash)
	}
	items := a.list(t, "api_key_id="+url.QueryEscape(a.keyID)).Items
	if len(items) != 2 {
		t.Fatalf("%d records for the api key, want 2: %+v", len(items), items)
	}
	for _, i := range items {
		if i.APIKeyHash != h.Hash || i.UserID == nil || *i.UserID != a.traderID {
			t.Errorf("record %d: key hash %q user %v, want %q and %d", i.ID, i.APIKeyHash, i.UserID,
				h.Hash, a.traderID)
		}
	}
	// Searchable, not readable: the records of the key's requests hold its hash
	// only. (Its creation record's summary names it, as the DELETE path would.)
	r := v.Must(v.Do("GET", "/api/v1/admin/audit?format=jsonl&api_key_id="+url.QueryEscape(a.keyID),
		a.admin, nil), 200)
	if bytes.Count(r.Body, []byte("\n")) != 2 || bytes.Contains(r.Body, []byte(a.keyID)) {
		t.Errorf("the records made with api key %q show it: %s", a.keyID, r.Body)
	}
	if got := a.list(t, "api_key_id=nokey").Items; len(got) != 0 {
		t.Errorf("an unknown key id matched %d records", len(got))
	}
}

func TestAuditAPIAccess(t *testing.T) {
	a := newAuditAPI(t)
	v := a.v
	for _, tt := range []struct {
		method, path, token string
		body                any
		want                int
	}{
		{"GET", "/api/v1/admin/audit", a.trader, nil, 403},
		{"GET", "/api/v1/admin/audit?format=csv", a.trader, nil, 403},
		{"POST", "/api/v1/admin/audit/hash", a.trader, map[string]string{"value": "x"}, 403},
		{"GET", "/api/v1/admin/audit", "", nil, 401},
		{"POST", "/api/v1/admin/audit/hash", a.admin, map[string]string{"value": ""}, 400},
	} {
		if r := v.Do(tt.method, tt.path, tt.token, tt.body); r.Status != tt.want {
			t.Errorf("%s %s: %d, want %d: %s", tt.method, tt.path, r.Status, tt.want, r.Body)
		}
	}
	if n := countAnomalies(t, v, a.admin); n != 0 {
		t.Fatalf("%d data_access_anomaly events before any bulk export", n)
	}

	// A bulk export (1000 records or more) is itself a security event.
	c := newLoadClient(v.URL)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 130 {
				c.send("GET", "/healthz", nil, nil)
			}
		})
	}
	wg.Wait()
	c.closeIdle()
	waitAudit(t, v)
	// The stores return 500 records a call: the export must page through them.
	r := v.Must(v.Do("GET", "/api/v1/admin/audit?format=csv&limit=1000", a.admin, nil), 200)
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil || len(rows) != 1001 {
		t.Fatalf("exported %d rows (%v), want a header and 1000 records", len(rows), err)
	}
	for i := 2; i < len(rows); i++ {
		if prev, id := rows[i-1][0], rows[i][0]; mustInt(t, id) >= mustInt(t, prev) {
			t.Fatalf("export row %d: id %s after %s, want strictly newest first", i, id, prev)
		}
	}
	if n := countAnomalies(t, v, a.admin); n != 1 {
		t.Fatalf("%d data_access_anomaly events after a bulk export, want 1", n)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func countAnomalies(t *testing.T, v *apptest.Venue, admin string) int {
	t.Helper()
	var out struct {
		Items []struct {
			UserID *int64 `json:"user_id"`
			Detail string `json:"detail"`
		} `json:"items"`
	}
	r := v.Must(v.Do("GET", "/api/v1/admin/security-events?type=data_access_anomaly", admin, nil),
		http.StatusOK)
	r.Decode(t, &out)
	return len(out.Items)
}
