package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/registry"
	"lantian/ingest/validate"
)

type instantSink struct{}

func (instantSink) Submit(_ context.Context, _ []byte, done func(error)) { done(nil) }

type noDeadLetters struct{}

func (noDeadLetters) Put(string, string, []byte, string, error) error { return nil }

// BenchmarkHandleMessage measures Lantian's own work per message: decode, validate, encode,
// metrics and the done path, without the broker, the network or InfluxDB.
func BenchmarkHandleMessage(b *testing.B) {
	reg := &registry.Registry{Areas: registry.DefaultAreas()}
	for i := 0; i < 200; i++ {
		reg.Stations = append(reg.Stations, registry.Station{ID: fmt.Sprintf("st-%03d", i), Area: "changji", Class: registry.Micro})
	}
	if err := reg.Index(); err != nil {
		b.Fatal(err)
	}
	p := New(Config{
		TopicPrefix: "lantian", MaxPayloadBytes: 1 << 20,
		Checker: &validate.Checker{Registry: reg, MaxFuture: time.Hour, MaxAge: 365 * 24 * time.Hour},
		Sink:    instantSink{}, DeadLetters: noDeadLetters{},
		Metrics: NewMetrics(prometheus.NewRegistry()),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	now := time.Now().Add(-time.Hour)
	topics := make([]string, 200)
	payloads := make([][]byte, 200)
	for i := range topics {
		topics[i] = fmt.Sprintf("lantian/air/st-%03d", i)
		payloads[i] = []byte(fmt.Sprintf(`{"station":"st-%03d","time":%q,"period":"rt","pm25":%d,"pm10":%d,"so2":8,"no2":31.5,"co":0.9,"o3":"44","flags":{"pm25":"N"}}`,
			i, now.Format(time.RFC3339), 30+i%50, 60+i%70))
	}
	ctx := context.Background()
	acked := 0
	ack := func(ok bool) {
		if ok {
			acked++
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.HandleMessage(ctx, topics[i%200], payloads[i%200], time.Now(), ack)
		i++
	}
	if acked != i {
		b.Fatalf("acked %d of %d", acked, i)
	}
}
