package siem

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		name      string
		spec      string
		want      []string // sink names
		wantErr   []string // substrings the error must hold
		secrets   []string // must appear in no error or name
		checkSink func(t *testing.T, sinks []Sink)
	}{
		{name: "empty disables forwarding", spec: "  "},
		{
			name: "every kind",
			spec: "syslog+udp://10.0.0.1:514, syslog+tcp://siem.example:601," +
				"syslog+tls://siem.example:6514,splunk://SECRETTOKEN@splunk.example:8088," +
				"splunk+http://SECRETTOKEN@127.0.0.1:18088,elasticsearch://es.example:9200/sec," +
				"elasticsearch+http://elastic:TOPSECRETPW@127.0.0.1:19200/audit-log",
			want: []string{
				"syslog+udp://10.0.0.1:514", "syslog+tcp://siem.example:601",
				"syslog+tls://siem.example:6514", "splunk://splunk.example:8088",
				"splunk+http://127.0.0.1:18088", "elasticsearch://es.example:9200/sec",
				"elasticsearch+http://127.0.0.1:19200/audit-log",
			},
			secrets: []string{"SECRETTOKEN", "TOPSECRETPW"},
		},
		{
			name: "default ports",
			spec: "syslog+udp://a,syslog+tcp://b,syslog+tls://c,splunk://tok@d,elasticsearch://e/i",
			want: []string{
				"syslog+udp://a:514", "syslog+tcp://b:601", "syslog+tls://c:6514",
				"splunk://d:8088", "elasticsearch://e:9200/i",
			},
		},
		{
			name: "syslog parameters",
			spec: "syslog+udp://a?facility=local0&max_size=4096,syslog+tcp://b?facility=13",
			want: []string{"syslog+udp://a:514", "syslog+tcp://b:601"},
			checkSink: func(t *testing.T, sinks []Sink) {
				udp, tcp := sinks[0].(*SyslogSink), sinks[1].(*SyslogSink)
				if udp.cfg.Facility != FacilityLocal0 || udp.cfg.MaxMessageSize != 4096 {
					t.Errorf("udp facility %d size %d", udp.cfg.Facility, udp.cfg.MaxMessageSize)
				}
				if tcp.cfg.Facility != 13 {
					t.Errorf("tcp facility %d", tcp.cfg.Facility)
				}
			},
		},
		{
			name: "splunk token as password and parameters",
			spec: "splunk://:SECRETTOKEN@s?index=security&sourcetype=octopus:audit",
			want: []string{"splunk://s:8088"},
			checkSink: func(t *testing.T, sinks []Sink) {
				s := sinks[0].(*SplunkSink)
				if s.cfg.Token != "SECRETTOKEN" || s.cfg.Index != "security" ||
					s.cfg.SourceType != "octopus:audit" || s.endpoint != "https://s:8088"+hecPath {
					t.Errorf("splunk sink %+v", s.cfg)
				}
			},
			secrets: []string{"SECRETTOKEN"},
		},
		{
			name:    "splunk without token",
			spec:    "splunk://splunk.example:8088",
			wantErr: []string{"endpoint 1 (splunk://splunk.example:8088)", "missing token"},
		},
		{
			name:    "unknown scheme",
			spec:    "ftp://x",
			wantErr: []string{`unknown scheme "ftp"`},
		},
		{
			name:    "credentials on syslog",
			spec:    "syslog+tcp://admin:SECRETPW@h:601",
			wantErr: []string{"endpoint 1 (syslog+tcp://h:601)", "no credentials"},
			secrets: []string{"SECRETPW", "admin"},
		},
		{
			name:    "bad elasticsearch index and port",
			spec:    "elasticsearch://elastic:SECRETPW@h:99999/Bad*Index",
			wantErr: []string{`port "99999"`, "not a valid index name"},
			secrets: []string{"SECRETPW"},
		},
		{
			name:    "elasticsearch without index",
			spec:    "elasticsearch://h:9200",
			wantErr: []string{"missing index"},
		},
		{
			name:    "elasticsearch user without password",
			spec:    "elasticsearch://elastic@h/i",
			wantErr: []string{"user without password"},
		},
		{
			name:    "bad syslog parameters",
			spec:    "syslog+udp://h?facility=nope&max_size=100,syslog+tcp://h?max_size=4096",
			wantErr: []string{`facility "nope"`, "max message size 100", "max_size applies to udp only"},
		},
		{
			name:    "unknown parameter shows its name only",
			spec:    "splunk://SECRETTOKEN@h?token=OTHERSECRET",
			wantErr: []string{`unknown parameter "token"`},
			secrets: []string{"SECRETTOKEN", "OTHERSECRET"},
		},
		{
			name:    "malformed url hides its content",
			spec:    "splunk://SECRET TOKEN@h:8088",
			wantErr: []string{"endpoint 1 (splunk://…)", "malformed url"},
			secrets: []string{"SECRET", "TOKEN"},
		},
		{
			name:    "bad control characters in token",
			spec:    "splunk://SECRET%0ATOKEN@h:8088",
			wantErr: []string{"token has characters not allowed"},
			secrets: []string{"SECRET", "TOKEN"},
		},
		{
			name:    "empty entry and duplicate",
			spec:    "syslog+udp://h,,syslog+udp://h:514",
			wantErr: []string{"endpoint 2: empty", "endpoint 3 (syslog+udp://h:514): same receiver as endpoint 1"},
		},
		{
			name:    "opaque url",
			spec:    "syslog+udp:h:514",
			wantErr: []string{"url needs scheme://host"},
		},
		{
			name: "every problem reported at once",
			spec: "splunk://h,elasticsearch://h,nope://h",
			wantErr: []string{
				"endpoint 1 (splunk://h)", "endpoint 2 (elasticsearch://h)", "endpoint 3 (nope://h)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sinks, err := ParseEndpoints(tt.spec)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("ParseEndpoints(%q) = %v, want an error", tt.spec, sinks)
				}
				if !errors.Is(err, ErrInvalidEndpoint) {
					t.Errorf("error %v does not wrap ErrInvalidEndpoint", err)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				checkNoSecrets(t, err.Error(), tt.secrets)
				return
			}
			if err != nil {
				t.Fatalf("ParseEndpoints(%q): %v", tt.spec, err)
			}
			defer closeAll(sinks)

			var names []string
			for _, s := range sinks {
				names = append(names, s.Name())
				checkNoSecrets(t, fmt.Sprint(s), tt.secrets)
				checkNoSecrets(t, fmt.Sprintf("%v %+v %s", s, s, s.Name()), tt.secrets)
			}
			if strings.Join(names, " ") != strings.Join(tt.want, " ") {
				t.Errorf("names %q, want %q", names, tt.want)
			}
			if tt.checkSink != nil {
				tt.checkSink(t, sinks)
			}
		})
	}
}

func checkNoSecrets(t *testing.T, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%q shows the secret %q", text, s)
		}
	}
}

func closeAll(sinks []Sink) {
	for _, s := range sinks {
		_ = s.Close()
	}
}

func TestRedactEndpoint(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"splunk://TOKEN@h:8088?index=x", "splunk://h:8088"},
		{"elasticsearch://u:PW@h:9200/idx", "elasticsearch://h:9200/idx"},
		{"syslog+tls://h:6514", "syslog+tls://h:6514"},
		{"splunk://TO KEN@h", "splunk://…"},
		{"TOKEN", "…"},
		{"%%TOKEN://x", "…"},
	}
	for _, tt := range tests {
		if got := RedactEndpoint(tt.in); got != tt.want {
			t.Errorf("RedactEndpoint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
