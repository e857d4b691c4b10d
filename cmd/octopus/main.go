// Command octopus is the venue's one binary: the server and its operator tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// usageError is a command line mistake: print it with the usage, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func commands() map[string]command {
	return map[string]command{
		"serve":    {"run the API server", runServe},
		"validate": {"check the configuration against the production hardening list", runValidate},
		"migrate":  {"bring the database schema up to date", runMigrate},
		"user":     {"manage users: create, list, set-role, lock, unlock", runUser},
		"symbol":   {"manage symbols: create, list", runSymbol},
		"deposit":  {"deposit into (or --withdraw from) an account", runDeposit},
		"keys":     {"manage the JWT signing key ring: list, rotate, revoke KID", runKeys},
		"replay":   {"replay LOBSTER order flow through the matching engine", runReplay},
		"audit":    {"verify the audit chain and digests; hash a value for search", runAudit},
		"help":     {"list the commands", nil},
		// Container health checks: the image has no shell or curl.
		"healthcheck": {"exit 0 when the local server's /healthz answers 200", runHealthcheck},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "octopus: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := c.run(ctx, args[1:], stdout, stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "octopus %s: %s\n", args[0], ue.msg)
			return 2
		}
		fmt.Fprintf(stderr, "octopus %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: octopus <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-12s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Configuration comes from the environment; see README.md.")
}
