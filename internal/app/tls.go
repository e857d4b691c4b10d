package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/octopus-venue/octopus/internal/config"
)

// certCheckEvery spaces the checks of the certificate files for changes.
const certCheckEvery = time.Second

// tlsCipherSuites are the TLS 1.2 suites offered: ECDHE key exchange for forward
// secrecy and AEAD ciphers only, no CBC, no static RSA (RFC 9325 section 4.2).
// TLS 1.3 suites are all AEAD and not configurable in crypto/tls.
var tlsCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// NewTLSConfig returns the server TLS configuration for a certificate and key that
// are reloaded when their files change, so a renewed certificate takes effect
// without a restart.
func NewTLSConfig(certFile, keyFile string, log *slog.Logger) (*tls.Config, error) {
	r, err := newCertReloader(certFile, keyFile, log)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   tlsCipherSuites,
		GetCertificate: r.getCertificate,
	}, nil
}

// certReloader serves a certificate from files. At most once per certCheckEvery,
// a handshake looks at the files' modification times and sizes and reloads the pair
// when either changed. A pair that fails to load (a renewal caught half written)
// is logged and the previous certificate stays in service.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string
	checked time.Time
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	stamp, err := r.fileStamp()
	if err != nil {
		return nil, err
	}
	if err := r.load(stamp); err != nil {
		return nil, err
	}
	r.checked = time.Now()
	return r, nil
}

func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= certCheckEvery {
		r.checked = now
		r.reloadIfChanged()
	}
	return r.cert, nil
}

// reloadIfChanged loads the pair when its files changed; the caller holds r.mu.
func (r *certReloader) reloadIfChanged() {
	stamp, err := r.fileStamp()
	if err != nil {
		r.log.Warn("tls certificate files unreadable; keeping the loaded certificate",
			"error", err)
		return
	}
	if stamp == r.stamp {
		return
	}
	if err := r.load(stamp); err != nil {
		// Remember the stamp anyway: the next write to either file retries.
		r.stamp = stamp
		r.log.Warn("tls certificate reload failed; keeping the loaded certificate",
			"error", err)
		return
	}
	r.log.Info("tls certificate reloaded", "cert_file", r.certFile)
}

func (r *certReloader) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load tls certificate %s: %w", r.certFile, err)
	}
	r.cert, r.stamp = &cert, stamp
	return nil
}

// fileStamp summarizes both files' modification times and sizes.
func (r *certReloader) fileStamp() (string, error) {
	stamp := ""
	for _, name := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return "", fmt.Errorf("stat tls file: %w", err)
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

// secureServer gives srv the TLS configuration when TLS_CERT_FILE is set and starts
// the redirector of HTTP_REDIRECT_ADDR towards ln. The returned function stops the
// redirector.
func (a *App) secureServer(srv *http.Server, ln net.Listener) (func(), error) {
	if a.Config.TLSEnabled() {
		tc, err := NewTLSConfig(a.Config.TLSCertFile, a.Config.TLSKeyFile, a.Log)
		if err != nil {
			return nil, err
		}
		srv.TLSConfig = tc
	}
	return a.startRedirector(redirectPort(a.Config, ln))
}

// redirectPort is the port the redirector points at: HTTPS_PORT when set, else the
// port the TLS listener really has (HTTP_ADDR may say :0).
func redirectPort(cfg config.Config, ln net.Listener) int {
	if cfg.HTTPSPort != 0 {
		return cfg.HTTPSPort
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.Port != 0 {
		return tcp.Port
	}
	return cfg.RedirectPort()
}

// serveOn serves srv on ln, in TLS when srv has a TLS configuration. ServeTLS adds
// HTTP/2 to the offered protocols.
func serveOn(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

// startRedirector serves HTTP_REDIRECT_ADDR, which answers every plain HTTP request
// with a redirect to HTTPS on httpsPort. The returned function stops it.
func (a *App) startRedirector(httpsPort int) (func(), error) {
	addr := a.Config.HTTPRedirectAddr
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on HTTP_REDIRECT_ADDR %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           a.API.Redirector(httpsPort),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      5 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("https redirector stopped", "error", err)
		}
	}()
	a.Log.Info("redirecting plain http to https", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
