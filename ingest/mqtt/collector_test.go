package mqtt

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"lantian/internal/devenv/testenv"
)

// A backlog far larger than the budget, queued for a persistent session while Lantian was
// away, drains completely while the messages Lantian holds un-acknowledged never exceed
// mqtt.max_held_messages and mqtt.max_held_bytes: with Mosquitto's in-flight window at 10,000
// and with no window at all (max_inflight_messages 0, where the broker pushes the whole queue
// at once). The handler acknowledges in batches as the writer does, so the session stays
// connected throughout.
func TestHeldMessagesStayWithinTheBudgetWhateverTheBrokersWindow(t *testing.T) {
	for _, window := range []int{0, 10000} {
		t.Run(fmt.Sprintf("max_inflight_messages_%d", window), func(t *testing.T) {
			broker := testenv.StartMosquittoInflight(t, window)
			cfg := DefaultConfig()
			cfg.URL = broker.URL
			cfg.ClientID = "lantian-budget-test"
			cfg.KeepAlive = 2 * time.Second
			cfg.MaxPayloadBytes = 64 << 10
			cfg.MaxHeldMessages = 300
			cfg.MaxHeldBytes = 256 << 10
			reg := drain(t, broker.URL, cfg)
			peakMsgs, peakBytes := gauge(t, reg, "lantian_mqtt_held_messages_peak"), gauge(t, reg, "lantian_mqtt_held_bytes_peak")
			t.Logf("budget %d messages, %d bytes: peak held %v messages, %v bytes; %v pauses", cfg.MaxHeldMessages, cfg.MaxHeldBytes,
				peakMsgs, peakBytes, gauge(t, reg, "lantian_mqtt_backpressure_pauses_total"))
			if peakMsgs > float64(cfg.MaxHeldMessages) || peakBytes > float64(cfg.MaxHeldBytes) {
				t.Fatalf("held up to %v messages and %v bytes, budget %d and %d", peakMsgs, peakBytes, cfg.MaxHeldMessages, cfg.MaxHeldBytes)
			}
			if gauge(t, reg, "lantian_mqtt_backpressure_pauses_total") == 0 {
				t.Fatal("the budget never paused reading, so the test did not exercise it")
			}

			// The same drain with a budget out of reach: the broker pushes far more than the
			// budget above, so the bound came from Lantian.
			cfg.ClientID = "lantian-budget-control"
			cfg.MaxHeldMessages, cfg.MaxHeldBytes = 1_000_000, 1<<30
			reg = drain(t, broker.URL, cfg)
			control := gauge(t, reg, "lantian_mqtt_held_messages_peak")
			t.Logf("without a binding budget: peak held %v messages", control)
			if control < 3*300 {
				t.Fatalf("without a binding budget the broker pushed only %v messages at once; the test shows nothing", control)
			}
		})
	}
}

