package siem

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEndpointOptions(t *testing.T) {
	sinks, err := ParseEndpoints("syslog+tcp://h,syslog+udp://h?facility=local3",
		WithAppName("octopus-api"), WithFacility(FacilityLocal0), WithHostname("venue-9"),
		WithDialTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(sinks)

	tcp, udp := sinks[0].(*SyslogSink), sinks[1].(*SyslogSink)
	if tcp.header.AppName != "octopus-api" || tcp.header.Hostname != "venue-9" ||
		tcp.header.Facility != FacilityLocal0 || tcp.cfg.DialTimeout != time.Second {
		t.Errorf("tcp sink %+v", tcp.cfg)
	}
	if udp.header.Facility != 19 {
		t.Errorf("the URL's facility should win over the option: %d", udp.header.Facility)
	}
}

// TestHTTPSinksOverTLS uses the plain scheme names, which mean HTTPS, with
// the receiver's certificate trusted through WithTLSConfig.
func TestHTTPSinksOverTLS(t *testing.T) {
	var got []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got = append(got, req.URL.Path)
		if req.URL.Path == "/_bulk" {
			_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[{"index":{"status":201}}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	host := strings.TrimPrefix(srv.URL, "https://")

	sinks, err := ParseEndpoints("splunk://tok@"+host+",elasticsearch://"+host+"/idx",
		WithTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(sinks)
	for _, s := range sinks {
		if err := s.Send(context.Background(), testEvents(1)); err != nil {
			t.Errorf("%s: %v", s.Name(), err)
		}
	}
	if strings.Join(got, " ") != hecPath+" /_bulk" {
		t.Errorf("requests %v", got)
	}

	untrusted, err := ParseEndpoints("splunk://tok@" + host)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(untrusted)
	if err := untrusted[0].Send(context.Background(), testEvents(1)); err == nil {
		t.Error("HTTPS to an untrusted certificate succeeded")
	}
}
