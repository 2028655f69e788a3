package source_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/alert/source"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// lineSink keeps every point the monitor writes.
type lineSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *lineSink) Submit(_ context.Context, line []byte, done func(error)) {
	s.mu.Lock()
	s.lines = append(s.lines, string(line))
	s.mu.Unlock()
	done(nil)
}

// matching returns the points of measurement that contain every part.
func (s *lineSink) matching(measurement string, parts ...string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.lines {
		if !strings.HasPrefix(l, measurement+",") {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// alertLog keeps every alert the monitor raises.
type alertLog struct {
	mu     sync.Mutex
	alerts []source.Alert
}

func (n *alertLog) Notify(a source.Alert) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.alerts = append(n.alerts, a)
}

// TestMonitorExceedanceAndSilence runs the monitor on its own: three exceeding hours of one
// outlet give hourly points, an open exceedance event with its alert and gauge, while an outlet
// that never reports turns silent. Run, cancelled at once, takes the queued readings and closes
// the complete hours before it returns.
func TestMonitorExceedanceAndSilence(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2026, 1, 10, 8, 0, 0, 0, loc)
	now := t0
	cfg := source.DefaultMonitorConfig()
	cfg.CheckInterval = time.Hour // only the final step at shutdown runs
	cfg.Now = func() time.Time { return now }
	sources := []registry.Source{
		{ID: "px", Area: "changji", Industry: "power", Outlets: []registry.Outlet{{ID: "DA001", Limits: map[string]float64{"nox": 50}}}},
		{ID: "quiet", Area: "fukang", Industry: "cement", Outlets: []registry.Outlet{{ID: "DA001", Limits: map[string]float64{"nox": 50}}}},
	}
	sink, alerts, reg := &lineSink{}, &alertLog{}, prometheus.NewRegistry()
	m, err := source.NewMonitor(source.MonitorOptions{Config: cfg, Location: loc, Sources: sources, Sink: sink,
		Notifier: alerts, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	for h := range 3 {
		m.Stored(&reading.Accepted{Reading: reading.Reading{Kind: reading.Source, Source: "px", Outlet: "DA001",
			Time: t0.Add(time.Duration(h) * time.Hour), Period: reading.Hour,
			Values: []reading.Value{{Name: "nox", Value: 80 + float64(h)}, {Name: "flow", Value: 1e5}}}, County: "changji"})
	}
	// Ambient readings are not the monitor's.
	m.Stored(&reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: "A", Time: t0, Period: reading.Hour}})

	now = t0.Add(4 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}

	if n := len(sink.matching("emission_hourly", "source=px", "nox_verdict=\"exceeding\"", "nox_kgh=")); n != 3 {
		t.Errorf("%d exceeding emission_hourly points of px, want 3:\n%s", n, strings.Join(sink.lines, "\n"))
	}
	if n := len(sink.matching("exceedance", "county=changji", "pollutant=nox", "source=px", "state=opened")); n != 1 {
		t.Errorf("%d opened exceedance points, want 1:\n%s", n, strings.Join(sink.lines, "\n"))
	}
	if n := len(sink.matching("source_quality", "rule=silent", "scope=stream", "source=quiet")); n != 1 {
		t.Errorf("%d stream silence findings of the quiet outlet, want 1:\n%s", n, strings.Join(sink.lines, "\n"))
	}
	var names []string
	for _, a := range alerts.alerts {
		names = append(names, a.Labels["alertname"]+" "+a.Labels["source"]+" "+a.Labels["pollutant"]+a.Labels["rule"])
		if a.Labels["alertname"] == source.AlertExceedance && (!a.StartsAt.Equal(t0) || !a.EndsAt.IsZero()) {
			t.Errorf("exceedance alert of an open event: %+v", a)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if want := []string{"SourceDataQuality quiet silent", "SourceExceedance px nox"}; !slices.Equal(names, want) {
		t.Errorf("alerts %q, want %q", names, want)
	}

	for _, c := range []struct {
		name   string
		labels prometheus.Labels
		want   float64
	}{
		{"lantian_source_exceedances_open", prometheus.Labels{"source": "px", "outlet": "DA001", "pollutant": "nox"}, 1},
		{"lantian_outlet_silent", prometheus.Labels{"source": "quiet", "outlet": "DA001"}, 1},
		{"lantian_source_readings_total", prometheus.Labels{"result": "added"}, 3},
		{"lantian_source_hours_closed_total", nil, 3},
	} {
		if got := gauge(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %g, want %g", c.name, c.labels, got, c.want)
		}
	}
}

// gauge returns the value of the sample of name whose labels include labels.
func gauge(t *testing.T, reg *prometheus.Registry, name string, labels prometheus.Labels) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			ok := true
			for k, v := range labels {
				ok = ok && have[k] == v
			}
			if !ok {
				continue
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no sample %s%v", name, labels)
	return 0
}

func TestMonitorConfigRefusesQuotasOfUnknownAreasAndPollutants(t *testing.T) {
	cfg := source.DefaultMonitorConfig()
	cfg.CountyQuotas = map[string]map[string]source.Quota{"atlantis": {"nox": {DayKg: 1}}, "changji": {"co2": {DayKg: 1}, "nox": {DayKg: -1}}}
	err := cfg.Validate([]registry.Source{{ID: "s", Area: "changji", Outlets: []registry.Outlet{{ID: "o"}}}}, nil)
	for _, want := range []string{`"atlantis" is not the area`, `"co2" is not dust`, "negative quota"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
