package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/app"
	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store"
)

// Where the digest file and the development signing key live when
// AUDIT_DIGEST_FILE and AUDIT_SIGNING_KEY_FILE are not set.
const (
	defaultDigestFile     = "data/audit-digests.jsonl"
	defaultSigningKeyFile = "data/audit-signing-key.pem"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: octopus audit verify [flags] | octopus audit hash VALUE|-"}
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, args[1:], stdout, stderr)
	case "hash":
		return auditHash(args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown audit command %q", args[0])}
}

// envOr is the named environment variable, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", stderr)
	keyFile := fs.String("public-key", "", "Ed25519 public key (PEM or base64) to check digests "+
		"with; default AUDIT_PUBLIC_KEY_FILE, else the public half of AUDIT_SIGNING_KEY_FILE")
	digests := fs.String("digests", envOr("AUDIT_DIGEST_FILE", defaultDigestFile),
		"digest file (JSON lines); empty checks the chain alone")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"audit verify takes no arguments"}
	}

	var pub ed25519.PublicKey
	if *digests != "" {
		var err error
		if pub, err = verifyKey(*keyFile); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	as, ok := st.(store.AuditStore)
	if !ok {
		return fmt.Errorf("the %s store keeps no audit trail", st.Backend())
	}

	rep, verr := audit.Verify(ctx, as, pub, *digests)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else {
		printReport(stdout, rep)
	}
	return verr
}

// verifyKey loads the key named by the flag, AUDIT_PUBLIC_KEY_FILE, or
// AUDIT_SIGNING_KEY_FILE (its public half), in that order.
func verifyKey(flagValue string) (ed25519.PublicKey, error) {
	path := flagValue
	if path == "" {
		path = os.Getenv("AUDIT_PUBLIC_KEY_FILE")
	}
	if path == "" {
		path = envOr("AUDIT_SIGNING_KEY_FILE", defaultSigningKeyFile)
	}
	return audit.LoadPublicKey(path)
}

func printReport(w io.Writer, rep audit.Report) {
	if rep.Records == 0 {
		fmt.Fprintf(w, "records:   none kept (chain head %d)\n", rep.HeadID)
	} else {
		fmt.Fprintf(w, "records:   %d, ids %d to %d\n", rep.Records, rep.FirstID, rep.LastID)
		fmt.Fprintf(w, "chained:   %s to %s\n", rep.Oldest.Format(time.RFC3339),
			rep.Newest.Format(time.RFC3339))
		anchor := "genesis"
		if !rep.Anchored {
			anchor = fmt.Sprintf("retention cut: record %d's previous hash is trusted", rep.FirstID)
		}
		fmt.Fprintf(w, "anchor:    %s\n", anchor)
	}
	fmt.Fprintf(w, "digests:   %d read, %d checked, %d for pruned records\n",
		rep.Digests, rep.DigestsChecked, rep.DigestsPruned)
	for _, warning := range rep.Warnings {
		fmt.Fprintf(w, "warning:   %s\n", warning)
	}
	if rep.OK() {
		fmt.Fprintln(w, "result:    OK")
		return
	}
	fmt.Fprintf(w, "result:    FAILED at record %d: %s\n", rep.BrokenID, rep.Reason)
}

// auditHash prints the keyed hash of a value, for searching the audit trail
// (for example by API key id). "-" reads the value from stdin, which keeps it
// out of argv and shell history.
func auditHash(args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return usageError{"usage: octopus audit hash VALUE (or - to read it from stdin)"}
	}
	value := args[0]
	if value == "-" {
		line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read value from stdin: %w", err)
		}
		value = strings.TrimRight(line, "\r\n")
	}
	cfg, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	if cfg.GeneratedSecrets {
		return errors.New("SECRET_KEY is not set: a hash under a made-up key matches nothing stored")
	}
	h, err := audit.NewHasher([]byte(cfg.SecretKey))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h.Hash(value))
	return nil
}
