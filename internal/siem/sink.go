package siem

import "context"

// Sink delivers batches of events to one receiver. A Forwarder calls Send
// from one goroutine per sink, so implementations need not serialise calls,
// though the ones here do.
type Sink interface {
	// Name identifies the sink in metrics, logs and buffer paths. It is
	// unique per receiver and never holds a secret.
	Name() string
	// Send delivers the batch. A nil error means every event arrived. A
	// *SendError tells which events to send again and how many were
	// refused for good; any other error means the whole batch is retried.
	Send(ctx context.Context, batch []Event) error
	// Close releases connections. Send must not be called afterwards.
	Close() error
}
