package service_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"lantian/alert/notify"
	"lantian/alert/source"
	"lantian/ingest/registry"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
)

// outletHour is an hourly JSON record of an outlet.
func outletHour(prefix, src, out string, t time.Time, nox, flow float64) message {
	return message{topic: fmt.Sprintf("%s/source/%s/%s", prefix, src, out),
		payload: fmt.Appendf(nil, `{"time":%q,"period":"1h","nox":%g,"flow":%g}`, t.Format(time.RFC3339), nox, flow)}
}

// TestSourceMonitoringRestartContinuesEvent stops the service in the middle of an exceedance
// event and starts a new one on the same InfluxDB and Alertmanager: the event continues as one
// (one opened point, one closed point with every hour) with one alert, and the hour that was
// open at the stop is completed from the stored reading.
func TestSourceMonitoringRestartContinuesEvent(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	loc := time.FixedZone("CST", 8*3600)
	now := time.Now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day()-2, 0, 0, 0, 0, loc)
	clock := &testClock{t: day}
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-restart")
	cfg.Sources = []registry.Source{{ID: "px-power", Name: "电厂甲", Area: "changji", Industry: "power",
		Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 180, Limits: map[string]float64{"nox": 50}}}}}
	cfg.Alertmanager = notify.Config{URLs: []string{am.URL}, Timeout: 5 * time.Second, ResendInterval: 500 * time.Millisecond,
		MaxAttempts: 3, RetryInterval: 100 * time.Millisecond, QueueSize: 1000}
	cfg.SourceMonitoring = source.MonitorConfig{Enabled: true, CheckInterval: 100 * time.Millisecond, QueueSize: 10000,
		QualityAlertHold: time.Hour, Coverage: source.DefaultCoverageConfig(), Rules: source.DefaultConfig(), Now: clock.Now}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	prefix := cfg.MQTT.TopicPrefix
	// NOx 30 until 04:00, then 80 (limit 50): the event starts at 04:00. Flow varies so that
	// no flat line is found.
	send := func(pub *publisher, from, to int, nox float64) {
		var msgs []message
		for h := from; h < to; h++ {
			msgs = append(msgs, outletHour(prefix, "px-power", "DA001", day.Add(time.Duration(h)*time.Hour), nox+float64(h), 400000+float64(1000*h)))
		}
		pub.publishAll(msgs)
	}
	added := func(addr string, want int) {
		testenv.Eventually(t, 30*time.Second, func() error {
			if v, _ := metricValue(scrape(t, addr), "lantian_source_readings_total", `result="added"`); int(v) != want {
				return fmt.Errorf("%g of %d readings added", v, want)
			}
			return nil
		})
	}
	exceedanceAlerts := func() ([]notifytest.Alert, error) {
		as, err := am.Alerts(t.Context())
		var out []notifytest.Alert
		for _, a := range as {
			if a.Labels["alertname"] == source.AlertExceedance {
				out = append(out, a)
			}
		}
		return out, err
	}

	first := startService(t, cfg)
	pub := newPublisher(t, mosq.URL, "pub-restart")
	send(pub, 0, 4, 30)
	send(pub, 4, 9, 80)
	added(first.svc.HTTPAddr, 9)
	// Hours 00–07 close; 08:00 is still open when the service stops.
	clock.Set(day.Add(8*time.Hour + 30*time.Minute))
	testenv.Eventually(t, 30*time.Second, func() error {
		rows := influxRows(t, influx, `SELECT * FROM exceedance WHERE "state"='extended'`)
		if len(rows) != 1 || rows[0]["hours"] != 4.0 {
			return fmt.Errorf("extended event before the stop: %v", rows)
		}
		as, err := exceedanceAlerts()
		if err != nil || len(as) != 1 || !as[0].StartsAt.Equal(day.Add(4*time.Hour)) {
			return fmt.Errorf("exceedance alerts before the stop: %v %v", as, err)
		}
		return nil
	})
	first.stop(t)

	second := startService(t, cfg)
	// The restored event is alerted again under the same labels: still one alert.
	testenv.Eventually(t, 30*time.Second, func() error {
		if v, _ := metricValue(scrape(t, second.svc.HTTPAddr), "lantian_source_exceedances_open", `source="px-power"`); v != 1 {
			return fmt.Errorf("restored event not open in metrics: %g", v)
		}
		return nil
	})
	send(pub, 9, 11, 80)
	send(pub, 11, 12, 30)
	added(second.svc.HTTPAddr, 3)
	as, err := exceedanceAlerts()
	if err != nil || len(as) != 1 || !as[0].StartsAt.Equal(day.Add(4*time.Hour)) {
		t.Fatalf("exceedance alerts after the restart: %+v %v", as, err)
	}
	// 08:00 (read back from InfluxDB), 09:00 and 10:00 extend the event; 11:00 closes it.
	clock.Set(day.Add(12*time.Hour + 30*time.Minute))
	testenv.Eventually(t, 30*time.Second, func() error {
		rows := influxRows(t, influx, `SELECT * FROM exceedance`)
		var states []string
		for _, r := range rows {
			states = append(states, r["state"].(string))
			if r["start"] != day.Add(4*time.Hour).Format(time.RFC3339) {
				return fmt.Errorf("an event that does not start at 04:00: %v", r)
			}
			if r["state"] == "closed" && (r["hours"] != 7.0 || r["end"] != day.Add(11*time.Hour).Format(time.RFC3339) || r["gap_hours"] != 0.0) {
				return fmt.Errorf("closed event: %v", r)
			}
		}
		slices.Sort(states)
		if !slices.Equal(states, []string{"closed", "extended", "opened"}) {
			return fmt.Errorf("exceedance points %v: %v", states, rows)
		}
		return nil
	})
	testenv.Eventually(t, 20*time.Second, func() error {
		if as, err := exceedanceAlerts(); err != nil || len(as) != 0 {
			return fmt.Errorf("exceedance alert not resolved: %+v %v", as, err)
		}
		return nil
	})
	metrics := scrape(t, second.svc.HTTPAddr)
	if v, _ := metricValue(metrics, "lantian_source_exceedance_events_total", `source="px-power"`); v != 0 {
		t.Errorf("the restarted service opened %g new events", v)
	}
	if n := influx.Count(t, "emission_hourly", "samples", `"source"='px-power'`); n != 12 {
		t.Errorf("emission_hourly: %d hours, want 12", n)
	}
}
