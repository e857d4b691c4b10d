package config

import (
	"net"
	"strings"
	"time"
)

// Observability holds metrics, SIEM forwarding and audit trail settings.
type Observability struct {
	// MetricsAddr serves /metrics on its own listener, away from the public API;
	// "off" disables it.
	MetricsAddr  string
	MetricsToken string

	SIEMEndpoints      string
	SIEMBufferDir      string
	SIEMBufferMaxBytes int64
	// SIEMForwardAudit sends every audit record to the SIEM, not only security events.
	SIEMForwardAudit bool

	AuditDigestInterval time.Duration
	AuditSigningKeyFile string
	AuditPublicKeyFile  string
	AuditDigestFile     string
	AuditRetentionDays  int
	AuditQueueSize      int
	AuditMaxHeldRecords int
	AuditFlushInterval  time.Duration
	AuditBatchSize      int

	// OwnerLockDatabaseURL is where the order entry lock is held (see OwnerLockURL);
	// empty means DATABASE_URL.
	OwnerLockDatabaseURL string

	// Detector thresholds (see the README's security events table).
	DetectErrorThreshold  int
	DetectIDWalkThreshold int
	DetectWindow          time.Duration
	DetectReadWindow      time.Duration
	DetectReadFactor      int
	DetectReadMinimum     int
	DetectCooldown        time.Duration
}

func (c *Config) loadObservability(r *reader) {
	o := &c.Observability
	o.MetricsAddr = r.str("METRICS_ADDR", "127.0.0.1:9090")
	o.MetricsToken = r.str("METRICS_TOKEN", "")
	o.SIEMEndpoints = r.str("SIEM_ENDPOINTS", "")
	o.SIEMBufferDir = r.str("SIEM_BUFFER_DIR", "data/siem-buffer")
	o.SIEMBufferMaxBytes = int64(r.integer("SIEM_BUFFER_MAX_BYTES", 64<<20))
	o.SIEMForwardAudit = r.boolean("SIEM_FORWARD_AUDIT", false)
	o.AuditDigestInterval = r.duration("AUDIT_DIGEST_INTERVAL", time.Minute)
	o.AuditSigningKeyFile = r.str("AUDIT_SIGNING_KEY_FILE", "data/audit-signing-key.pem")
	o.AuditPublicKeyFile = r.str("AUDIT_PUBLIC_KEY_FILE", "")
	o.AuditDigestFile = r.str("AUDIT_DIGEST_FILE", "data/audit-digests.jsonl")
	o.AuditRetentionDays = r.integer("AUDIT_RETENTION_DAYS", 365)
	o.AuditQueueSize = r.integer("AUDIT_QUEUE_SIZE", 65536)
	o.AuditMaxHeldRecords = r.integer("AUDIT_MAX_HELD_RECORDS", 1_000_000)
	o.AuditFlushInterval = r.duration("AUDIT_FLUSH_INTERVAL", 100*time.Millisecond)
	o.AuditBatchSize = r.integer("AUDIT_BATCH_SIZE", 500)
	o.OwnerLockDatabaseURL = r.str("OWNER_LOCK_DATABASE_URL", "")
	o.DetectErrorThreshold = r.integer("DETECT_ERROR_THRESHOLD", 30)
	o.DetectIDWalkThreshold = r.integer("DETECT_ID_WALK_THRESHOLD", 15)
	o.DetectWindow = r.duration("DETECT_WINDOW", time.Minute)
	o.DetectReadWindow = r.duration("DETECT_READ_WINDOW", 5*time.Minute)
	o.DetectReadFactor = r.integer("DETECT_READ_FACTOR", 10)
	o.DetectReadMinimum = r.integer("DETECT_READ_MINIMUM", 500)
	o.DetectCooldown = r.duration("DETECT_COOLDOWN", 5*time.Minute)
	if o.DetectErrorThreshold < 1 || o.DetectIDWalkThreshold < 1 || o.DetectReadFactor < 1 ||
		o.DetectReadMinimum < 1 || o.DetectWindow <= 0 || o.DetectReadWindow <= 0 || o.DetectCooldown <= 0 {
		r.fail("DETECT_* thresholds and windows must be positive")
	}

	if o.MetricsAddr != "off" {
		host, _, err := net.SplitHostPort(o.MetricsAddr)
		switch {
		case err != nil:
			r.fail("METRICS_ADDR must be host:port or off, not %q", o.MetricsAddr)
		case c.IsProduction() && o.MetricsToken == "" && !isLoopback(host):
			r.fail("METRICS_ADDR %s is reachable beyond this host: set METRICS_TOKEN "+
				"(or bind it to 127.0.0.1)", o.MetricsAddr)
		}
	}
	if o.MetricsToken != "" && len(o.MetricsToken) < 16 {
		r.fail("METRICS_TOKEN must be at least 16 characters")
	}
	if o.SIEMBufferMaxBytes < 0 {
		r.fail("SIEM_BUFFER_MAX_BYTES must not be negative")
	}
	if o.AuditDigestInterval < time.Second || o.AuditDigestInterval > 24*time.Hour {
		r.fail("AUDIT_DIGEST_INTERVAL must be between 1s and 24h")
	}
	if o.AuditRetentionDays < 1 {
		r.fail("AUDIT_RETENTION_DAYS must be at least 1")
	}
	if o.OwnerLockDatabaseURL != "" && !isPostgresURL(c.DatabaseURL) {
		r.fail("OWNER_LOCK_DATABASE_URL applies to PostgreSQL only; a SQLite database is " +
			"locked through a file next to it")
	}
	if o.OwnerLockDatabaseURL != "" && !isPostgresURL(o.OwnerLockDatabaseURL) {
		r.fail("OWNER_LOCK_DATABASE_URL must be a postgres:// URL to the same database as " +
			"DATABASE_URL")
	}
	if o.AuditQueueSize < 16 || o.AuditBatchSize < 1 || o.AuditMaxHeldRecords < o.AuditQueueSize {
		r.fail("AUDIT_QUEUE_SIZE (>= 16), AUDIT_BATCH_SIZE (>= 1) and AUDIT_MAX_HELD_RECORDS " +
			"(>= the queue size) are out of range")
	}
}

// OwnerLockURL is the database URL the order entry lock is held through:
// OWNER_LOCK_DATABASE_URL, or DATABASE_URL when that is unset. It must name the
// same PostgreSQL database (the advisory lock is per database); a separate
// route to it lets the lock session survive a fault of the pool's path, such as
// a connection pooler or proxy restarting, which the owner would otherwise
// take for a lost lock and exit on.
func (c Config) OwnerLockURL() string {
	if c.Observability.OwnerLockDatabaseURL != "" {
		return c.Observability.OwnerLockDatabaseURL
	}
	return c.DatabaseURL
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
