package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/octopus-venue/octopus/internal/config"
)

// errValidation is returned when validate found a failing item; the lines say which.
var errValidation = errors.New("configuration is not fit to deploy")

// runValidate loads the configuration from the environment and prints the
// production hardening checklist, one PASS, WARN or FAIL line per item with what
// was found or how to fix it, then every other problem Load reported. Any FAIL
// makes it exit non-zero. -hardening=false checks only that the configuration
// loads, for development setups.
func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hardening := fs.Bool("hardening", true, "check the production hardening list")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}

	cfg, err := config.Load(config.FromEnv)
	var problems config.Problems
	if err != nil && !errors.As(err, &problems) {
		return err
	}

	failed := false
	var shown []string
	if *hardening {
		for _, c := range cfg.Hardening() {
			fmt.Fprintf(stdout, "%s  %-22s %s\n", c.Status, c.Item, c.Detail)
			failed = failed || c.Status == config.Fail
			shown = append(shown, c.Detail)
		}
	}
	for _, p := range problems {
		if !slices.Contains(shown, p) {
			fmt.Fprintf(stdout, "%s  %-22s %s\n", config.Fail, "configuration", p)
		}
		failed = true
	}
	if failed {
		return errValidation
	}
	fmt.Fprintf(stdout, "configuration OK (environment %s)\n", cfg.Environment)
	return nil
}
