package service

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestRunGroupStopsLastAddedFirstAndOneByOne(t *testing.T) {
	var mu sync.Mutex
	var events []string
	record := func(e string) { mu.Lock(); defer mu.Unlock(); events = append(events, e) }
	var g runGroup
	for _, name := range []string{"http", "writer", "derived", "mqtt"} {
		g.add(name, func(ctx context.Context) error {
			<-ctx.Done()
			record("stop " + name)
			// A slow stop must hold up the parts added before it.
			time.Sleep(10 * time.Millisecond)
			record("stopped " + name)
			return ctx.Err()
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	// A part that finishes early leaves the others running; this one also asks for the stop.
	g.add("one-off", func(context.Context) error { record("one-off done"); cancel(); return nil })
	if err := g.run(ctx); err != nil {
		t.Fatalf("run: %v", err)
	}
	want := []string{"one-off done", "stop mqtt", "stopped mqtt", "stop derived", "stopped derived",
		"stop writer", "stopped writer", "stop http", "stopped http"}
	if !slices.Equal(events, want) {
		t.Errorf("events %q\nwant   %q", events, want)
	}
}

func TestRunGroupStopsWhenAPartFails(t *testing.T) {
	var g runGroup
	stopped := false
	g.add("writer", func(ctx context.Context) error { <-ctx.Done(); stopped = true; return nil })
	g.add("http server", func(context.Context) error { return errors.New("listener closed") })
	err := g.run(context.Background())
	if err == nil || err.Error() != "http server: listener closed" || !stopped {
		t.Fatalf("err %v, writer stopped %v", err, stopped)
	}
}
