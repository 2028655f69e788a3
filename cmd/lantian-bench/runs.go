package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// result is one subscriber's figures in one scenario.
type result struct {
	Kind     string
	Payload  string // backlog payload kind; live streams are rt
	Target   int64  // readings published for it
	Stored   int64  // readings it consumed (null), wrote (simple) or made durable (lantian)
	Complete bool
	Wall     time.Duration
	CPU      time.Duration
	PeakRSS  int64
	// CPU of the broker and of influxd over the same interval, and the user-mode CPU of all other
	// processes on the machine (other users' work; the bench's own publishers and polls excluded).
	BrokerCPU, InfluxCPU, OtherCPU time.Duration
	Points                         int64 // points in InfluxDB afterwards; -1 when not applicable
	Rejected                       int64
	WriteErrors                    int64
	Polls                          int
	// Backlog: how long the publishers took to fill it.
	PubElapsed time.Duration
	// Lantian backlog: CPU of one /metrics scrape, measured after the drain, and the most
	// goroutines and unacknowledged messages its polls saw.
	ScrapeCPU                    time.Duration
	PeakGoroutines, PeakInflight int64
	// Live: time from the end of the stream to the last reading stored.
	Lag       time.Duration
	Published int64
	Latency   latency
	Err       error
}

func (r result) rate() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Stored) / r.Wall.Seconds()
}

// scrapeShare is the CPU the bench's own /metrics scrapes cost lantian in this run.
func (r result) scrapeShare() time.Duration { return time.Duration(r.Polls) * r.ScrapeCPU }

func (r result) usNetOfScrapes() float64 {
	if r.Stored <= 0 {
		return 0
	}
	return float64((r.CPU - r.scrapeShare()).Microseconds()) / float64(r.Stored)
}

func (r result) usPerReading() float64 {
	if r.Stored <= 0 {
		return 0
	}
	return float64(r.CPU.Microseconds()) / float64(r.Stored)
}

// latency is a live run's publish-to-stored latency.
type latency struct {
	Measured bool
	// P50 and P99 in seconds. For lantian they are interpolated inside histogram buckets, whose
	// bounds are kept; the comparison subscribers measure to 1 ms.
	P50, P99 quantileEstimate
	Bucketed bool
	N        int64
	// Lantian: its arrival-to-durable histogram (broker → lantian excluded), finer buckets.
	ArrivalP50, ArrivalP99 quantileEstimate
}

// otherLoad is the average number of cores other work used over the run.
func (r result) otherLoad() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return r.OtherCPU.Seconds() / r.Wall.Seconds()
}

// snapshot is the CPU of the subscriber, broker, influxd, the bench itself and the whole
// machine at one moment.
type snapshot struct {
	at                  time.Time
	sub, broker, influx time.Duration // user + system
	// User-mode CPU of the machine and of the processes the bench runs, for other work.
	machineUser, oursUser time.Duration
}

// other is the user-mode CPU used between two snapshots by processes that are not the bench's.
func (s snapshot) other(before snapshot) time.Duration {
	return max((s.machineUser-before.machineUser)-(s.oursUser-before.oursUser), 0)
}

func (b *bench) snapshot(pid int) (snapshot, error) {
	s := snapshot{at: time.Now()}
	var err error
	if s.machineUser, err = systemUser(); err != nil {
		return s, err
	}
	add := func(pid int, dst *time.Duration) error {
		user, sys, err := procTimes(pid)
		if err != nil {
			return err
		}
		s.oursUser += user
		if dst != nil {
			*dst = user + sys
		}
		return nil
	}
	if err := add(os.Getpid(), nil); err != nil {
		return s, err
	}
	if pid > 0 {
		if err := add(pid, &s.sub); err != nil {
			return s, err
		}
	}
	if err := add(b.svc.mosq.pid(), &s.broker); err != nil {
		return s, err
	}
	if err := add(b.svc.influxPID, &s.influx); err != nil {
		return s, err
	}
	return s, nil
}

