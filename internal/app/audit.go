package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/siem"
	"github.com/octopus-venue/octopus/internal/store"
)

// startAudit builds the audit writer: hash-chained records written in batches, a
// signed digest of the chain head every AUDIT_DIGEST_INTERVAL, and retention.
func (a *App) startAudit(ctx context.Context) error {
	as, ok := a.Store.(store.AuditStore)
	if !ok {
		return fmt.Errorf("the %s store keeps no audit trail", a.Store.Backend())
	}
	o := a.Config.Observability
	h, err := audit.NewHasher([]byte(a.Config.SecretKey))
	if err != nil {
		return fmt.Errorf("audit hasher: %w", err)
	}
	a.AuditHasher = h
	var key []byte
	if a.Config.IsProduction() {
		// Production keeps the signing key apart from the database and never makes
		// one up: a key created on the fly would sign whatever the host holds.
		k, err := audit.LoadSigningKey(o.AuditSigningKeyFile)
		if err != nil {
			return fmt.Errorf("AUDIT_SIGNING_KEY_FILE: %w", err)
		}
		key = k
	} else {
		k, created, err := audit.LoadOrCreateSigningKey(o.AuditSigningKeyFile)
		if err != nil {
			return fmt.Errorf("AUDIT_SIGNING_KEY_FILE: %w", err)
		}
		if created {
			a.Log.Warn("created an audit signing key; keep it apart from the database",
				"path", o.AuditSigningKeyFile)
		}
		key = k
	}
	opts := audit.Options{
		QueueSize: o.AuditQueueSize, BatchSize: o.AuditBatchSize, FlushInterval: o.AuditFlushInterval,
		MaxHeld: o.AuditMaxHeldRecords, SigningKey: key, DigestInterval: o.AuditDigestInterval,
		DigestFile: o.AuditDigestFile, Retention: time.Duration(o.AuditRetentionDays) * 24 * time.Hour,
		Hasher: h, Metrics: a.Metrics, Clock: a.clock, Logger: a.Log,
	}
	if a.SIEM != nil {
		opts.OnDigest = func(d audit.Digest) { a.SIEM.Forward(digestEvent(d)) }
	}
	a.Audit, err = audit.New(ctx, as, opts)
	if err != nil {
		return fmt.Errorf("audit writer: %w", err)
	}
	return a.Metrics.RegisterAuditQueue(func() float64 { return float64(a.Audit.Depth()) })
}

// auditObserver records every answered request; with SIEM_FORWARD_AUDIT it also
// forwards them.
func (a *App) auditObserver() func(context.Context, httpapi.RequestInfo) {
	forward := a.SIEM != nil && a.Config.SIEMForwardAudit
	return func(_ context.Context, i httpapi.RequestInfo) {
		if !i.Audited {
			a.Audit.Observe(a.auditRequest(i))
		}
		if forward {
			a.SIEM.Forward(siem.Event{Time: i.Time, Kind: siem.KindAudit, Type: "api_call",
				Severity: siem.SeverityInfo, Message: i.Method + " " + i.Route,
				Fields: map[string]string{"request_id": i.RequestID, "client_ip": i.ClientIP,
					"user_id": strconv.FormatInt(i.UserID, 10), "status": strconv.Itoa(i.Status)}})
		}
	}
}

// auditSync records a state-changing request and waits until the record is
// written: the API holds the answer until then.
func (a *App) auditSync(ctx context.Context, i httpapi.RequestInfo) error {
	return a.Audit.ObserveSync(ctx, a.auditRequest(i))
}

func (a *App) auditRequest(i httpapi.RequestInfo) audit.Request {
	return audit.Request{Time: i.Time, RequestID: i.RequestID, UserID: i.UserID,
		APIKeyID: i.APIKeyID, Role: i.Role, ClientIP: i.ClientIP, Method: i.Method,
		Route: i.Route, Path: a.auditPath(i.Route, i.Path), Status: i.Status, Latency: i.Latency,
		UserAgent: i.UserAgent, Summary: i.Summary}
}

// apiKeyRoute is the route whose path carries an API key id.
const apiKeyRoute = "DELETE /api/v1/api-keys/{id}"

// auditPath keeps API key ids out of the trail in readable form: the id in the path
// is replaced by its keyed hash, the same one the api_key_id column holds, so an
// admin can still search for it.
func (a *App) auditPath(route, path string) string {
	if route != apiKeyRoute {
		return path
	}
	i := strings.LastIndexByte(path, '/')
	if i < 0 || i == len(path)-1 {
		return path
	}
	return path[:i+1] + a.AuditHasher.Hash(path[i+1:])
}

func digestEvent(d audit.Digest) siem.Event {
	return siem.Event{Time: d.Time, Kind: siem.KindAuditDigest, Type: "audit_digest",
		Severity: siem.SeverityInfo, Message: "audit chain head signed",
		Fields: map[string]string{"record_id": strconv.FormatInt(d.ID, 10), "hash": d.Hash,
			"signature": d.Signature, "key_id": d.KeyID}}
}

// closeAudit drains the audit queue; records still unwritten at the deadline are
// reported, not silently dropped.
func (a *App) closeAudit() {
	if a.Audit == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.Audit.Close(ctx); err != nil {
		a.Log.Error("close audit writer", "error", err)
	}
	a.Audit = nil
}

// auditLog serves the admin audit API from the store and the keyed hasher.
type auditLog struct {
	store.AuditStore
	*audit.Hasher
}
