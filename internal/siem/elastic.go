package siem

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// ElasticConfig describes an Elasticsearch (or OpenSearch) cluster.
type ElasticConfig struct {
	// URL is the cluster's base URL, such as https://es:9200, without
	// credentials.
	URL      string
	Index    string
	Username string // basic auth when set
	Password string
	// Host is added to each document; os.Hostname() when empty.
	Host string
	// TLSConfig is used for https URLs.
	TLSConfig   *tls.Config
	DialTimeout time.Duration
}

// ElasticSink indexes events through the bulk API, one request per batch.
type ElasticSink struct {
	cfg      ElasticConfig
	endpoint string
	name     string
	action   []byte // the bulk action line, the same for every event
	auth     string
	client   *http.Client
}

var _ Sink = (*ElasticSink)(nil)

// NewElasticSink checks cfg and returns the sink.
func NewElasticSink(cfg ElasticConfig) (*ElasticSink, error) {
	u, err := checkBaseURL(cfg.URL)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if err := checkIndexName(cfg.Index); err != nil {
		errs = append(errs, err)
	}
	if cfg.Username != "" && cfg.Password == "" {
		errs = append(errs, fmt.Errorf("user without password: %w", ErrInvalidEndpoint))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	action, err := json.Marshal(map[string]map[string]string{"index": {"_index": cfg.Index}})
	if err != nil {
		return nil, fmt.Errorf("encode bulk action: %w", err)
	}
	prefix := "elasticsearch://"
	if u.Scheme == "http" {
		prefix = "elasticsearch+http://"
	}

	s := &ElasticSink{
		cfg:      cfg,
		endpoint: u.String() + "/_bulk",
		name:     prefix + u.Host + u.Path + "/" + cfg.Index,
		action:   append(action, '\n'),
		client:   newHTTPClient(tlsClientConfig(cfg.TLSConfig, u.Hostname()), cfg.DialTimeout),
	}
	if cfg.Username != "" {
		creds := cfg.Username + ":" + cfg.Password
		s.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(creds))
	}
	return s, nil
}

// checkIndexName applies the Elasticsearch index naming rules.
func checkIndexName(index string) error {
	switch {
	case index == "":
		return fmt.Errorf("missing index: %w", ErrInvalidEndpoint)
	case len(index) > 255:
		return fmt.Errorf("index name longer than 255 bytes: %w", ErrInvalidEndpoint)
	case index == "." || index == "..",
		strings.ContainsAny(index[:1], "-_+"),
		strings.ContainsAny(index, `\/*?"<>| ,#:`),
		strings.ToLower(index) != index:
		return fmt.Errorf("index %q is not a valid index name: %w", index, ErrInvalidEndpoint)
	}
	for _, r := range index {
		if r < 0x21 || r == 0x7f {
			return fmt.Errorf("index name has control characters: %w", ErrInvalidEndpoint)
		}
	}
	return nil
}

// Name identifies the sink; it never holds the credentials.
func (s *ElasticSink) Name() string { return s.name }

// String returns Name, so formatting a sink cannot leak its password.
func (s *ElasticSink) String() string { return s.name }

// elasticDoc is the indexed document: the event plus the fields Kibana
// and most SIEM rules expect.
type elasticDoc struct {
	Timestamp time.Time `json:"@timestamp"`
	Host      string    `json:"host,omitempty"`
	Event
}

// bulkReply is the part of a bulk response we act on.
type bulkReply struct {
	Errors bool                  `json:"errors"`
	Items  []map[string]bulkItem `json:"items"`
}

type bulkItem struct {
	Status int `json:"status"`
	Error  *struct {
		Type string `json:"type"`
	} `json:"error"`
}

// Send indexes the batch. When the reply flags errors, only the items that
// failed with 429 or 5xx are returned for retry; the others that failed are
// refused for good (a mapping error will not pass on a second try).
func (s *ElasticSink) Send(ctx context.Context, batch []Event) error {
	var body []byte
	for _, ev := range batch {
		doc, err := json.Marshal(elasticDoc{Timestamp: ev.Time, Host: s.cfg.Host, Event: ev})
		if err != nil {
			return fmt.Errorf("elasticsearch encode: %w", err)
		}
		body = append(body, s.action...)
		body = append(body, doc...)
		body = append(body, '\n')
	}

	header := http.Header{"Content-Type": {"application/x-ndjson"}}
	if s.auth != "" {
		header.Set("Authorization", s.auth)
	}
	code, reply, err := post(ctx, s.client, s.endpoint, body, header)
	if err != nil {
		return fmt.Errorf("elasticsearch bulk: %w", err)
	}
	if code/100 != 2 {
		return statusError("elasticsearch bulk", code, "", batch)
	}
	return bulkOutcome(reply, batch)
}

// bulkOutcome reads the per-item statuses of a bulk reply.
func bulkOutcome(reply []byte, batch []Event) error {
	var r bulkReply
	if err := json.Unmarshal(reply, &r); err != nil {
		return fmt.Errorf("elasticsearch bulk: decode reply: %w", err)
	}
	if !r.Errors {
		return nil
	}
	if len(r.Items) != len(batch) {
		return fmt.Errorf("elasticsearch bulk: %d items in reply for %d events", len(r.Items), len(batch))
	}

	se := &SendError{}
	var firstType string
	for i, item := range r.Items {
		var st bulkItem
		for _, v := range item {
			st = v // one key: the action name
		}
		switch {
		case st.Status/100 == 2:
		case retryableStatus(st.Status):
			se.Retry = append(se.Retry, batch[i])
		default:
			se.Rejected++
			if firstType == "" && st.Error != nil {
				firstType, _ = escapeText(st.Error.Type, 100)
			}
		}
	}
	if len(se.Retry) == 0 && se.Rejected == 0 {
		return nil
	}

	cause := fmt.Errorf("elasticsearch bulk: %d of %d items failed", len(se.Retry)+se.Rejected, len(batch))
	if se.Rejected > 0 {
		cause = fmt.Errorf("elasticsearch bulk: %d items refused (%s): %w", se.Rejected, firstType, ErrRejected)
	}
	se.Err = cause
	return se
}

// Close releases idle connections.
func (s *ElasticSink) Close() error {
	s.client.CloseIdleConnections()
	return nil
}