// drain queues a backlog of 12,000 messages of 100 and 4,000 bytes for cfg's session, lets the
// collector drain it through a handler that acknowledges in batches, and returns its metrics.
func drain(t *testing.T, url string, cfg Config) *prometheus.Registry {
	t.Helper()
	const n = 12000
	subscribeAway(t, url, cfg.ClientID, "lantian/air/+")
	publish(t, url, n, func(i int) []byte {
		// Small and large messages, so that either bound can be the one that binds.
		size := 100
		if i%3 == 0 {
			size = 4000
		}
		return []byte(strconv.Itoa(i) + " " + strings.Repeat("x", size))
	})
	w := newBatchAcker()
	defer w.stop()
	reg := prometheus.NewRegistry()
	c, err := New(cfg, []string{"lantian/air/+"}, w.handle, reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	testenv.Eventually(t, 2*time.Minute, func() error {
		if got := w.distinct(); got < n {
			return fmt.Errorf("%d of %d messages done; held now %v", got, n, gauge(t, reg, "lantian_mqtt_inflight_messages"))
		}
		return nil
	})
	if err := c.Stop(testenv.WithTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if lost := gauge(t, reg, "lantian_mqtt_connection_lost_total"); lost != 0 {
		t.Fatalf("connection lost %v times while reading paused", lost)
	}
	if held := gauge(t, reg, "lantian_mqtt_inflight_messages"); held != 0 {
		t.Fatalf("%v messages still held after the drain", held)
	}
	return reg
}

// A message the handler gives up (done(false)) frees its room in the budget: a session whose
// every message fails still takes new ones instead of stalling once the budget is spent.
func TestGivenUpMessagesFreeTheBudget(t *testing.T) {
	broker := testenv.StartMosquitto(t)
	cfg := DefaultConfig()
	cfg.URL = broker.URL
	cfg.ClientID = "lantian-giveup-test"
	cfg.MaxHeldMessages = 5
	subscribeAway(t, broker.URL, cfg.ClientID, "lantian/air/+")
	const n = 50
	publish(t, broker.URL, n, func(i int) []byte { return []byte(strconv.Itoa(i)) })
	var mu sync.Mutex
	seen := 0
	reg := prometheus.NewRegistry()
	c, err := New(cfg, []string{"lantian/air/+"}, func(_ context.Context, _ string, _ []byte, _ time.Time, done func(bool)) {
		mu.Lock()
		seen++
		mu.Unlock()
		done(false)
	}, reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	testenv.Eventually(t, time.Minute, func() error {
		mu.Lock()
		defer mu.Unlock()
		if seen < n {
			return fmt.Errorf("%d of %d messages handled", seen, n)
		}
		return nil
	})
	if err := c.Stop(testenv.WithTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if held := gauge(t, reg, "lantian_mqtt_inflight_messages"); held != 0 {
		t.Fatalf("%v messages still held", held)
	}
}

// batchAcker stands in for a writer slower than the broker: every 5 ms it acknowledges up to
// 25 of the messages handed to it (5,000 a second), as the writer does when a batch is durable,
// and records each message once.
type batchAcker struct {
	mu      sync.Mutex
	pending []func(bool)
	seen    map[string]bool
	quit    chan struct{}
	wg      sync.WaitGroup
}

func newBatchAcker() *batchAcker {
	w := &batchAcker{seen: map[string]bool{}, quit: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-tick.C:
			}
			w.mu.Lock()
			k := min(len(w.pending), 25)
			batch := slices.Clone(w.pending[:k])
			w.pending = slices.Delete(w.pending, 0, k)
			w.mu.Unlock()
			for _, done := range batch {
				done(true)
			}
		}
	}()
	return w
}

func (w *batchAcker) handle(_ context.Context, _ string, payload []byte, _ time.Time, done func(bool)) {
	id, _, _ := strings.Cut(string(payload), " ")
	w.mu.Lock()
	w.seen[id] = true
	w.pending = append(w.pending, done)
	w.mu.Unlock()
}

func (w *batchAcker) distinct() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

func (w *batchAcker) stop() { close(w.quit); w.wg.Wait() }

// subscribeAway creates a persistent session with a QoS 1 subscription and leaves, so the
// broker queues what is published next for it.
func subscribeAway(t *testing.T, url, clientID, filter string) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(clientID).SetCleanSession(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	if tok := c.Subscribe(filter, 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	c.Disconnect(250)
}

// publish sends n QoS 1 messages on lantian/air/st-<i mod 10> and waits for every PUBACK.
func publish(t *testing.T, url string, n int, payload func(i int) []byte) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("lantian-budget-pub").SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(250)
	toks := make([]paho.Token, 0, 1000)
	for i := range n {
		toks = append(toks, c.Publish(fmt.Sprintf("lantian/air/st-%d", i%10), 1, false, payload(i)))
		if len(toks) == cap(toks) || i == n-1 {
			for _, tok := range toks {
				if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
					t.Fatalf("publish: %v", tok.Error())
				}
			}
			toks = toks[:0]
		}
	}
}

// gauge is the value of the metric named name (a gauge or counter without labels).
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name || len(f.GetMetric()) != 1 {
			continue
		}
		m := f.GetMetric()[0]
		if g := m.GetGauge(); g != nil {
			return g.GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("metric %s not found", name)
	return 0
}
