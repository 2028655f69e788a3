package lograte

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFloodWritesOneLinePerKeyAndIntervalAndCountsTheRest(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for range 3000 {
		l.Warn(nil, "crc", "frame rejected")
	}
	l.Warn(nil, "password", "packet rejected")
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("%d lines for 3001 events of two keys, want 2:\n%s", n, buf.String())
	}
	now = now.Add(time.Minute)
	l.Warn(nil, "crc", "frame rejected")
	if !strings.Contains(buf.String(), "suppressed_since_last=2999") {
		t.Errorf("the next line does not say how many were suppressed:\n%s", buf.String())
	}
}
