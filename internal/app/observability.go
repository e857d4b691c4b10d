package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/metrics"
	"github.com/octopus-venue/octopus/internal/security"
	"github.com/octopus-venue/octopus/internal/siem"
	"github.com/octopus-venue/octopus/internal/store"
)

// observability builds the metrics registry and the SIEM forwarder and connects the
// security event recorder to both.
func (a *App) observability() error {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	a.Metrics = m
	a.Events.Watch(m.WatchSecurityEvent)

	o := a.Config.Observability
	sinks, err := siem.ParseEndpoints(o.SIEMEndpoints)
	if err != nil {
		return fmt.Errorf("SIEM_ENDPOINTS: %w", err)
	}
	if len(sinks) == 0 {
		return nil
	}
	a.SIEM, err = siem.NewForwarder(siem.Config{
		BufferDir: o.SIEMBufferDir, BufferMaxBytes: o.SIEMBufferMaxBytes,
		Logger: a.Log, Registerer: reg,
	}, sinks...)
	if err != nil {
		return fmt.Errorf("siem: %w", err)
	}
	a.Events.Watch(func(e store.SecurityEvent) { a.SIEM.Forward(securityEvent(e)) })
	return nil
}

// securityEvent turns a stored security event into a SIEM event.
func securityEvent(e store.SecurityEvent) siem.Event {
	fields := map[string]string{"client_ip": e.IP}
	if e.UserID != 0 {
		fields["user_id"] = strconv.FormatInt(e.UserID, 10)
	}
	if e.ID != 0 {
		fields["event_id"] = strconv.FormatInt(e.ID, 10)
	}
	return siem.Event{Time: e.CreatedAt, Kind: "security_event", Type: e.Type,
		Severity: e.Severity, Message: e.Detail, Fields: fields}
}

// requestObserver feeds every answered request to the metrics and the detectors.
func (a *App) requestObserver() func(context.Context, httpapi.RequestInfo) {
	o := a.Config.Observability
	det := security.NewDetector(security.DetectorConfig{
		ErrorThreshold: o.DetectErrorThreshold, IDWalkThreshold: o.DetectIDWalkThreshold,
		Window: o.DetectWindow, ReadWindow: o.DetectReadWindow, ReadFactor: o.DetectReadFactor,
		ReadMinimum: o.DetectReadMinimum, Cooldown: o.DetectCooldown,
	}, a.Events)
	return func(ctx context.Context, ri httpapi.RequestInfo) {
		a.Metrics.ObserveRequest(ri.Route, ri.Method, ri.Status, ri.Latency)
		det.Observe(context.WithoutCancel(ctx), security.Request{Time: ri.Time, UserID: ri.UserID,
			APIKeyID: ri.APIKeyID, ClientIP: ri.ClientIP, Method: ri.Method, Route: ri.Route,
			Path: ri.Path, Status: ri.Status})
	}
}

// listenMetrics binds the /metrics listener at assembly, so its address is known
// before Serve runs and a port in use fails the start instead of a goroutine.
func (a *App) listenMetrics() error {
	addr := a.Config.MetricsAddr
	if addr == "off" || addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener %s: %w", addr, err)
	}
	a.metricsLn, a.metricsAddr = ln, ln.Addr().String()
	return nil
}

// serveMetrics runs /metrics on its own listener until ctx ends.
func (a *App) serveMetrics(ctx context.Context) error {
	if a.metricsLn == nil {
		return nil
	}
	ln := a.metricsLn
	a.metricsLn = nil
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler(a.Config.MetricsToken))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("metrics server", "error", err)
		}
	}()
	a.Log.Info("serving metrics", "addr", a.metricsAddr)
	return nil
}

// MetricsAddr is where /metrics listens, once Serve has started; empty when off.
func (a *App) MetricsAddr() string { return a.metricsAddr }

// closeSIEM flushes what the forwarder holds (to its disk buffer if the SIEM is down).
func (a *App) closeSIEM() {
	if a.SIEM == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.SIEM.Close(ctx); err != nil {
		a.Log.Warn("close SIEM forwarder", "error", err)
	}
}
