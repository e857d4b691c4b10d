package security

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DetectorConfig holds the thresholds of the request-pattern detectors. Each is
// documented in the README; zero fields take the defaults.
type DetectorConfig struct {
	// ErrorThreshold 401/403/404/429 answers to one IP or principal within Window
	// raise suspicious_api_usage.
	ErrorThreshold int
	// IDWalkThreshold distinct ids answered 404 on routes with an {id} within Window
	// raise suspicious_api_usage: someone is walking through ids.
	IDWalkThreshold int
	// Window is the length of the error and id-walk windows.
	Window time.Duration
	// ReadWindow is the length of a data access window.
	ReadWindow time.Duration
	// ReadFactor times a principal's baseline of reads per window, and at least
	// ReadMinimum, raise data_access_anomaly.
	ReadFactor  int
	ReadMinimum int
	// Cooldown is how long one key stays quiet after an event, so an ongoing attack
	// raises one event per cooldown rather than one per request.
	Cooldown time.Duration
}

func (c *DetectorConfig) defaults() {
	if c.ErrorThreshold <= 0 {
		c.ErrorThreshold = 30
	}
	if c.IDWalkThreshold <= 0 {
		c.IDWalkThreshold = 15
	}
	if c.Window <= 0 {
		c.Window = time.Minute
	}
	if c.ReadWindow <= 0 {
		c.ReadWindow = 5 * time.Minute
	}
	if c.ReadFactor <= 0 {
		c.ReadFactor = 10
	}
	if c.ReadMinimum <= 0 {
		c.ReadMinimum = 500
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 5 * time.Minute
	}
}

// Request is what a detector learns about one answered request.
type Request struct {
	Time     time.Time
	UserID   int64
	APIKeyID string
	ClientIP string
	Method   string
	Route    string
	Path     string
	Status   int
}

// recorder is the part of Recorder the detector needs.
type recorder interface {
	Record(ctx context.Context, eventType string, userID int64, ip, detail string)
}

// Detector watches answered requests for the patterns of the specification:
// bursts of refused requests, id walking, and reads far above a principal's baseline.
type Detector struct {
	cfg DetectorConfig
	rec recorder

	mu       sync.Mutex
	errors   map[string]*window
	walks    map[string]*walk
	reads    map[string]*baseline
	quietTil map[string]time.Time
}

type window struct {
	start time.Time
	count int
}

type walk struct {
	start time.Time
	ids   map[string]struct{}
}

// baseline tracks reads per window and an exponentially weighted average of past
// windows (weight 1/4 for the newest), so a principal is compared with itself.
type baseline struct {
	start   time.Time
	count   int
	average float64
	windows int
	raised  bool
}

// maxKeys bounds the detector's memory; past it, the oldest state is dropped.
const maxKeys = 100_000

// NewDetector returns a Detector recording through rec.
func NewDetector(cfg DetectorConfig, rec recorder) *Detector {
	cfg.defaults()
	return &Detector{cfg: cfg, rec: rec, errors: map[string]*window{}, walks: map[string]*walk{},
		reads: map[string]*baseline{}, quietTil: map[string]time.Time{}}
}

// Observe looks at one answered request.
func (d *Detector) Observe(ctx context.Context, r Request) {
	principal := principalKey(r)
	var events []func()
	d.mu.Lock()
	d.trim()
	switch r.Status {
	case 401, 403, 404, 429:
		for _, key := range []string{"ip:" + r.ClientIP, principal} {
			if key == "" {
				continue
			}
			if n := d.countError(key, r.Time); n >= d.cfg.ErrorThreshold && d.speak("err"+key, r.Time) {
				detail := fmt.Sprintf("%d refused requests (401/403/404/429) from %s within %s",
					n, key, d.cfg.Window)
				events = append(events, d.event(ctx, SuspiciousAPIUsage, r, detail))
			}
		}
	}
	if r.Status == 404 && strings.Contains(r.Route, "{") && principal != "" {
		if n := d.countWalk(principal, r.Path, r.Time); n >= d.cfg.IDWalkThreshold &&
			d.speak("walk"+principal, r.Time) {
			detail := fmt.Sprintf("%d different ids not found on %s within %s: id walking",
				n, r.Route, d.cfg.Window)
			events = append(events, d.event(ctx, SuspiciousAPIUsage, r, detail))
		}
	}
	if r.Method == "GET" && r.Status == 200 && principal != "" {
		if n, avg, hit := d.countRead(principal, r.Time); hit && d.speak("read"+principal, r.Time) {
			detail := fmt.Sprintf("%d reads in %s against a baseline of %.0f", n, d.cfg.ReadWindow, avg)
			events = append(events, d.event(ctx, DataAccessAnomaly, r, detail))
		}
	}
	d.mu.Unlock()
	for _, e := range events {
		e()
	}
}

