package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/replay"
)

var fixtureDir = filepath.Join("..", "..", "internal", "replay", "testdata")

func TestRunReplay(t *testing.T) {
	msgs := filepath.Join(fixtureDir, "basic_message_2.csv")
	rows := filepath.Join(fixtureDir, "basic_orderbook_2.csv")
	changed := filepath.Join(t.TempDir(), "changed_orderbook_2.csv")
	b, err := os.ReadFile(rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(changed, bytes.Replace(b, []byte("10100,9,"), []byte("10100,8,"), 1), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name      string
		args      []string
		wantOut   []string
		wantErr   error // nil: success
		wantUsage bool
	}{
		{
			name:    "explicit orderbook",
			args:    []string{"--lobster", msgs, "--orderbook", rows, "--levels", "2"},
			wantOut: []string{"messages:    14\n", "trades:      4\n", "mismatches:  0\n", "resyncs:     3\n", "messages/s:"},
		},
		{
			name:    "orderbook named after the message file",
			args:    []string{"--lobster", msgs, "--levels", "2"},
			wantOut: []string{"mismatches:  0\n"},
		},
		{
			name:    "mismatch fails",
			args:    []string{"--lobster", msgs, "--orderbook", changed, "--levels", "2"},
			wantOut: []string{"mismatches:  1\n", "message 6: sell level 1: want 8@10100, got 9@10100"},
			wantErr: replay.ErrMismatch,
		},
		{
			name:    "wrong level count is a format error",
			args:    []string{"--lobster", msgs, "--orderbook", rows},
			wantErr: replay.ErrSyntax,
		},
		{name: "missing file", args: []string{"--lobster", "nope_message_2.csv"}, wantErr: os.ErrNotExist},
		{name: "no message file", args: nil, wantUsage: true},
		{name: "unknown flag", args: []string{"--lobster", msgs, "--fast"}, wantUsage: true},
		{name: "bad levels", args: []string{"--lobster", msgs, "--levels", "0"}, wantUsage: true},
		{name: "stray argument", args: []string{"--lobster", msgs, "extra"}, wantUsage: true},
		{name: "no orderbook to guess", args: []string{"--lobster", "flow.csv"}, wantUsage: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runReplay(context.Background(), tc.args, &stdout, &stderr)
			var ue usageError
			switch {
			case tc.wantUsage:
				if !errors.As(err, &ue) {
					t.Fatalf("error = %v, want a usage error", err)
				}
			case tc.wantErr == nil && err != nil:
				t.Fatalf("error = %v; stderr %s", err, stderr.String())
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			for _, want := range tc.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Fatalf("output lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}
