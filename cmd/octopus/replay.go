package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/octopus-venue/octopus/internal/replay"
)

// runReplay replays a LOBSTER message file through the matching engine and
// checks the book after every message against the orderbook file. Any
// mismatch makes it fail, so it can gate a build.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	messages := fs.String("lobster", "", "LOBSTER message file `MESSAGES.csv` (required)")
	orderbook := fs.String("orderbook", "",
		"LOBSTER orderbook file `BOOK.csv` (default: the message file with \"message\" replaced by \"orderbook\")")
	levels := fs.Int("levels", replay.DefaultLevels, "price levels per side in the orderbook file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	switch {
	case *messages == "":
		return usageError{"--lobster MESSAGES.csv is required"}
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case *levels <= 0:
		return usageError{fmt.Sprintf("--levels %d: must be positive", *levels)}
	}
	if *orderbook == "" {
		name, ok := orderbookFor(*messages)
		if !ok {
			return usageError{"--orderbook is required: the message file name has no \"message\" in it"}
		}
		*orderbook = name
	}

	msgFile, err := os.Open(*messages)
	if err != nil {
		return fmt.Errorf("open messages: %w", err)
	}
	defer msgFile.Close()
	bookFile, err := os.Open(*orderbook)
	if err != nil {
		return fmt.Errorf("open orderbook: %w", err)
	}
	defer bookFile.Close()

	rep, err := replay.Run(ctx, msgFile, bookFile, replay.Config{Levels: *levels})
	if err != nil {
		return fmt.Errorf("replay %s: %w", filepath.Base(*messages), err)
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	return rep.Err()
}

// orderbookFor names the orderbook file LOBSTER ships beside a message file:
// AAPL_..._message_10.csv goes with AAPL_..._orderbook_10.csv.
func orderbookFor(messages string) (string, bool) {
	dir, base := filepath.Split(messages)
	i := strings.LastIndex(base, "message")
	if i < 0 {
		return "", false
	}
	return filepath.Join(dir, base[:i]+"orderbook"+base[i+len("message"):]), true
}
