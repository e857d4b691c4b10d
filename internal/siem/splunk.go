package siem

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// DefaultSourceType is the Splunk sourcetype of every event.
const DefaultSourceType = "octopus:security"

// hecPath is the HEC endpoint for JSON events.
const hecPath = "/services/collector/event"

// SplunkConfig describes a Splunk HTTP Event Collector.
type SplunkConfig struct {
	// URL is the collector's base URL, such as https://splunk:8088,
	// without credentials.
	URL   string
	Token string
	// Host is the "host" of each event; os.Hostname() when empty.
	Host       string
	SourceType string // DefaultSourceType when empty
	Index      string // the token's default index when empty
	// TLSConfig is used for https URLs.
	TLSConfig   *tls.Config
	DialTimeout time.Duration
}

// SplunkSink posts events to the HEC JSON endpoint, one JSON object per
// event, newline-separated, in one request per batch.
type SplunkSink struct {
	cfg      SplunkConfig
	endpoint string
	name     string
	client   *http.Client
}

var _ Sink = (*SplunkSink)(nil)

// NewSplunkSink checks cfg and returns the sink.
func NewSplunkSink(cfg SplunkConfig) (*SplunkSink, error) {
	u, err := checkBaseURL(cfg.URL)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.Token == "" {
		errs = append(errs, fmt.Errorf("missing token: %w", ErrInvalidEndpoint))
	} else if !isToken(cfg.Token) {
		errs = append(errs, fmt.Errorf("token has characters not allowed: %w", ErrInvalidEndpoint))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	if cfg.SourceType == "" {
		cfg.SourceType = DefaultSourceType
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	prefix := "splunk://"
	if u.Scheme == "http" {
		prefix = "splunk+http://"
	}
	return &SplunkSink{
		cfg:      cfg,
		endpoint: u.String() + hecPath,
		name:     prefix + u.Host + u.Path,
		client:   newHTTPClient(tlsClientConfig(cfg.TLSConfig, u.Hostname()), cfg.DialTimeout),
	}, nil
}

// isToken accepts printable ASCII without spaces, which covers HEC tokens
// (GUIDs) and keeps header injection out.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Name identifies the sink; it never holds the token.
func (s *SplunkSink) Name() string { return s.name }

// String returns Name, so formatting a sink cannot leak its token.
func (s *SplunkSink) String() string { return s.name }

// hecEvent is one HEC event object.
type hecEvent struct {
	Time       json.Number `json:"time"`
	Host       string      `json:"host,omitempty"`
	SourceType string      `json:"sourcetype"`
	Index      string      `json:"index,omitempty"`
	Event      Event       `json:"event"`
}

// Send posts the batch. A 2xx reply means all of it was accepted; 408, 429
// and 5xx (and network errors) retry the batch; any other status refuses
// it for good.
func (s *SplunkSink) Send(ctx context.Context, batch []Event) error {
	var body []byte
	for _, ev := range batch {
		b, err := json.Marshal(hecEvent{
			Time:       epochMillis(ev.Time),
			Host:       s.cfg.Host,
			SourceType: s.cfg.SourceType,
			Index:      s.cfg.Index,
			Event:      ev,
		})
		if err != nil {
			return fmt.Errorf("splunk hec encode: %w", err)
		}
		body = append(body, b...)
		body = append(body, '\n')
	}

	header := http.Header{
		"Authorization": {"Splunk " + s.cfg.Token},
		"Content-Type":  {"application/json"},
	}
	code, reply, err := post(ctx, s.client, s.endpoint, body, header)
	if err != nil {
		return fmt.Errorf("splunk hec: %w", err)
	}
	if code/100 == 2 {
		return nil
	}
	return statusError("splunk hec", code, hecText(reply), batch)
}

// hecText extracts the "text" of a HEC error reply ("Invalid token",
// "Server is busy"); the collector never echoes the token there.
func hecText(reply []byte) string {
	var r struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(reply, &r) != nil {
		return ""
	}
	text, _ := escapeText(r.Text, 200)
	return text
}

// epochMillis renders t as epoch seconds with milliseconds, the HEC
// "time" format, without going through floating point.
func epochMillis(t time.Time) json.Number {
	ms := t.UnixMilli()
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	return json.Number(fmt.Sprintf("%s%d.%03d", sign, ms/1000, ms%1000))
}

// Close releases idle connections.
func (s *SplunkSink) Close() error {
	s.client.CloseIdleConnections()
	return nil
}
