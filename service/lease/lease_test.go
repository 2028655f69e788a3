package lease_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/ingest/mqtt"
	"lantian/internal/devenv/testenv"
	"lantian/service/lease"
)

func config(url, holder string) lease.Config {
	c := mqtt.DefaultConfig()
	c.URL = url
	c.KeepAlive = 2 * time.Second
	return lease.Config{MQTT: c, Name: "derive", Holder: holder, TTL: 3 * time.Second}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type result struct {
	h   *lease.Held
	err error
}

func acquireAsync(ctx context.Context, cfg lease.Config, waiting func(string)) chan result {
	ch := make(chan result, 1)
	go func() {
		h, err := lease.Acquire(ctx, cfg, quiet, waiting)
		ch <- result{h, err}
	}()
	return ch
}

// claims counts the claims published on the lease topic, by holder.
func claims(t *testing.T, url string, cfg lease.Config) (func(holder string) int64, func()) {
	t.Helper()
	var a, b atomic.Int64
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("claims-" + t.Name()).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			var cl lease.Claim
			if json.Unmarshal(m.Payload(), &cl) == nil {
				switch cl.Holder {
				case "a":
					a.Add(1)
				case "b":
					b.Add(1)
				}
			}
		}))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	if tok := c.Subscribe(cfg.Topic(), 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	return func(h string) int64 {
		if h == "a" {
			return a.Load()
		}
		return b.Load()
	}, func() { c.Disconnect(100) }
}

// TestStandbyWaitsThenTakesOverWhenHolderDies: a second instance stands by while the first
// holds and renews the lease, and takes it over as soon as the first one's connection dies
// (cut like a killed process's or a failed host's, without a clean disconnect).
func TestStandbyWaitsThenTakesOverWhenHolderDies(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	proxy := testenv.StartProxy(t, strings.TrimPrefix(mosq.URL, "tcp://"))
	ctx := testenv.WithTimeout(t, 2*time.Minute)

	a, err := lease.Acquire(ctx, config("tcp://"+proxy.Addr, "a"), quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	count, stop := claims(t, mosq.URL, config(mosq.URL, "a"))
	defer stop()
	var waitingFor atomic.Value
	bch := acquireAsync(ctx, config(mosq.URL, "b"), func(h string) { waitingFor.Store(h) })
	testenv.Eventually(t, 20*time.Second, func() error {
		if h, _ := waitingFor.Load().(string); h != "a" {
			return testenv.ErrNotYet
		}
		return nil
	})
	// Over several renewals (more than two TTLs) the standby keeps waiting.
	start := count("a")
	testenv.Eventually(t, 30*time.Second, func() error {
		select {
		case r := <-bch:
			t.Fatalf("the standby took the lease while the holder renewed it: %+v", r)
		default:
		}
		if count("a") < start+6 {
			return testenv.ErrNotYet
		}
		return nil
	})

	cut := time.Now()
	proxy.CutAll()
	select {
	case <-a.Lost():
	case <-time.After(20 * time.Second):
		t.Fatal("the holder did not notice it lost the lease")
	}
	var r result
	select {
	case r = <-bch:
	case <-time.After(20 * time.Second):
		t.Fatal("the standby did not take over")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.h.Release()
	t.Logf("standby took over %s after the holder's connection was cut", time.Since(cut).Round(time.Millisecond))
	testenv.Eventually(t, 10*time.Second, func() error {
		if count("b") == 0 {
			return testenv.ErrNotYet
		}
		return nil
	})
}

// TestHolderStepsDownWhenTheLockIsTaken: whoever connects with the lease's client id takes it
// (the broker closes the holder's connection); the holder must step down, not reconnect.
func TestHolderStepsDownWhenTheLockIsTaken(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	ctx := testenv.WithTimeout(t, time.Minute)
	cfg := config(mosq.URL, "a")
	a, err := lease.Acquire(ctx, cfg, quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	intruder := paho.NewClient(paho.NewClientOptions().AddBroker(mosq.URL).SetClientID(cfg.MQTT.TopicPrefix + "-lease-derive"))
	if tok := intruder.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer intruder.Disconnect(100)
	select {
	case <-a.Lost():
		t.Logf("holder stepped down: %s", a.Why())
	case <-time.After(20 * time.Second):
		t.Fatal("the holder kept the role after another connection took the lease's client id")
	}
	// It did not take the client id back: the intruder is still connected.
	if !intruder.IsConnectionOpen() {
		t.Fatal("the former holder reconnected and took the lease back")
	}
}

// TestReleaseHandsOverAtOnce: a clean stop clears the claim, so a standby takes over without
// waiting for a TTL.
func TestReleaseHandsOverAtOnce(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	ctx := testenv.WithTimeout(t, time.Minute)
	a, err := lease.Acquire(ctx, config(mosq.URL, "a"), quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	var waiting atomic.Bool
	bch := acquireAsync(ctx, config(mosq.URL, "b"), func(string) { waiting.Store(true) })
	testenv.Eventually(t, 20*time.Second, func() error {
		if !waiting.Load() {
			return testenv.ErrNotYet
		}
		return nil
	})
	a.Release()
	select {
	case r := <-bch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		r.h.Release()
	case <-time.After(2 * time.Second):
		// TTL is 3 s: a hand-over within 2 s came from the cleared claim, not from expiry.
		t.Fatal("the standby did not take over within 2s of a clean release")
	}
}

// TestBrokerRestartLeavesOneHolder: a broker restart drops the holder's lock connection; the
// holder steps down, and the standby takes the lease once the claim the broker kept (retained,
// persisted) is no longer renewed.
func TestBrokerRestartLeavesOneHolder(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	ctx := testenv.WithTimeout(t, 2*time.Minute)
	a, err := lease.Acquire(ctx, config(mosq.URL, "a"), quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	var waiting atomic.Bool
	bch := acquireAsync(ctx, config(mosq.URL, "b"), func(string) { waiting.Store(true) })
	testenv.Eventually(t, 20*time.Second, func() error {
		if !waiting.Load() {
			return testenv.ErrNotYet
		}
		return nil
	})
	mosq.Restart()
	select {
	case <-a.Lost():
	case <-time.After(20 * time.Second):
		t.Fatal("the holder kept the role through a broker restart")
	}
	select {
	case r := <-bch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		defer r.h.Release()
	case <-time.After(60 * time.Second):
		t.Fatal("no instance took the lease after the broker restart")
	}
}
