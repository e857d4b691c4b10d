package siem

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newTestSyslog starts a receiver for network and a sink aimed at it.
func newTestSyslog(t *testing.T, network string, opts ...Option) (*syslogReceiver, Sink) {
	t.Helper()
	var srvTLS *tls.Config
	if network == NetworkTLS {
		var pool *x509.CertPool
		srvTLS, pool = selfSignedTLS(t)
		opts = append([]Option{WithRootCAs(pool)}, opts...)
	}
	rcv := startSyslogReceiver(t, network, srvTLS)
	opts = append([]Option{WithHostname("venue-1"), WithDialTimeout(2 * time.Second)}, opts...)
	sinks, err := ParseEndpoints("syslog+"+network+"://"+rcv.addr, opts...)
	if err != nil {
		t.Fatalf("ParseEndpoints: %v", err)
	}
	t.Cleanup(func() { _ = sinks[0].Close() })
	return rcv, sinks[0]
}

func waitRecords(t *testing.T, rcv *syslogReceiver, n int) []string {
	t.Helper()
	eventually(t, 5*time.Second, strconv.Itoa(n)+" syslog records", func() bool {
		recs, _ := rcv.snapshot()
		return len(recs) >= n
	})
	recs, bad := rcv.snapshot()
	if len(bad) > 0 {
		t.Fatalf("framing errors at receiver: %q", bad)
	}
	return recs
}

func TestSyslogSinkDelivers(t *testing.T) {
	for _, network := range []string{NetworkUDP, NetworkTCP, NetworkTLS} {
		t.Run(network, func(t *testing.T) {
			rcv, sink := newTestSyslog(t, network)
			batch := make([]Event, 20)
			for i := range batch {
				batch[i] = Event{
					Time: time.Unix(1767225600, 0), Kind: KindSecurityEvent,
					Type: "failed_login_attempt", Severity: SeverityHigh,
					Message: "login failed", Fields: map[string]string{"seq": strconv.Itoa(i)},
				}
			}
			for range 2 { // the second batch reuses the connection
				if err := sink.Send(context.Background(), batch); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}

			recs := waitRecords(t, rcv, 40)
			if len(recs) != 40 {
				t.Fatalf("got %d records, want 40", len(recs))
			}
			for i, rec := range recs {
				r, err := parseRecord(rec)
				if err != nil {
					t.Fatalf("record %d %q: %v", i, rec, err)
				}
				if r.pri != FacilityAuthPriv*8+3 || r.hostname != "venue-1" ||
					r.msgID != "failed_login_attempt" || r.msg != "login failed" {
					t.Errorf("record %d = %+v", i, r)
				}
				if seq, _ := r.get("seq"); seq != strconv.Itoa(i%20) {
					t.Errorf("record %d has seq %q", i, seq)
				}
			}
		})
	}
}

// An attacker-chosen user name or message must arrive as one record whose
// every character is printable, and decode back to what was sent.
func TestSyslogSinkLogForging(t *testing.T) {
	msg := "login failed for admin\n<13>1 2026-01-01T00:00:00Z venue-1 octopus - - - " +
		"login ok\r\x00\x1b[2J\u2028\u0085<13>1 forged"
	user := "x\"] [evil a=\"b\"]\n16 <13>1 - - - - -"
	for _, network := range []string{NetworkUDP, NetworkTCP, NetworkTLS} {
		t.Run(network, func(t *testing.T) {
			rcv, sink := newTestSyslog(t, network)
			ev := Event{Type: "failed_login_attempt", Severity: SeverityMedium, Message: msg,
				Fields: map[string]string{"user": user}}
			if err := sink.Send(context.Background(), []Event{ev}); err != nil {
				t.Fatalf("Send: %v", err)
			}

			recs := waitRecords(t, rcv, 1)
			time.Sleep(50 * time.Millisecond) // a forged second record would show up now
			recs, _ = rcv.snapshot()
			if len(recs) != 1 {
				t.Fatalf("got %d records, want exactly 1: %q", len(recs), recs)
			}
			if err := checkPrintable(recs[0]); err != nil {
				t.Fatalf("%v in %q", err, recs[0])
			}
			r, err := parseRecord(recs[0])
			if err != nil {
				t.Fatalf("parse %q: %v", recs[0], err)
			}
			if got, _ := decodeMsg(r.msg); got != msg {
				t.Errorf("MSG decodes to %q", got)
			}
			if got, _ := r.get("user"); got != user {
				t.Errorf("user decodes to %q", got)
			}
			if !strings.Contains(r.msg, `\n<13>1`) || !strings.Contains(r.msg, `\r\x00\x1b`) {
				t.Errorf("control characters not escaped visibly: %q", r.msg)
			}
		})
	}
}

