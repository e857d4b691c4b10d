package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/octopus-venue/octopus/internal/app"
	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/config"
	"github.com/octopus-venue/octopus/internal/market"
	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

// withStore opens the configured store (migrated) for an operator command.
func withStore(ctx context.Context, stderr io.Writer, f func(config.Config, store.Store) error) error {
	cfg, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	return f(cfg, st)
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: octopus user create|list|set-role|lock|unlock [flags]"}
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return userList(ctx, stdout, stderr)
	case "set-role", "lock", "unlock":
		return userChange(ctx, args[0], args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown user command %q", args[0])}
}

// readPassword prompts without echo on a terminal, or reads one line from stdin when
// it is not one; a password never travels in argv, where ps and shell history see it.
func readPassword(stderr io.Writer) (string, error) {
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(stderr, "Password: ")
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Repeat password: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("passwords do not match")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user create", stderr)
	username := fs.String("username", "", "login name")
	email := fs.String("email", "", "email address")
	role := fs.String("role", rbac.User, "admin, trader, analyst or user")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" || *email == "" {
		return usageError{"--username and --email are required; the password is read from stdin"}
	}
	return withStore(ctx, stderr, func(cfg config.Config, st store.Store) error {
		pw, err := readPassword(stderr)
		if err != nil {
			return err
		}
		hasher, err := app.NewHasher(cfg)
		if err != nil {
			return err
		}
		policy, err := app.PasswordPolicy(cfg)
		if err != nil {
			return err
		}
		accounts := &auth.Accounts{Users: st, Hasher: hasher, Policy: policy}
		u, err := accounts.Create(ctx, auth.NewUser{Username: *username, Email: *email,
			Password: pw, Role: *role})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %d (%s, role %s)\n", u.ID, u.Username, u.Role)
		return nil
	})
}

func userList(ctx context.Context, stdout, stderr io.Writer) error {
	return withStore(ctx, stderr, func(_ config.Config, st store.Store) error {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tROLE\tLOCKED\tMFA")
		var after int64
		for {
			users, err := st.ListUsers(ctx, store.Page{After: after, Limit: 500})
			if err != nil {
				return err
			}
			for _, u := range users {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%t\n", u.ID, u.Username, u.Email, u.Role,
					u.Locked, u.TOTPConfirmed)
				after = u.ID
			}
			if len(users) < 500 {
				return tw.Flush()
			}
		}
	})
}

// userChange sets a role, locks or unlocks, refusing to demote or lock the last
// active admin, and ends the user's sessions when rights shrink.
func userChange(ctx context.Context, action string, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user "+action, stderr)
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "new role (set-role)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" || (action == "set-role" && !rbac.ValidRole(*role)) {
		return usageError{"--username is required; set-role needs --role admin|trader|analyst|user"}
	}
	return withStore(ctx, stderr, func(_ config.Config, st store.Store) error {
		u, err := st.GetUserByUsername(ctx, *username)
		if err != nil {
			return fmt.Errorf("user %q: %w", *username, err)
		}
		var upd store.UserUpdate
		t, f, zero, none := true, false, time.Time{}, 0
		switch action {
		case "set-role":
			upd.Role = role
		case "lock":
			upd.Locked = &t
		case "unlock":
			upd.Locked, upd.LockedUntil, upd.LockoutCount = &f, &zero, &none
		}
		if u.Role == rbac.Admin && !u.Locked && (action == "lock" || (action == "set-role" && *role != rbac.Admin)) {
			n, err := st.CountActiveAdmins(ctx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errors.New("refusing: this is the last active admin")
			}
		}
		if _, err := st.UpdateUser(ctx, u.ID, upd); err != nil {
			return err
		}
		if action != "unlock" {
			if err := st.RevokeUserSessions(ctx, u.ID, time.Now().UTC()); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "user %s: %s done\n", u.Username, action)
		return nil
	})
}

