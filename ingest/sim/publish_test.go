package sim

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"lantian/ingest/reading"
	"lantian/internal/devenv/testenv"
)

// receiver collects what an embedded broker's inline subscriber receives on lantian/#.
type receiver struct {
	mu     sync.Mutex
	topics []string
	keys   map[string]int // "<topic> <time>" -> copies
	n      int
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// startBroker runs an embedded mochi-mqtt broker on addr (127.0.0.1:0 for a free port).
func startBroker(t *testing.T, addr string) (url string, rec *receiver, stop func()) {
	t.Helper()
	url, rec, srv := startServer(t, addr)
	var once sync.Once
	stop = func() { once.Do(func() { _ = srv.Close() }) }
	t.Cleanup(stop)
	return url, rec, stop
}

func startServer(t *testing.T, addr string) (string, *receiver, *mqtt.Server) {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	rec := &receiver{keys: map[string]int{}}
	err := srv.Subscribe("lantian/#", 1, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		var p struct {
			Time string `json:"time"`
		}
		if err := json.Unmarshal(pk.Payload, &p); err != nil {
			t.Errorf("%s: %v", pk.TopicName, err)
		}
		rec.mu.Lock()
		rec.n++
		rec.topics = append(rec.topics, pk.TopicName)
		rec.keys[pk.TopicName+" "+p.Time]++
		rec.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return "tcp://" + tcp.Address(), rec, srv
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPublishCountQoS1(t *testing.T) {
	cfg := sampleConfig(t)
	s := newSim(t, cfg, Options{Seed: 1, ExtraStations: 10})
	url, rec, _ := startBroker(t, "127.0.0.1:0")
	const n = 1234
	st, err := Publish(context.Background(), s, PublishOptions{
		Session: Session{URL: url, ClientID: "sim-test-count"}, QoS: 1, Count: n, Period: reading.Hour,
		Speed: math.Inf(1), Start: time.Now().Add(-10 * 24 * time.Hour),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Published != n || st.Sent != n || st.Errors != 0 {
		t.Fatalf("stats %+v, want %d published", st, n)
	}
	waitFor(t, "all messages", func() bool { return rec.count() >= n })
	time.Sleep(200 * time.Millisecond) // nothing more may arrive
	if got := rec.count(); got != n {
		t.Fatalf("broker received %d messages, want exactly %d", got, n)
	}
	for k, c := range rec.keys {
		if c != 1 {
			t.Fatalf("%s received %d times: (station, time) pairs must be unique", k, c)
		}
	}
	if !strings.HasPrefix(rec.topics[0], "lantian/air/") {
		t.Errorf("first topic %s", rec.topics[0])
	}
}

// TestPublishRealTimeRate publishes real-time readings at a rate: ticks then come every
// N/rate seconds, timestamps follow the clock, and no station repeats a timestamp.
func TestPublishRealTimeRate(t *testing.T) {
	cfg := sampleConfig(t)
	s := newSim(t, cfg, Options{Seed: 2, ExtraStations: 50})
	url, rec, _ := startBroker(t, "127.0.0.1:0")
	const n = 600
	began := time.Now()
	var calls int
	st, err := Publish(context.Background(), s, PublishOptions{
		Session: Session{URL: url, ClientID: "sim-test-rate", ProgressEvery: 50 * time.Millisecond}, QoS: 1, Count: n, Rate: 2000,
	}, func(Stats) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.Published != n {
		t.Fatalf("stats %+v", st)
	}
	waitFor(t, "all messages", func() bool { return rec.count() >= n })
	for k, c := range rec.keys {
		if c != 1 {
			t.Fatalf("%s received %d times", k, c)
		}
		ts, err := time.Parse(time.RFC3339Nano, k[strings.LastIndexByte(k, ' ')+1:])
		if err != nil {
			t.Fatal(err)
		}
		if ts.Before(began.Add(-time.Second)) || ts.After(time.Now()) {
			t.Fatalf("%s: real-time stamp outside the run", k)
		}
	}
	if calls == 0 {
		t.Error("progress was never called")
	}
}

// publishAcrossOutage publishes n hourly readings and calls outage once the broker has
// received 100 of them; it returns the run's stats.
func publishAcrossOutage(t *testing.T, url, clientID string, n int, outage func()) Stats {
	t.Helper()
	cfg := sampleConfig(t)
	s := newSim(t, cfg, Options{Seed: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type result struct {
		st  Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := Publish(ctx, s, PublishOptions{
			Session: Session{URL: url, ClientID: clientID}, QoS: 1, Count: n, Period: reading.Hour, Rate: 400,
			Speed: math.Inf(1), Start: time.Now().Add(-5 * 24 * time.Hour),
		}, nil)
		done <- result{st, err}
	}()
	outage()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.st.Published != int64(n) || r.st.Errors != 0 {
		t.Fatalf("stats %+v, want all %d acknowledged", r.st, n)
	}
	return r.st
}

func distinct(recs ...*receiver) int {
	seen := map[string]bool{}
	for _, r := range recs {
		r.mu.Lock()
		for k := range r.keys {
			seen[k] = true
		}
		r.mu.Unlock()
	}
	return len(seen)
}

// TestPublishResendsAfterConnectionLoss cuts the simulator's connection at the broker in the
// middle of a run: the persistent session resends every publish not yet acknowledged, so
// every message arrives (some perhaps twice: QoS 1 is at least once).
// mosquittoReceiver subscribes to everything under lantian/ with a persistent session on a
// real Mosquitto and records what arrives, reconnecting on its own after a broker restart.
func mosquittoReceiver(t *testing.T, url string) *receiver {
	t.Helper()
	rec := &receiver{keys: map[string]int{}}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID("sim-test-receiver").SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetMaxReconnectInterval(time.Second).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			var p struct {
				Time string `json:"time"`
			}
			if err := json.Unmarshal(m.Payload(), &p); err != nil {
				t.Errorf("%s: %v", m.Topic(), err)
			}
			rec.mu.Lock()
			rec.n++
			rec.topics = append(rec.topics, m.Topic())
			rec.keys[m.Topic()+" "+p.Time]++
			rec.mu.Unlock()
		})
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("receiver connect: %v", tok.Error())
	}
	if tok := c.Subscribe("lantian/#", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("receiver subscribe: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return rec
}

// TestPublishResendsAfterConnectionLoss cuts the publisher's connection mid-run (a proxy in
// front of a real Mosquitto): every message must still arrive.
func TestPublishResendsAfterConnectionLoss(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	rec := mosquittoReceiver(t, mosq.URL)
	proxy := testenv.StartProxy(t, strings.TrimPrefix(mosq.URL, "tcp://"))
	const n = 400
	publishAcrossOutage(t, "tcp://"+proxy.Addr, "sim-test-drop", n, func() {
		waitFor(t, "the first messages", func() bool { return rec.count() >= 100 })
		proxy.CutAll()
	})
	waitFor(t, "every message", func() bool { return distinct(rec) == n })
}

// TestPublishSurvivesBrokerRestart restarts a real Mosquitto (with persistence) mid-run:
// every message must reach the persistent subscriber.
func TestPublishSurvivesBrokerRestart(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	rec := mosquittoReceiver(t, mosq.URL)
	const n = 400
	publishAcrossOutage(t, mosq.URL, "sim-test-restart", n, func() {
		waitFor(t, "the first messages", func() bool { return rec.count() >= 100 })
		mosq.Restart()
	})
	waitFor(t, "every message", func() bool { return distinct(rec) == n })
}

func TestPublishOptionErrors(t *testing.T) {
	cfg := sampleConfig(t)
	s := newSim(t, cfg, Options{Seed: 1})
	for _, o := range []PublishOptions{
		{},
		{Session: Session{URL: "tcp://127.0.0.1:1"}, QoS: 3},
		{Session: Session{URL: "tcp://127.0.0.1:1"}, Period: "2h"},
		{Session: Session{URL: "tcp://127.0.0.1:1"}, Period: reading.Hour, Interval: 90 * time.Minute},
		{Session: Session{URL: "tcp://127.0.0.1:1"}, Rate: -1},
	} {
		if _, err := Publish(context.Background(), s, o, nil); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
