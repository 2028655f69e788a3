package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"lantian/ingest/hj212"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/validate"
)

// fakeSink answers every line with err.
type fakeSink struct {
	mu    sync.Mutex
	err   error
	lines []string
}

func (s *fakeSink) Submit(_ context.Context, line []byte, done func(error)) {
	s.mu.Lock()
	s.lines = append(s.lines, string(line))
	err := s.err
	s.mu.Unlock()
	done(err)
}

type deadLetter struct{ origin, topic, payload, reason, cause string }

// fakeDeadLetters records every dead letter, or fails when err is set.
type fakeDeadLetters struct {
	mu      sync.Mutex
	err     error
	letters []deadLetter
}

func (d *fakeDeadLetters) Put(origin, topic string, payload []byte, reason string, cause error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.letters = append(d.letters, deadLetter{origin, topic, string(payload), reason, cause.Error()})
	return nil
}

type fixture struct {
	t       *testing.T
	p       *Pipeline
	m       *Metrics
	sink    *fakeSink
	dead    *fakeDeadLetters
	stored  []string
	handled []string
}

func (f *fixture) Stored(a *reading.Accepted) { f.stored = append(f.stored, a.ID()) }

// newFixture builds a pipeline with prefix "lantian", a 256-byte payload cap, the real HJ 212
// payload decoder when hj212 is set, and a "forecast" route answering with forecastErr.
func newFixture(t *testing.T, withHJ212 bool, forecastErr error) *fixture {
	t.Helper()
	reg := &registry.Registry{
		Areas:    registry.DefaultAreas(),
		Stations: []registry.Station{{ID: "cj-01", Area: "changji", Class: registry.National}},
		Sources: []registry.Source{{ID: "px-power", Area: "changji", Industry: "power",
			Outlets: []registry.Outlet{{ID: "DA001"}}}},
	}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, sink: &fakeSink{}, dead: &fakeDeadLetters{}, m: NewMetrics(prometheus.NewRegistry())}
	cfg := Config{
		TopicPrefix: "lantian", MaxPayloadBytes: 256,
		Checker: &validate.Checker{Registry: reg, MaxFuture: time.Hour, MaxAge: 365 * 24 * time.Hour,
			Now: func() time.Time { return time.Unix(1768039200, 0) }},
		Sink: f.sink, DeadLetters: f.dead, Metrics: f.m, Observers: []Observer{f},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if withHJ212 {
		cfg.HJ212 = &hj212.PayloadDecoder{}
	}
	f.setRoutes(&cfg, forecastErr)
	f.p = New(cfg)
	return f
}

// handle passes one message and reports whether it was acknowledged. Every outcome must call
// done exactly once, also when the message is left for redelivery: the collector holds the
// message against its budget until then.
func (f *fixture) handle(topic, payload string) bool {
	acked, calls := false, 0
	f.p.HandleMessage(context.Background(), topic, []byte(payload), time.Now(), func(ack bool) { acked = ack; calls++ })
	if calls != 1 {
		f.t.Fatalf("%s %q: done called %d times, want once", topic, payload, calls)
	}
	return acked
}

func (f *fixture) messages(t *testing.T, route string) float64 {
	return value(t, f.m.messages.WithLabelValues(route)).GetCounter().GetValue()
}

func (f *fixture) rejected(t *testing.T, reason string) float64 {
	return value(t, f.m.rejected.WithLabelValues(reason)).GetCounter().GetValue()
}

func TestReadingFamiliesAreStoredAndAcknowledged(t *testing.T) {
	f := newFixture(t, true, nil)
	if !f.handle("lantian/air/cj-01", `{"time":1768039200,"pm25":35}`) {
		t.Fatal("air reading not acknowledged")
	}
	if !f.handle("lantian/source/px-power/DA001", `{"time":1768039200,"so2":21,"o2":7}`) {
		t.Fatal("source reading not acknowledged")
	}
	if len(f.sink.lines) != 2 || len(f.dead.letters) != 0 || len(f.stored) != 2 || f.stored[0] != "cj-01" || f.stored[1] != "px-power/DA001" {
		t.Fatalf("lines %q, dead letters %+v, observed %q", f.sink.lines, f.dead.letters, f.stored)
	}
	if f.messages(t, "air") != 1 || f.messages(t, "source") != 1 || value(t, f.m.readings.WithLabelValues("air")).GetCounter().GetValue() != 1 ||
		value(t, f.m.readings.WithLabelValues("source")).GetCounter().GetValue() != 1 {
		t.Fatal("metrics of stored readings")
	}
	if n := f.arrivals(t); n != 2 {
		t.Fatalf("arrival-to-durable observed %d times, want 2", n)
	}
}