func runSymbol(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: octopus symbol create|list [flags]"}
	}
	switch args[0] {
	case "list":
		return withStore(ctx, stderr, func(_ config.Config, st store.Store) error {
			syms, err := st.ListSymbols(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SYMBOL\tBASE\tQUOTE\tTICK\tLOT\tHALTED")
			for _, s := range syms {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\n", s.Code, s.BaseAsset, s.QuoteAsset,
					money.Format(s.TickSize), money.Format(s.LotSize), s.Halted)
			}
			return tw.Flush()
		})
	case "create":
		fs := newFlags("symbol create", stderr)
		code := fs.String("symbol", "", "symbol code, e.g. AAPL")
		base := fs.String("base", "", "base asset (default: the symbol)")
		quote := fs.String("quote", "USD", "quote asset")
		tick := fs.String("tick-size", "0.01", "price step")
		lot := fs.String("lot-size", "1", "quantity step")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *base == "" {
			*base = *code
		}
		sym, err := market.NewSymbol(*code, *base, *quote, *tick, *lot, time.Now().Truncate(time.Microsecond))
		if err != nil {
			return usageError{err.Error()}
		}
		return withStore(ctx, stderr, func(_ config.Config, st store.Store) error {
			if err := st.CreateSymbol(ctx, &sym); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created symbol %s (%s/%s)\n", sym.Code, sym.BaseAsset, sym.QuoteAsset)
			return nil
		})
	}
	return usageError{fmt.Sprintf("unknown symbol command %q", args[0])}
}

// runDeposit writes a deposit or withdrawal straight to the database. A running
// server keeps balances in memory, so this refuses while one owns the database; use
// the API then.
func runDeposit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("deposit", stderr)
	username := fs.String("username", "", "account owner")
	asset := fs.String("asset", "", "asset code, e.g. USD")
	amount := fs.String("amount", "", "decimal amount")
	reason := fs.String("reason", "", "why (kept in the ledger)")
	withdraw := fs.Bool("withdraw", false, "withdraw instead of deposit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" || *asset == "" || *amount == "" || *reason == "" {
		return usageError{"--username, --asset, --amount and --reason are required"}
	}
	v, err := money.ParsePositive(*amount)
	if err != nil {
		return usageError{"--amount: " + err.Error()}
	}
	return withStore(ctx, stderr, func(cfg config.Config, st store.Store) error {
		// A running server keeps balances in memory: changing them behind its back
		// would let it spend money that is gone. Only run while no server owns them.
		release, err := app.TryOwner(ctx, cfg.OwnerLockURL())
		if errors.Is(err, app.ErrOwned) {
			return errors.New("a server is running on this database: use " +
				"POST /api/v1/admin/accounts/{user_id}/deposits (or /withdrawals) instead")
		}
		if err != nil {
			return err
		}
		defer release()
		u, err := st.GetUserByUsername(ctx, *username)
		if err != nil {
			return fmt.Errorf("user %q: %w", *username, err)
		}
		e := store.LedgerEntry{UserID: u.ID, Asset: *asset, Kind: store.EntryDeposit, Amount: v,
			Reason: *reason, CreatedAt: time.Now().UTC()}
		if *withdraw {
			e.Kind, e.Amount = store.EntryWithdrawal, -v
		}
		if err := st.ApplyEntries(ctx, []store.LedgerEntry{e}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s of %s %s for %s recorded\n", e.Kind, money.Format(v), *asset, u.Username)
		return nil
	})
}

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: octopus keys list|rotate|revoke KID"}
	}
	return withStore(ctx, stderr, func(cfg config.Config, st store.Store) error {
		if cfg.GeneratedSecrets {
			return errors.New("JWT_SECRET_KEY is not set; the key ring belongs to a configured server")
		}
		ring, err := app.NewRing(cfg, st, time.Now)
		if err != nil {
			return err
		}
		switch args[0] {
		case "list":
			keys, err := ring.Keys(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KID\tCREATED\tSIGNS UNTIL\tVERIFIES UNTIL\tREVOKED")
			for _, k := range keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\n", k.KID, k.CreatedAt.Format(time.RFC3339),
					k.NotAfter.Format(time.RFC3339), k.VerifyLast.Format(time.RFC3339), !k.RevokedAt.IsZero())
			}
			return tw.Flush()
		case "rotate":
			kid, err := ring.Rotate(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "new signing key %s; older keys verify until their tokens expire\n", kid)
			return nil
		case "revoke":
			if len(args) != 2 {
				return usageError{"usage: octopus keys revoke KID"}
			}
			if err := ring.Revoke(ctx, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "key %s revoked; its tokens fail from now on\n", args[1])
			return nil
		}
		return usageError{fmt.Sprintf("unknown keys command %q", args[0])}
	})
}
