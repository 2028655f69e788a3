package service_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lantian/ingest/deadletter"
	"lantian/internal/devenv/testenv"
)

func hourly(station string, t time.Time, pm25 float64) []byte {
	return fmt.Appendf(nil, `{"station":%q,"time":%q,"period":"1h","pm25":%g,"flags":{"pm25":"N"}}`, station, t.Format(time.RFC3339), pm25)
}

// TestRewritingHistoryIsRefusedAsConflict publishes a station's hourly value from 30 days ago
// as 20 and then as 250: the stored value stays 20 and the 250 is a dead letter naming both
// values; the same for the current hour (checked from the cache) and, after a restart, for a
// value stored by the earlier process. Identical redeliveries stay idempotent.
func TestRewritingHistoryIsRefusedAsConflict(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-history")
	run := startService(t, cfg)
	pub := newPublisher(t, mosq.URL, "pub-history")
	old := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Hour)
	live := time.Now().Truncate(time.Hour)
	deadPath := filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName)
	stored := func(t0 time.Time) string {
		body, err := influx.InfluxQL(fmt.Sprintf(`SELECT pm25 FROM air WHERE station='cj-01' AND period='1h' AND time = '%s'`, t0.UTC().Format(time.RFC3339)))
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	conflicts := func() []deadletter.Entry {
		var out []deadletter.Entry
		for _, e := range readDeadLetters(t, deadPath) {
			if e.Reason == "conflict" {
				out = append(out, e)
			}
		}
		return out
	}
	for _, t0 := range []time.Time{old, live} {
		pub.publish("lantian/air/cj-01", hourly("cj-01", t0, 20))
		testenv.Eventually(t, 20*time.Second, func() error {
			if !strings.Contains(stored(t0), ",20]") {
				return fmt.Errorf("first value not stored yet: %s", stored(t0))
			}
			return nil
		})
		pub.publish("lantian/air/cj-01", hourly("cj-01", t0, 20)) // redelivery: idempotent
		pub.publish("lantian/air/cj-01", hourly("cj-01", t0, 250))
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		if n := len(conflicts()); n != 2 {
			return fmt.Errorf("%d conflict dead letters, want 2", n)
		}
		return nil
	})
	for _, e := range conflicts() {
		if !strings.Contains(e.Error, "stored pm25=20 (N)") || !strings.Contains(e.Error, "received pm25=250 (N)") || !strings.Contains(e.Payload, "250") {
			t.Errorf("conflict dead letter does not keep both values: %+v", e)
		}
	}
	for _, t0 := range []time.Time{old, live} {
		if s := stored(t0); !strings.Contains(s, ",20]") {
			t.Errorf("stored value of %s rewritten: %s", t0, s)
		}
	}
	if m := scrape(t, run.svc.HTTPAddr); !strings.Contains(m, "lantian_history_conflicts_total 2") {
		t.Errorf("metrics lack lantian_history_conflicts_total 2")
	}

	// After a restart the cache is empty: the check asks InfluxDB.
	run.stop(t)
	startService(t, cfg)
	pub.publish("lantian/air/cj-01", hourly("cj-01", live, 99))
	testenv.Eventually(t, 20*time.Second, func() error {
		if n := len(conflicts()); n != 3 {
			return fmt.Errorf("%d conflict dead letters after the restart, want 3", n)
		}
		return nil
	})
	if s := stored(live); !strings.Contains(s, ",20]") {
		t.Errorf("stored value rewritten after a restart: %s", s)
	}
}
