package service

import (
	"context"
	"errors"
	"fmt"
)

// runGroup runs the long-running parts of the service together, in the manner of
// oklog/run's group, but stops them in order: the part added last is stopped first and must
// have returned before the one added before it is stopped. Parts added first (the writer,
// the HTTP server) thereby outlive those that feed them.
type runGroup struct {
	actors []actor
}

type actor struct {
	name string
	// run runs until its context is cancelled. Returning early with nil (a one-off task
	// done) leaves the others running; returning early with an error stops the group.
	run func(ctx context.Context) error
}

// add registers a part; name is for the error it may return.
func (g *runGroup) add(name string, run func(ctx context.Context) error) {
	g.actors = append(g.actors, actor{name: name, run: run})
}

// run starts every part and waits until ctx is done or a part fails, then stops the parts
// last-added first, each with its own context, so that ctx's cancellation stops nothing by
// itself. It returns the failure that ended the run and errors returned while stopping.
func (g *runGroup) run(ctx context.Context) error {
	type exit struct {
		i   int
		err error
	}
	exits := make(chan exit, len(g.actors))
	cancels := make([]context.CancelFunc, len(g.actors))
	done := make([]chan error, len(g.actors))
	for i, a := range g.actors {
		actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[i], done[i] = cancel, make(chan error, 1)
		go func() {
			err := a.run(actx)
			done[i] <- err
			exits <- exit{i, err}
		}()
	}
	var errs []error
	returned := make([]bool, len(g.actors))
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case e := <-exits:
			returned[e.i] = true
			if e.err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", g.actors[e.i].name, e.err))
				break wait
			}
		}
	}
	for i := len(g.actors) - 1; i >= 0; i-- {
		cancels[i]()
		if returned[i] {
			continue
		}
		if err := <-done[i]; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("%s: %w", g.actors[i].name, err))
		}
	}
	return errors.Join(errs...)
}
