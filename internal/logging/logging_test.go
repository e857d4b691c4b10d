package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestRequestIDOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo).With("component", "test")
	ctx := WithRequestID(context.Background(), "req-123")
	log.InfoContext(ctx, "one", "user_input", "evil\n{\"level\":\"ERROR\",\"msg\":\"forged\"}")
	log.WarnContext(ctx, "two")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("user input split the log: %d lines:\n%s", len(lines), buf.String())
	}
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["request_id"] != "req-123" || m["component"] != "test" {
			t.Errorf("line lacks request_id or attrs: %s", line)
		}
	}
}