// BulkExport records a data_access_anomaly for an export of many records at once.
func (d *Detector) BulkExport(ctx context.Context, r Request, records int) {
	d.rec.Record(ctx, DataAccessAnomaly, r.UserID, r.ClientIP,
		fmt.Sprintf("bulk export of %d records via %s", records, r.Route))
}

func (d *Detector) event(ctx context.Context, typ string, r Request, detail string) func() {
	return func() { d.rec.Record(ctx, typ, r.UserID, r.ClientIP, detail) }
}

func principalKey(r Request) string {
	switch {
	case r.APIKeyID != "":
		return "key:" + r.APIKeyID
	case r.UserID != 0:
		return "user:" + strconv.FormatInt(r.UserID, 10)
	}
	return ""
}

func (d *Detector) countError(key string, now time.Time) int {
	w := d.errors[key]
	if w == nil || now.Sub(w.start) >= d.cfg.Window {
		w = &window{start: now}
		d.errors[key] = w
	}
	w.count++
	return w.count
}

func (d *Detector) countWalk(key, path string, now time.Time) int {
	w := d.walks[key]
	if w == nil || now.Sub(w.start) >= d.cfg.Window {
		w = &walk{start: now, ids: map[string]struct{}{}}
		d.walks[key] = w
	}
	if len(w.ids) < 10_000 {
		w.ids[path] = struct{}{}
	}
	return len(w.ids)
}

// countRead counts a read and reports whether this window crossed the anomaly line:
// ReadFactor × the principal's baseline, and never below ReadMinimum. A principal
// with no history is compared with ReadMinimum alone.
func (d *Detector) countRead(key string, now time.Time) (int, float64, bool) {
	b := d.reads[key]
	if b == nil {
		b = &baseline{start: now}
		d.reads[key] = b
	}
	for now.Sub(b.start) >= d.cfg.ReadWindow {
		b.average = b.average*0.75 + float64(b.count)*0.25
		if b.windows == 0 {
			b.average = float64(b.count)
		}
		b.windows++
		b.start, b.count, b.raised = b.start.Add(d.cfg.ReadWindow), 0, false
		if now.Sub(b.start) > 10*d.cfg.ReadWindow {
			b.start = now
		}
	}
	b.count++
	limit := max(float64(d.cfg.ReadMinimum), b.average*float64(d.cfg.ReadFactor))
	if !b.raised && float64(b.count) > limit {
		b.raised = true
		return b.count, b.average, true
	}
	return b.count, b.average, false
}

// speak reports whether key may raise an event now, starting its cooldown if so.
func (d *Detector) speak(key string, now time.Time) bool {
	if now.Before(d.quietTil[key]) {
		return false
	}
	d.quietTil[key] = now.Add(d.cfg.Cooldown)
	return true
}

// trim drops all state when it grows past maxKeys: detection restarts from zero,
// which costs a few minutes of memory, never correctness of what was recorded.
func (d *Detector) trim() {
	if len(d.errors)+len(d.walks)+len(d.reads)+len(d.quietTil) < maxKeys {
		return
	}
	d.errors, d.walks = map[string]*window{}, map[string]*walk{}
	d.reads, d.quietTil = map[string]*baseline{}, map[string]time.Time{}
}
