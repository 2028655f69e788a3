package sim

import (
	"context"
	"time"
)

// repeat calls f every d on the calling goroutine until ctx ends; with first, f is called once
// at the start as well. It is the one periodic loop of the package: the progress reports of
// Publish and Replay (through StartProgress), the rounds of the demo's HJ 212 data logger and
// of its forecasts. The ticker starts before the first call, so a slow call does not shift the
// rounds that follow.
func repeat(ctx context.Context, d time.Duration, first bool, f func(now time.Time)) {
	t := time.NewTicker(d)
	defer t.Stop()
	if first {
		f(time.Now())
	}
	for {
		select {
		case now := <-t.C:
			f(now)
		case <-ctx.Done():
			return
		}
	}
}

// StartProgress calls report every d from a goroutine of its own, the first time after d,
// until the returned stop is called. stop returns once no report is running, so that a final
// report the caller writes after it is really the last line. A nil report starts nothing.
func StartProgress(d time.Duration, report func(now time.Time)) (stop func()) {
	if report == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		repeat(ctx, d, false, report)
	}()
	return func() {
		cancel()
		<-done
	}
}
