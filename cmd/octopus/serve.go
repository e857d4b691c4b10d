package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/octopus-venue/octopus/internal/app"
	"github.com/octopus-venue/octopus/internal/config"
)

// loadConfig reads the environment, printing every problem on failure.
func loadConfig(stderr io.Writer) (config.Config, error) {
	cfg, err := config.Load(config.FromEnv)
	if err != nil {
		return cfg, err
	}
	return cfg, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := loadConfig(stderr)
	if err != nil {
		return fmt.Errorf("refusing to start: %w", err)
	}
	log := app.NewLogger(cfg.Debug)
	if cfg.GeneratedSecrets {
		log.Warn("SECRET_KEY and JWT_SECRET_KEY are not set: using random secrets for this " +
			"process only; tokens and sealed MFA seeds will not survive a restart")
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	return a.Serve(ctx, ln)
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "migrated (%s)\n", st.Backend())
	return nil
}
