// Package lograte limits repeated log lines: a flood of bad input (garbage frames, refused
// messages, a broker that keeps refusing connections) writes at most one line per key and
// interval, and the line that is written says how many were suppressed since the last one.
// The MQTT pipeline and the HJ 212 gateway share one Limiter per service, so the log of an
// attack over either path stays readable and bounded.
package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxKeys bounds the memory of the limiter: keys are reasons and messages, a small set, but a
// caller that passes something unbounded must not grow the map without end.
const maxKeys = 4096

// Limiter writes at most one line per key and interval. The zero value is not usable; use New.
type Limiter struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	last    map[string]time.Time
	dropped map[string]int
}

// New returns a limiter writing to log. interval <= 0 selects 10 s.
func New(log *slog.Logger, interval time.Duration) *Limiter {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{log: log, interval: interval, now: time.Now, last: map[string]time.Time{}, dropped: map[string]int{}}
}

// Warn logs msg at WARN through lg (the limiter's logger when nil) unless a line with the same
// key was written less than an interval ago.
func (l *Limiter) Warn(lg *slog.Logger, key, msg string, args ...any) {
	l.Log(lg, slog.LevelWarn, key, msg, args...)
}

// Log is Warn at any level.
func (l *Limiter) Log(lg *slog.Logger, level slog.Level, key, msg string, args ...any) {
	if lg == nil {
		lg = l.log
	}
	l.mu.Lock()
	now := l.now()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.interval {
		l.dropped[key]++
		l.mu.Unlock()
		return
	}
	if len(l.last) >= maxKeys {
		for k, t := range l.last {
			if now.Sub(t) >= l.interval {
				delete(l.last, k)
				delete(l.dropped, k)
			}
		}
	}
	suppressed := l.dropped[key]
	l.last[key], l.dropped[key] = now, 0
	l.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed_since_last", suppressed)
	}
	lg.Log(context.Background(), level, msg, args...)
}
