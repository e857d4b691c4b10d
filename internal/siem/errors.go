package siem

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidEndpoint reports an endpoint in SIEM_ENDPOINTS that cannot be used.
	ErrInvalidEndpoint = errors.New("invalid siem endpoint")

	// ErrRejected reports events that a receiver refused for good (for
	// example HTTP 400, 401 or 403): sending them again would not help.
	ErrRejected = errors.New("rejected by receiver")

	// ErrClosed is returned when a closed Forwarder or Sink is used.
	ErrClosed = errors.New("siem closed")

	// ErrBufferFull reports that the on-disk buffer of a sink is at its limit.
	ErrBufferFull = errors.New("siem buffer full")

	// ErrInvalidConfig reports a Forwarder configuration that cannot be used.
	ErrInvalidConfig = errors.New("invalid siem config")
)

// SendError is returned by a Sink when a batch was only partly delivered or
// was refused. Events in Retry failed for a reason that may pass (HTTP 429 or
// 5xx) and are sent again; Rejected counts events refused for good, which the
// Forwarder drops and counts. Any other error from Send means the whole
// batch is to be sent again.
type SendError struct {
	Retry    []Event
	Rejected int
	Err      error
}

// Error describes the outcome without event contents.
func (e *SendError) Error() string {
	return fmt.Sprintf("%d rejected, %d to retry: %v", e.Rejected, len(e.Retry), e.Err)
}

// Unwrap returns the underlying cause.
func (e *SendError) Unwrap() error { return e.Err }
