package siem

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEventJSON(t *testing.T) {
	ev := Event{
		Time:     time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC),
		Kind:     KindSecurityEvent,
		Type:     "failed_login_attempt",
		Severity: SeverityHigh,
		Message:  "login failed",
		Fields:   map[string]string{"client_ip": "192.0.2.1"},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-01-02T03:04:05.006Z","kind":"security_event","type":"failed_login_attempt",` +
		`"severity":"high","message":"login failed","fields":{"client_ip":"192.0.2.1"}}`
	if string(b) != want {
		t.Errorf("json\n got %s\nwant %s", b, want)
	}

	var back Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(ev.Time) || back.Fields["client_ip"] != "192.0.2.1" || back.Type != ev.Type {
		t.Errorf("round trip = %+v", back)
	}

	b, _ = json.Marshal(Event{Kind: KindAuditDigest})
	if string(b) != `{"time":"0001-01-01T00:00:00Z","kind":"audit_digest","type":"","severity":"","message":""}` {
		t.Errorf("empty fields not omitted: %s", b)
	}
}

func TestSyslogSeverity(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{SeverityCritical, 2},
		{SeverityHigh, 3},
		{SeverityMedium, 4},
		{SeverityLow, 5},
		{SeverityInfo, 6},
		{"", 5},
		{"HIGH", 5},
	}
	for _, tt := range tests {
		if got := syslogSeverity(tt.in); got != tt.want {
			t.Errorf("syslogSeverity(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
