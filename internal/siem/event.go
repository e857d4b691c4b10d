package siem

import (
	"maps"
	"time"
)

// Event kinds.
const (
	KindSecurityEvent = "security_event"
	KindAudit         = "audit"
	KindAuditDigest   = "audit_digest"
)

// Event severities, lowest first.
const (
	SeverityInfo     = "info"
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Event is one record sent to the SIEM: a security event, an audit record
// or a digest of the audit chain. Fields carries flat key/value context
// (user id, client IP, route); it must not hold secrets.
type Event struct {
	Time     time.Time         `json:"time"`
	Kind     string            `json:"kind"`
	Type     string            `json:"type"`
	Severity string            `json:"severity"`
	Message  string            `json:"message"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// clone returns a copy that shares nothing mutable with ev.
func (ev Event) clone() Event {
	ev.Fields = maps.Clone(ev.Fields)
	return ev
}

// syslogSeverity maps an event severity onto the RFC 5424 §6.2.1 numeric
// severity. Unknown values map to notice so they are not lost in filters.
func syslogSeverity(s string) int {
	switch s {
	case SeverityCritical:
		return 2 // critical
	case SeverityHigh:
		return 3 // error
	case SeverityMedium:
		return 4 // warning
	case SeverityInfo:
		return 6 // informational
	default:
		return 5 // notice, also for "low"
	}
}