func value(t *testing.T, m prometheus.Metric) *dto.Metric {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func (f *fixture) arrivals(t *testing.T) uint64 {
	return value(t, f.m.arrivalToDurable).GetHistogram().GetSampleCount()
}

// Every refusal is counted by reason, kept as a dead letter with the topic and the cause, and
// acknowledged; the message counter names the route the topic took.
func TestRefusalsAreDeadLetteredByReasonAndRoute(t *testing.T) {
	big := make([]byte, 257)
	for i := range big {
		big[i] = ' '
	}
	cases := []struct {
		name, topic, payload string
		hj212                bool
		route, reason, cause string
	}{
		{"oversize", "lantian/air/cj-01", string(big), false, "oversize", reading.ReasonTooLarge,
			"too_large: payload of 257 bytes exceeds mqtt.max_payload_bytes 256"},
		{"unknown family", "lantian/weather/cj-01", `{}`, false, "unknown", reading.ReasonBadTopic,
			`bad_topic: topic "lantian/weather/cj-01" is not a reading topic`},
		{"other prefix", "other/air/cj-01", `{}`, false, "unknown", reading.ReasonBadTopic,
			`bad_topic: topic "other/air/cj-01" is not a reading topic`},
		{"family without key", "lantian/forecast", `{}`, false, "unknown", reading.ReasonBadTopic,
			`bad_topic: topic "lantian/forecast" is not a reading topic`},
		{"malformed air", "lantian/air/cj-01", `{"time":`, false, "air", reading.ReasonMalformed,
			"malformed_json: unexpected EOF"},
		{"unknown station", "lantian/air/xx-99", `{"time":1768039200,"pm25":35}`, false, "air", reading.ReasonUnknownStation,
			`unknown_station: station "xx-99" is not in the registry`},
		{"source topic without outlet", "lantian/source/px-power", `{}`, false, "source", reading.ReasonBadTopic,
			`bad_topic: topic "lantian/source/px-power" is not lantian/source/<source>/<outlet>`},
		{"source topic too deep", "lantian/source/px-power/DA001/x", `{}`, false, "source", reading.ReasonBadTopic,
			`bad_topic: topic "lantian/source/px-power/DA001/x" is not lantian/source/<source>/<outlet>`},
		{"unknown outlet", "lantian/source/px-power/DA009", `{"time":1768039200,"so2":1}`, false, "source", reading.ReasonUnknownOutlet,
			"unknown_outlet: outlet px-power/DA009 is not in the registry"},
		{"no HJ 212 decoder", "lantian/hj212/MN1", "##0000", false, "hj212", reading.ReasonHJ212,
			"hj212: no HJ 212 decoder is configured"},
		{"HJ 212 garbage", "lantian/hj212/MN1", "hello", true, "hj212", reading.ReasonHJ212,
			"hj212: hj212 payload of MN1: no frame found: hj212: bad frame header"},
		{"forecast refused", "lantian/forecast/changji", "refuse", false, "forecast", reading.ReasonBadValue,
			"bad_value: forecast refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.hj212, nil)
			if !f.handle(c.topic, c.payload) {
				t.Fatal("refused message not acknowledged")
			}
			want := deadLetter{"mqtt", c.topic, c.payload, c.reason, c.cause}
			if len(f.dead.letters) != 1 || f.dead.letters[0] != want {
				t.Fatalf("dead letters %+v, want %+v", f.dead.letters, want)
			}
			if f.messages(t, c.route) != 1 || f.rejected(t, c.reason) != 1 || len(f.sink.lines) != 0 {
				t.Fatalf("route %s counted %v, reason %s counted %v, lines %q", c.route, f.messages(t, c.route), c.reason, f.rejected(t, c.reason), f.sink.lines)
			}
		})
	}
}

// A message stays unacknowledged, so that the broker redelivers it, when neither its outcome
// nor its dead letter could be made durable.
func TestMessagesLeftForRedelivery(t *testing.T) {
	f := newFixture(t, false, errors.New("store down"))
	if f.handle("lantian/forecast/changji", "{}") || len(f.dead.letters) != 0 || f.messages(t, "forecast") != 1 {
		t.Fatalf("forecast failing with a plain error: dead letters %+v", f.dead.letters)
	}
	f = newFixture(t, false, nil)
	f.sink.err = errors.New("influx and spool down")
	if f.handle("lantian/air/cj-01", `{"time":1768039200,"pm25":35}`) || len(f.dead.letters) != 0 || len(f.stored) != 0 {
		t.Fatalf("storage failure: dead letters %+v, observed %q", f.dead.letters, f.stored)
	}
	f = newFixture(t, false, nil)
	f.dead.err = errors.New("disk full")
	if f.handle("lantian/air/cj-01", `{"time":`) || f.rejected(t, reading.ReasonMalformed) != 1 {
		t.Fatal("refusal whose dead letter failed was acknowledged")
	}
}