// waitQuiet waits, up to limit, until other work on the machine uses less than half a core over
// two seconds: the machine is shared, and a run next to someone's test suite measures the suite.
func (b *bench) waitQuiet(ctx context.Context, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		s0, err := b.snapshot(0)
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		s1, err := b.snapshot(0)
		if err != nil {
			return
		}
		cores := s1.other(s0).Seconds() / s1.at.Sub(s0.at).Seconds()
		if cores < 0.5 {
			return
		}
		if time.Now().After(deadline) {
			slog.Warn("machine still busy with other work; measuring anyway", "other_cores", fmt.Sprintf("%.1f", cores))
			return
		}
		slog.Info("waiting for other work on the machine to quieten", "other_cores", fmt.Sprintf("%.1f", cores))
	}
}

// dropSession removes a client id's persistent session, so that later publishes are not queued
// for a subscriber that is gone.
func (b *bench) dropSession(ctx context.Context, clientID string) {
	c, err := connect(ctx, b.svc.mqttURL, clientID, true)
	if err != nil {
		slog.Warn("cannot drop MQTT session", "client_id", clientID, "err", err)
		return
	}
	c.Disconnect(250)
}

// backlog fills the subscriber's session with the backlog while it is away, then starts it and
// measures until it has stored every reading.
func (b *bench) backlog(ctx context.Context, kind string, spec backlogSpec) result {
	r := result{Kind: kind, Payload: spec.payload, Target: int64(spec.n), Points: -1}
	r.Err = b.backlogRun(ctx, &r)
	return r
}

func (b *bench) backlogRun(ctx context.Context, r *result) error {
	clientID := "bench-" + r.Kind + "-backlog-" + r.Payload
	if r.Kind != kindNull {
		if err := b.svc.resetDatabase(); err != nil {
			return err
		}
	}
	if err := presubscribe(ctx, b.svc.mqttURL, clientID, filtersOf(r.Kind)); err != nil {
		return err
	}
	defer b.dropSession(context.WithoutCancel(ctx), clientID)
	var err error
	if r.PubElapsed, err = publishBacklog(ctx, b.svc.mqttURL, r.Payload, int(r.Target), b.opt.stations, b.opt.publishers); err != nil {
		return fmt.Errorf("publish backlog: %w", err)
	}
	slog.Info("backlog published", "readings", r.Target, "took", r.PubElapsed.Round(time.Millisecond),
		"per_s", int(float64(r.Target)/r.PubElapsed.Seconds()))

	b.waitQuiet(ctx, b.opt.quietWait)
	before, err := b.snapshot(0)
	if err != nil {
		return err
	}
	sub, err := b.startSubscriber(subscriberSpec{kind: r.Kind, clientID: clientID, tag: r.Kind + "-backlog-" + r.Payload})
	if err != nil {
		return err
	}
	defer sub.proc.stop(60 * time.Second)
	p, seen, polls, werr := sub.waitStored(ctx, r.Target, before.at.Add(b.opt.drainCap))
	after, err := b.snapshot(sub.proc.pid())
	if err != nil {
		return err
	}
	if r.PeakRSS, _, err = procMemory(sub.proc.pid()); err != nil {
		return err
	}
	r.Polls, r.PeakGoroutines, r.PeakInflight = polls, p.PeakGoroutines, p.PeakInflight
	r.Wall = seen.Sub(before.at)
	r.CPU = after.sub // the process started after the first snapshot
	r.BrokerCPU, r.InfluxCPU, r.OtherCPU = after.broker-before.broker, after.influx-before.influx, after.other(before)
	r.Stored, r.Rejected, r.WriteErrors = p.Stored, p.Rejected, p.WriteErrors
	r.Complete = p.Stored >= r.Target
	if werr != nil {
		return werr
	}
	if r.Kind == kindLantian {
		if r.ScrapeCPU, err = scrapeCost(ctx, sub); err != nil {
			return err
		}
	}
	if r.Kind != kindNull {
		if r.Points, err = b.svc.countPoints(); err != nil {
			return err
		}
	}
	if !r.Complete {
		return fmt.Errorf("stored %d of %d readings within the drain cap of %s", r.Stored, r.Target, b.opt.drainCap)
	}
	return nil
}

