package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/octopus-venue/octopus/internal/config"
)

// runHealthcheck asks the local server's /healthz and fails unless it answers 200.
// It exists for container health checks: the image has no shell, curl or wget.
// Without -url it derives the address from HTTP_ADDR and TLS_CERT_FILE; the
// certificate is not verified, because it names the public host while the check
// goes to loopback.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", "", "URL to check (default: /healthz on HTTP_ADDR via loopback)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *target == "" {
		// Problems do not matter here: a server that runs had a valid configuration.
		cfg, _ := config.Load(config.FromEnv)
		*target = localHealthURL(cfg)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return usageError{"invalid -url"}
	}
	ip, _ := netip.ParseAddr(req.URL.Hostname())
	client := &http.Client{Transport: &http.Transport{
		// Verification is skipped for loopback only; see above.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: ip.IsLoopback()},
	}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: status %d", resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// localHealthURL is /healthz on the port of HTTP_ADDR through loopback.
func localHealthURL(cfg config.Config) string {
	_, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		port = "8080"
	}
	scheme := "http"
	if cfg.TLSEnabled() {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
}
