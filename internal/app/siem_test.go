package app_test

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// udpSyslog is a syslog receiver on loopback that keeps every datagram.
type udpSyslog struct {
	conn net.PacketConn
	mu   sync.Mutex
	msgs []string
}

func listenSyslog(t *testing.T) *udpSyslog {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &udpSyslog{conn: c}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, string(buf[:n]))
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close() })
	return s
}

func (s *udpSyslog) waitFor(t *testing.T, needle string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for _, m := range s.msgs {
			if strings.Contains(m, needle) {
				s.mu.Unlock()
				return m
			}
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no syslog record contains %q", needle)
	return ""
}

// TestSecurityEventsReachSyslog triggers each of the five security events of the
// specification and waits for each at a real RFC 5424 receiver.
func TestSecurityEventsReachSyslog(t *testing.T) {
	rx := listenSyslog(t)
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"SIEM_ENDPOINTS":           "syslog+udp://" + rx.conn.LocalAddr().String(),
		"LOCKOUT_THRESHOLD":        "3",
		"DETECT_ERROR_THRESHOLD":   "8",
		"DETECT_READ_MINIMUM":      "20",
		"DETECT_ID_WALK_THRESHOLD": "50",
	}})
	admin := v.Admin()
	_, trader := v.Trader(admin, "eve")

	for range 3 { // failed_login_attempt, then account_lockout at the third
		v.Must(v.Do("POST", "/api/v1/auth/login", "", map[string]string{
			"username": "eve", "password": "not-her-password"}), 401)
	}
	v.Must(v.Do("GET", "/api/v1/admin/users", trader, nil), 403) // privilege_escalation
	for range 8 {                                                // suspicious_api_usage
		v.Must(v.Do("GET", "/api/v1/me", "bogus-token", nil), 401)
	}
	for range 21 { // data_access_anomaly
		v.Must(v.Do("GET", "/api/v1/symbols", admin, nil), 200)
	}
	for _, typ := range []string{"failed_login_attempt", "account_lockout", "privilege_escalation",
		"suspicious_api_usage", "data_access_anomaly"} {
		msg := rx.waitFor(t, typ)
		if !strings.HasPrefix(msg, "<") || strings.ContainsAny(msg, "\n\r") {
			t.Errorf("%s: not one RFC 5424 line: %q", typ, msg)
		}
	}
}