// scrapeCost is the CPU one /metrics scrape costs lantian, from a series of scrapes while it is
// otherwise idle (the backlog is drained).
func scrapeCost(ctx context.Context, sub *subscriber) (time.Duration, error) {
	const n = 50
	c0, err := procCPU(sub.proc.pid())
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		if _, err := sub.progress(ctx); err != nil {
			return 0, err
		}
	}
	c1, err := procCPU(sub.proc.pid())
	if err != nil {
		return 0, err
	}
	return (c1 - c0) / n, nil
}

// live starts the subscriber, publishes at rate for the live duration with readings stamped at
// publish time, and measures until the subscriber has stored every reading.
func (b *bench) live(ctx context.Context, kind string, rate int) result {
	r := result{Kind: kind, Payload: payloadRT, Points: -1}
	r.Err = b.liveRun(ctx, &r, rate)
	return r
}

func (b *bench) liveRun(ctx context.Context, r *result, rate int) error {
	clientID := fmt.Sprintf("bench-%s-live-%d", r.Kind, rate)
	if r.Kind != kindNull {
		if err := b.svc.resetDatabase(); err != nil {
			return err
		}
	}
	// The session exists before the subscriber connects, so nothing published is missed.
	if err := presubscribe(ctx, b.svc.mqttURL, clientID, filtersOf(r.Kind)); err != nil {
		return err
	}
	defer b.dropSession(context.WithoutCancel(ctx), clientID)
	sub, err := b.startSubscriber(subscriberSpec{kind: r.Kind, clientID: clientID, latency: true, unixMillis: true,
		tag: fmt.Sprintf("%s-live-%d", r.Kind, rate)})
	if err != nil {
		return err
	}
	defer sub.proc.stop(60 * time.Second)
	if err := sub.waitReady(ctx); err != nil {
		return err
	}
	b.waitQuiet(ctx, b.opt.quietWait)
	p0, err := sub.progress(ctx)
	if err != nil {
		return err
	}
	before, err := b.snapshot(sub.proc.pid())
	if err != nil {
		return err
	}
	pubStart := time.Now()
	lr, err := publishLive(ctx, b.svc.mqttURL, rate, b.opt.liveDuration, b.opt.stations)
	if err != nil {
		return fmt.Errorf("publish live stream: %w", err)
	}
	r.Published, r.PubElapsed = lr.Published, lr.Elapsed
	r.Target = p0.Stored + lr.Published
	p, seen, polls, werr := sub.waitStored(ctx, r.Target, time.Now().Add(b.opt.liveCap))
	after, err := b.snapshot(sub.proc.pid())
	if err != nil {
		return err
	}
	if r.PeakRSS, _, err = procMemory(sub.proc.pid()); err != nil {
		return err
	}
	r.Target = lr.Published
	r.Polls = polls
	r.Wall = seen.Sub(before.at)
	r.Lag = seen.Sub(pubStart.Add(lr.Elapsed))
	r.CPU = after.sub - before.sub
	r.BrokerCPU, r.InfluxCPU, r.OtherCPU = after.broker-before.broker, after.influx-before.influx, after.other(before)
	r.Stored = p.Stored - p0.Stored
	r.Rejected, r.WriteErrors = p.Rejected-p0.Rejected, p.WriteErrors-p0.WriteErrors
	r.Complete = r.Stored >= r.Target
	if r.Kind == kindLantian {
		age, arr := p.Age.sub(p0.Age), p.Arrival.sub(p0.Arrival)
		r.Latency = latency{Measured: age.count > 0, Bucketed: true, N: int64(age.count),
			P50: age.quantile(0.50), P99: age.quantile(0.99),
			ArrivalP50: arr.quantile(0.50), ArrivalP99: arr.quantile(0.99)}
	} else if r.Kind != kindTelegraf {
		r.Latency = latency{Measured: p.LatCount > 0, N: p.LatCount,
			P50: quantileEstimate{q: 0.5, est: p.P50ms / 1000, ok: true},
			P99: quantileEstimate{q: 0.99, est: p.P99ms / 1000, ok: true}}
	}
	if werr != nil {
		return werr
	}
	if r.Kind != kindNull {
		if r.Points, err = b.svc.countPoints(); err != nil {
			return err
		}
	}
	if !r.Complete {
		return fmt.Errorf("stored %d of %d readings within %s after the stream ended", r.Stored, r.Target, b.opt.liveCap)
	}
	return nil
}
