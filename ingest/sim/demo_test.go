package sim

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"lantian/ingest/hj212"
)

// TestForecasts: one message per area with stations, three days from tomorrow, graded by the
// caller's function from the simulated daily means.
func TestForecasts(t *testing.T) {
	cfg := sampleConfig(t)
	s := newSim(t, cfg, Options{Seed: 1})
	now := time.Date(2025, 12, 10, 9, 30, 0, 0, cfg.Location())
	grade := func(date time.Time, pm25, pm10 float64) (int, string) {
		if pm25 <= 0 || pm10 <= 0 {
			t.Errorf("%s: means %g %g", date, pm25, pm10)
		}
		return int(pm25), "PM2.5"
	}
	msgs := Forecasts(s, &cfg.Registry, grade, now)
	areas := map[string]bool{}
	for _, st := range cfg.Stations {
		areas[st.Area] = true
	}
	if len(msgs) != len(areas) {
		t.Fatalf("%d forecasts for %d areas", len(msgs), len(areas))
	}
	for _, m := range msgs {
		var f struct {
			Area   string
			Issued string
			Days   []struct {
				Date    string
				AQI     int
				Primary string
			}
		}
		if err := json.Unmarshal(m.Payload, &f); err != nil {
			t.Fatal(err)
		}
		if m.Topic != "forecast/"+f.Area || !areas[f.Area] || f.Issued != "2025-12-10T09:30:00+08:00" || len(f.Days) != 3 ||
			f.Days[0].Date != "2025-12-11" || f.Days[2].Date != "2025-12-13" || f.Days[0].AQI <= 0 || f.Days[0].Primary != "PM2.5" {
			t.Errorf("%s: %s", m.Topic, m.Payload)
		}
	}

	var mu sync.Mutex
	var published []string
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		PublishForecasts(ctx, s, ForecastOptions{Registry: &cfg.Registry, AQI: grade, Publish: func(topic string, _ []byte) error {
			mu.Lock()
			defer mu.Unlock()
			published = append(published, topic)
			return nil
		}})
	}()
	waitFor(t, "the first round", func() bool { mu.Lock(); defer mu.Unlock(); return len(published) == len(areas) })
	cancel()
	<-done
}

// TestRunLogger: the data logger connects to the gateway and sends HJ 212 real-time data of
// its devices, each answered before the next.
func TestRunLogger(t *testing.T) {
	cfg := sampleConfig(t)
	s := newSim(t, cfg, Options{Seed: 1})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunLogger(ctx, s, LoggerOptions{Addr: l.Addr().String(), Registry: &cfg.Registry, Every: time.Hour})
	}()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	frames := hj212.NewSplitter(conn, hj212.DefaultMaxPacket)
	seen := map[string]bool{}
	for range 2 {
		frame, err := frames.Next()
		if err != nil {
			t.Fatal(err)
		}
		p, err := hj212.Parse(frame)
		if err != nil || !p.Trusted() || p.CN != "2011" || !p.HasData() {
			t.Fatalf("%s: %v", frame, err)
		}
		if !strings.Contains(p.Data, "-Rtd=") {
			t.Errorf("no real-time values: %s", p.Data)
		}
		seen[p.MN] = true
		reply, err := hj212.DataReply(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(reply); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 2 {
		t.Errorf("devices %v", seen)
	}
	cancel()
	conn.Close()
	<-done
}
