package siem

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// maxResponseBody bounds what is read of a receiver's reply.
const maxResponseBody = 4 << 20

// retryableStatus reports whether a request refused with code may pass
// when sent again: timeouts, rate limits and server errors.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// newHTTPClient returns a client with its own transport, so a sink's TLS
// settings touch no other client.
func newHTTPClient(tlsCfg *tls.Config, dialTimeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSClientConfig = tlsCfg
	tr.MaxIdleConnsPerHost = 2
	return &http.Client{Transport: tr}
}

// checkBaseURL accepts an http(s) URL with a host and no credentials,
// query or fragment, and returns it without a trailing slash.
func checkBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("malformed url: %w", ErrInvalidEndpoint)
	}
	var errs []error
	if u.Scheme != "http" && u.Scheme != "https" {
		errs = append(errs, fmt.Errorf("scheme must be http or https: %w", ErrInvalidEndpoint))
	}
	if u.Host == "" {
		errs = append(errs, fmt.Errorf("missing host: %w", ErrInvalidEndpoint))
	}
	if u.User != nil {
		errs = append(errs, fmt.Errorf("credentials belong in the config, not the url: %w", ErrInvalidEndpoint))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("query or fragment not allowed: %w", ErrInvalidEndpoint))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	u.Path = trimSlash(u.Path)
	u.RawPath = ""
	return u, nil
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// post sends body and returns the status and up to maxResponseBody bytes
// of the reply. Errors carry the URL, which never holds credentials here.
func post(ctx context.Context, c *http.Client, target string, body []byte,
	header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}

	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read response: %w", err)
	}
	// Let the connection be reused if the reply was longer than we read.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	return resp.StatusCode, data, nil
}

// statusError turns a whole-request failure into the error Send returns:
// retried as a whole for retryable statuses, refused for good otherwise.
func statusError(service string, code int, detail string, batch []Event) error {
	msg := fmt.Sprintf("%s: status %d", service, code)
	if detail != "" {
		msg += " (" + detail + ")"
	}
	if retryableStatus(code) {
		return errors.New(msg)
	}
	return &SendError{Rejected: len(batch), Err: fmt.Errorf("%s: %w", msg, ErrRejected)}
}