func TestSyslogSinkUDPCutsToMaxSize(t *testing.T) {
	rcv, sink := newTestSyslog(t, NetworkUDP)
	ev := Event{Type: "t", Severity: SeverityInfo, Message: strings.Repeat("ü", 5000),
		Fields: map[string]string{"k": "v"}}
	if err := sink.Send(context.Background(), []Event{ev}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	recs := waitRecords(t, rcv, 1)
	if len(recs[0]) > DefaultUDPMessageSize {
		t.Fatalf("datagram of %d bytes, max %d", len(recs[0]), DefaultUDPMessageSize)
	}
	r, err := parseRecord(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.get("truncated"); v != "true" {
		t.Errorf("truncated = %q, want true", v)
	}
	if !strings.HasPrefix(r.msg, utf8BOM+"üüü") {
		t.Errorf("MSG starts %q", r.msg[:20])
	}
}

func TestSyslogSinkTLSVerifiesReceiver(t *testing.T) {
	srvTLS, _ := selfSignedTLS(t)
	rcv := startSyslogReceiver(t, NetworkTLS, srvTLS)
	ev := []Event{{Type: "t", Severity: SeverityInfo}}

	_, otherPool := selfSignedTLS(t)
	sinks, err := ParseEndpoints("syslog+tls://"+rcv.addr, WithRootCAs(otherPool))
	if err != nil {
		t.Fatal(err)
	}
	defer sinks[0].Close()
	if err := sinks[0].Send(context.Background(), ev); err == nil {
		t.Fatal("Send to a receiver with an untrusted certificate succeeded")
	}

	insecure, err := ParseEndpoints("syslog+tls://"+rcv.addr, WithInsecureSkipVerifyForTests())
	if err != nil {
		t.Fatal(err)
	}
	defer insecure[0].Close()
	if err := insecure[0].Send(context.Background(), ev); err != nil {
		t.Fatalf("Send with verification off: %v", err)
	}
	waitRecords(t, rcv, 1)
}

// A receiver that went away is noticed before the next write, so that
// batch fails instead of vanishing into the kernel's buffers.
func TestSyslogSinkNoticesReceiverGone(t *testing.T) {
	for _, network := range []string{NetworkUDP, NetworkTCP, NetworkTLS} {
		t.Run(network, func(t *testing.T) {
			rcv, sink := newTestSyslog(t, network)
			ev := []Event{{Type: "t", Severity: SeverityInfo}}
			if err := sink.Send(context.Background(), ev); err != nil {
				t.Fatalf("first Send: %v", err)
			}
			waitRecords(t, rcv, 1)

			rcv.stop()
			if err := sink.Send(context.Background(), ev); err == nil {
				t.Fatal("Send after the receiver stopped succeeded")
			}

			rcv.start()
			if err := sink.Send(context.Background(), ev); err != nil {
				t.Fatalf("Send after restart: %v", err)
			}
			if recs := waitRecords(t, rcv, 2); len(recs) != 2 {
				t.Fatalf("got %d records, want 2", len(recs))
			}
		})
	}
}