func TestExtraRouteGetsTheKeyAndIsAcknowledged(t *testing.T) {
	f := newFixture(t, false, nil)
	if !f.handle("lantian/forecast/changji", `{"aqi":80}`) {
		t.Fatal("forecast not acknowledged")
	}
	if len(f.handled) != 1 || f.handled[0] != `changji {"aqi":80}` || len(f.dead.letters) != 0 || f.messages(t, "forecast") != 1 {
		t.Fatalf("handled %q, dead letters %+v", f.handled, f.dead.letters)
	}
	if n := f.arrivals(t); n != 0 {
		t.Fatalf("arrival-to-durable observed %d times for a forecast", n)
	}
}

// A rejection of one reading of a payload refuses the whole message and stores none of it.
func TestStoreRefusesAllReadingsForOneInvalid(t *testing.T) {
	f := newFixture(t, false, nil)
	var got error
	f.p.Store(context.Background(), []reading.Reading{
		{Kind: reading.Air, Station: "cj-01", Time: time.Unix(1768039200, 0), Values: []reading.Value{{Name: "pm25", Value: 1}}},
		{Kind: reading.Air, Station: "cj-01", Time: time.Unix(1768039200, 0), Values: []reading.Value{{Name: "pm25", Value: -1}}},
	}, func(err error) { got = err })
	if reading.ReasonOf(got) != reading.ReasonOutOfRange || len(f.sink.lines) != 0 {
		t.Fatalf("got %v, lines %q", got, f.sink.lines)
	}
}

// setRoutes adds the "forecast" family: it refuses the payload "refuse" with a
// reading.ReasonBadValue rejection, fails every other with failErr, or records it.
func (f *fixture) setRoutes(cfg *Config, failErr error) {
	cfg.Routes = map[string]Route{"forecast": {Handle: func(_ context.Context, key string, payload []byte) error {
		switch {
		case string(payload) == "refuse":
			return reading.Reject(reading.ReasonBadValue, "forecast refused")
		case failErr != nil:
			return failErr
		}
		f.handled = append(f.handled, key+" "+string(payload))
		return nil
	}}}
}

func TestRoutesCannotReplaceAReadingFamily(t *testing.T) {
	for name, r := range map[string]Route{
		"air":      {Handle: func(context.Context, string, []byte) error { return nil }},
		"forecast": {},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("route %q %+v accepted", name, r)
				}
			}()
			New(Config{TopicPrefix: "lantian", Routes: map[string]Route{name: r}})
		}()
	}
}

// An HJ 212 payload that carries no data (a command or heartbeat frame) has nothing to store
// and is acknowledged at once instead of being held for ever.
func TestHJ212PayloadWithoutDataIsAcknowledged(t *testing.T) {
	f := newFixture(t, true, nil)
	// HJ 212-2017 Appendix A's own example: CN=1062, a command, not data.
	frame := "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
	if !f.handle("lantian/hj212/010000A8900016F000169DC0", frame) {
		t.Fatal("payload without data not acknowledged")
	}
	if len(f.sink.lines) != 0 || len(f.dead.letters) != 0 {
		t.Fatalf("lines %q, dead letters %+v", f.sink.lines, f.dead.letters)
	}
}

// gate is an observer that paces the pipeline: Wait blocks until open is closed.
type gate struct{ open chan struct{} }

func (g *gate) Stored(*reading.Accepted) {}

func (g *gate) Wait(ctx context.Context) error {
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// An observer that is behind holds messages back before they are taken; when the session ends
// meanwhile, the message is given up for the broker to deliver again.
func TestPacingObserverHoldsMessagesBack(t *testing.T) {
	f := newFixture(t, false, nil)
	g := &gate{open: make(chan struct{})}
	p := New(Config{TopicPrefix: "lantian", MaxPayloadBytes: 256, Checker: f.p.cfg.Checker, Sink: f.sink,
		DeadLetters: f.dead, Metrics: f.m, Log: f.p.cfg.Log, Observers: []Observer{g}})
	result := make(chan bool, 1)
	go p.HandleMessage(context.Background(), "lantian/air/cj-01", []byte(`{"time":1768039200,"pm25":35}`), time.Now(),
		func(ack bool) { result <- ack })
	select {
	case <-result:
		t.Fatal("message handled while the observer was behind")
	case <-time.After(50 * time.Millisecond):
	}
	close(g.open)
	if !<-result || len(f.sink.lines) != 1 {
		t.Fatalf("after the observer caught up: lines %q", f.sink.lines)
	}

	g = &gate{open: make(chan struct{})}
	p = New(Config{TopicPrefix: "lantian", MaxPayloadBytes: 256, Checker: f.p.cfg.Checker, Sink: f.sink,
		DeadLetters: f.dead, Metrics: f.m, Log: f.p.cfg.Log, Observers: []Observer{g}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.HandleMessage(ctx, "lantian/air/cj-01", []byte(`{"time":1768039200,"pm25":35}`), time.Now(), func(ack bool) { result <- ack })
	if <-result || len(f.sink.lines) != 1 {
		t.Fatal("message taken although the session ended while the observer was behind")
	}
}
