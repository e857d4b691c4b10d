// Package siem forwards security events (and, optionally, audit records)
// to a security information and event management system.
//
// Three kinds of sink are provided: syslog (RFC 5424 over UDP, TCP with
// RFC 6587 octet counting, or TLS per RFC 5425), the Splunk HTTP Event
// Collector and the Elasticsearch bulk API. ParseEndpoints builds them from
// the SIEM_ENDPOINTS setting.
//
// A Forwarder sits between the producers and the sinks. Forward never
// blocks on the network: each sink has a bounded in-memory queue that spills
// into a bounded on-disk buffer, and one goroutine per sink delivers batches
// with exponential backoff. Delivery is at least once: a batch whose outcome
// is unknown (a timeout, a connection that broke mid-write) is sent again, so
// a receiver may see a duplicate but, within the buffer limits, never a gap.
// Events keep their order per producer, except that Elasticsearch items
// retried on their own land after the rest of their batch.
//
// Syslog has no acknowledgement. Before each write the sink peeks at the
// socket, so a TCP or TLS receiver that closed its end, or a UDP port that
// answered with ICMP port unreachable, fails the batch instead of losing it.
// A UDP datagram dropped silently on the network is still lost: use TCP or
// TLS where every event must arrive.
//
// Nothing here logs or returns a token or password: sink names, String
// and every error show endpoints without credentials.
package siem
