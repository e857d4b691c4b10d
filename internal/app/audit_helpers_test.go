package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/store"
)

// loadClient sends requests with a plain http.Client, as an outside client
// would: a request that fails in transport (the server restarting) is simply
// not answered. It keeps the request id and status of every answer.
type loadClient struct {
	base   atomic.Pointer[string]
	client *http.Client

	mu       sync.Mutex
	answered map[string]answer // by X-Request-Id
	failed   atomic.Int64      // requests that got no answer
}

// answer is what one answered request got.
type answer struct {
	method, path string
	status       int
	sent, done   time.Time
}

func newLoadClient(base string) *loadClient {
	c := &loadClient{answered: map[string]answer{},
		client: &http.Client{Timeout: 20 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	c.setBase(base)
	return c
}

func (c *loadClient) setBase(base string) { c.base.Store(&base) }

// closeIdle closes the client's idle connections. A graceful shutdown waits
// up to 5 s for a connection that never sent a request (net/http counts it
// idle only then), and the transport may hold such a spare one.
func (c *loadClient) closeIdle() { c.client.CloseIdleConnections() }

// send issues one request; body is nil or a value sent as JSON. It returns the
// status and body, and ok false when no answer came.
func (c *loadClient) send(method, path string, headers map[string]string, body any) (int, []byte, bool) {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, *c.base.Load()+path, rd)
	if err != nil {
		panic(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	sent := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		c.failed.Add(1)
		return 0, nil, false
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.failed.Add(1)
		return 0, nil, false
	}
	id := resp.Header.Get("X-Request-Id")
	c.mu.Lock()
	c.answered[id] = answer{method: method, path: path, status: resp.StatusCode, sent: sent,
		done: time.Now()}
	c.mu.Unlock()
	return resp.StatusCode, data, true
}

// answers returns a copy of every answer so far.
func (c *loadClient) answers() map[string]answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]answer, len(c.answered))
	for id, a := range c.answered {
		out[id] = a
	}
	return out
}

func (c *loadClient) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.answered)
}

func bearerHeader(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// waitAudit waits until the venue's audit writer has written every record it
// took, and returns the chain head.
func waitAudit(t *testing.T, v *apptest.Venue) store.AuditHead {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := v.App.Audit.Stats()
		if s.Dropped > 0 {
			t.Fatalf("audit writer dropped %d records", s.Dropped)
		}
		if s.Queued == 0 && s.Held == 0 && s.Written == s.Enqueued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit writer did not catch up: %+v", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	head, err := v.App.Store.(store.AuditStore).LastAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// allAudit reads the whole kept trail, oldest first.
func allAudit(t *testing.T, st store.AuditStore) []store.AuditRecord {
	t.Helper()
	var out []store.AuditRecord
	after := int64(0)
	for {
		page, err := st.ScanAudit(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out
		}
		after = page[len(page)-1].ID
	}
}

// recordText is every field of a record as one string, for searching.
func recordText(r store.AuditRecord) string {
	return strings.Join([]string{r.RequestID, r.APIKeyID, r.Role, r.ClientIP, r.Method, r.Route,
		r.Path, r.UserAgent, r.Summary, fmt.Sprint(r.UserID, " ", r.Status)}, "\x00")
}

// orderBody is a limit order request.
func orderBody(side, price, clientID string) map[string]string {
	b := map[string]string{"symbol": "AAPL", "side": side, "type": "limit", "price": price,
		"quantity": "1"}
	if clientID != "" {
		b["client_order_id"] = clientID
	}
	return b
}

// orderID reads the id of an order answer.
func orderID(body []byte) int64 {
	var o struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(body, &o)
	return o.ID
}
