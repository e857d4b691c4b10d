package siem

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testToken = "11111111-2222-3333-4444-SECRETTOKEN0"

func testEvents(n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{
			Time:     time.UnixMilli(1767225600123 + int64(i)),
			Kind:     KindSecurityEvent,
			Type:     "failed_login_attempt",
			Severity: SeverityMedium,
			Message:  "login failed",
			Fields:   map[string]string{"seq": strconv.Itoa(i)},
		}
	}
	return evs
}

func newSplunk(t *testing.T, hec *hecServer, token string) Sink {
	t.Helper()
	spec := "splunk+http://" + token + "@" + strings.TrimPrefix(hec.URL, "http://")
	sinks, err := ParseEndpoints(spec, WithHostname("venue-1"))
	if err != nil {
		t.Fatalf("ParseEndpoints: %v", err)
	}
	t.Cleanup(func() { _ = sinks[0].Close() })
	return sinks[0]
}

func TestSplunkSinkDelivers(t *testing.T) {
	hec := startHEC(t, testToken)
	sink := newSplunk(t, hec, testToken)

	if err := sink.Send(context.Background(), testEvents(3)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	hec.mu.Lock()
	defer hec.mu.Unlock()
	if len(hec.bad) > 0 {
		t.Fatalf("receiver saw bad requests: %q", hec.bad)
	}
	if len(hec.events) != 3 || len(hec.headers) != 1 {
		t.Fatalf("got %d events in %d requests, want 3 in 1", len(hec.events), len(hec.headers))
	}
	first := hec.events[0]
	if first.Time != "1767225600.123" || first.Host != "venue-1" || first.SourceType != DefaultSourceType {
		t.Errorf("envelope = %+v", first)
	}
	if first.Event.Type != "failed_login_attempt" || first.Event.Fields["seq"] != "0" {
		t.Errorf("event = %+v", first.Event)
	}
	if ct := hec.headers[0].Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestSplunkSinkStatuses(t *testing.T) {
	tests := []struct {
		name         string
		token        string
		status       int
		wantErr      bool
		wantRejected int // -1: a plain error, the whole batch retried
	}{
		{"accepted", testToken, http.StatusOK, false, 0},
		{"busy", testToken, http.StatusServiceUnavailable, true, -1},
		{"rate limited", testToken, http.StatusTooManyRequests, true, -1},
		{"server error", testToken, http.StatusInternalServerError, true, -1},
		{"bad request", testToken, http.StatusBadRequest, true, 2},
		{"forbidden", testToken, http.StatusForbidden, true, 2},
		{"wrong token", "wrong-token", http.StatusOK, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hec := startHEC(t, testToken)
			hec.status.Store(int64(tt.status))
			sink := newSplunk(t, hec, tt.token)

			err := sink.Send(context.Background(), testEvents(2))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			checkOutcome(t, err, tt.wantRejected, 0)
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

// checkOutcome asserts what a failed Send asks of the Forwarder.
func checkOutcome(t *testing.T, err error, wantRejected, wantRetry int) {
	t.Helper()
	var se *SendError
	if wantRejected < 0 {
		if errors.As(err, &se) {
			t.Fatalf("got %v, want a plain error (retry all)", err)
		}
		return
	}
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want *SendError", err)
	}
	if se.Rejected != wantRejected || len(se.Retry) != wantRetry {
		t.Errorf("rejected %d retry %d, want %d and %d", se.Rejected, len(se.Retry), wantRejected, wantRetry)
	}
	if wantRejected > 0 && !errors.Is(err, ErrRejected) {
		t.Errorf("error %v does not wrap ErrRejected", err)
	}
}

func newElastic(t *testing.T, es *bulkServer, userinfo string) Sink {
	t.Helper()
	spec := "elasticsearch+http://" + userinfo + strings.TrimPrefix(es.URL, "http://") + "/security-events"
	sinks, err := ParseEndpoints(spec, WithHostname("venue-1"))
	if err != nil {
		t.Fatalf("ParseEndpoints: %v", err)
	}
	t.Cleanup(func() { _ = sinks[0].Close() })
	return sinks[0]
}

func TestElasticSinkDelivers(t *testing.T) {
	es := startBulk(t, "elastic", "S3cret-Pass")
	sink := newElastic(t, es, "elastic:S3cret-Pass@")

	if err := sink.Send(context.Background(), testEvents(3)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if len(es.bad) > 0 {
		t.Fatalf("receiver saw bad requests: %q", es.bad)
	}
	if len(es.docs) != 3 {
		t.Fatalf("got %d documents, want 3", len(es.docs))
	}
	if es.actions[0] != `{"index":{"_index":"security-events"}}` {
		t.Errorf("action line %s", es.actions[0])
	}
	doc := es.docs[2]
	if doc["@timestamp"] != "2026-01-01T00:00:00.125Z" || doc["type"] != "failed_login_attempt" ||
		doc["host"] != "venue-1" || doc["fields"].(map[string]any)["seq"] != "2" {
		t.Errorf("document = %v", doc)
	}
}

func TestElasticSinkStatuses(t *testing.T) {
	tests := []struct {
		name         string
		userinfo     string
		status       int
		itemStatus   func(doc map[string]any) int
		wantErr      bool
		wantRejected int
		wantRetry    []string // seq of the events handed back for retry
	}{
		{name: "accepted", userinfo: "elastic:pw@"},
		{name: "busy", userinfo: "elastic:pw@", status: http.StatusServiceUnavailable,
			wantErr: true, wantRejected: -1},
		{name: "wrong password", userinfo: "elastic:nope@", wantErr: true, wantRejected: 4},
		{name: "bad request", userinfo: "elastic:pw@", status: http.StatusBadRequest,
			wantErr: true, wantRejected: 4},
		{
			name: "some items throttled", userinfo: "elastic:pw@",
			itemStatus: seqStatus(map[string]int{"1": 429, "3": 503}),
			wantErr:    true, wantRetry: []string{"1", "3"},
		},
		{
			name: "one item refused, one throttled", userinfo: "elastic:pw@",
			itemStatus: seqStatus(map[string]int{"0": 400, "2": 429}),
			wantErr:    true, wantRejected: 1, wantRetry: []string{"2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := startBulk(t, "elastic", "pw")
			es.status.Store(int64(tt.status))
			es.setItemStatus(tt.itemStatus)
			sink := newElastic(t, es, tt.userinfo)

			err := sink.Send(context.Background(), testEvents(4))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if strings.Contains(err.Error(), "nope") || strings.Contains(err.Error(), ":pw") {
				t.Errorf("error shows the password: %v", err)
			}
			checkOutcome(t, err, tt.wantRejected, len(tt.wantRetry))
			var se *SendError
			if errors.As(err, &se) {
				for i, ev := range se.Retry {
					if ev.Fields["seq"] != tt.wantRetry[i] {
						t.Errorf("retry[%d] is seq %s, want %s", i, ev.Fields["seq"], tt.wantRetry[i])
					}
				}
			}
		})
	}
}

// seqStatus fails the documents whose seq field is listed.
func seqStatus(m map[string]int) func(doc map[string]any) int {
	return func(doc map[string]any) int {
		fields, _ := doc["fields"].(map[string]any)
		seq, _ := fields["seq"].(string)
		return m[seq]
	}
}

func TestEpochMillis(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.UnixMilli(1767225600123), "1767225600.123"},
		{time.UnixMilli(5), "0.005"},
		{time.Unix(0, 0), "0.000"},
		{time.UnixMilli(-1500), "-1.500"},
	}
	for _, tt := range tests {
		if got := epochMillis(tt.in); string(got) != tt.want {
			t.Errorf("epochMillis(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
