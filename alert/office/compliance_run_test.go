package office

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"lantian/ingest/registry"
)

// fakeEmissions serves fixed outlet hours.
type fakeEmissions struct{ hours []OutletHour }

func (f fakeEmissions) OutletHours(_ context.Context, _ []string, from, to time.Time) ([]OutletHour, error) {
	var out []OutletHour
	for _, h := range f.hours {
		if !h.Hour.Before(from) && h.Hour.Before(to) {
			out = append(out, h)
		}
	}
	return out, nil
}

// TestComplianceCheckAlertsAfterGraceAndResolvesOnLift runs the periodic check: nothing is
// alerted within the grace period; past it, the source that cut too little and its county
// total are alerted and written to InfluxDB with gauges; lifting resolves the alerts.
func TestComplianceCheckAlertsAfterGraceAndResolvesOnLift(t *testing.T) {
	loc := shanghai(t)
	start := time.Date(2026, 12, 8, 8, 0, 0, 0, loc)
	reg := &registry.Registry{Areas: registry.DefaultAreas(), Sources: []registry.Source{
		{ID: "cut", Name: "减排企业", Area: "changji", EmergencyList: true, Outlets: []registry.Outlet{{ID: "DA001"}}},
		{ID: "same", Name: "未减排企业", Area: "changji", EmergencyList: true, Outlets: []registry.Outlet{{ID: "DA001"}}},
	}}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	var hours []OutletHour
	for i := -24; i < 6; i++ {
		cut := 10.0
		if i >= 0 {
			cut = 7 // 30 %
		}
		hours = append(hours,
			OutletHour{Source: "cut", Outlet: "DA001", Hour: start.Add(time.Duration(i) * time.Hour), KgH: map[string]float64{"so2": cut}},
			OutletHour{Source: "same", Outlet: "DA001", Hour: start.Add(time.Duration(i) * time.Hour), KgH: map[string]float64{"so2": 10}})
	}
	st, err := OpenStore(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := start.Add(2*time.Hour + 30*time.Minute)
	sink, rec := &fakeSink{}, &recorder{}
	o, err := New(Options{Registry: reg, Location: loc, Store: st, Sink: sink, Publisher: &fakePublisher{retained: map[string]AreaMessage{}},
		Notifier: rec, Emissions: fakeEmissions{hours}, Compliance: ComplianceConfig{BaselineDays: 1, Interval: time.Minute, Grace: 3 * time.Hour},
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, err := o.Issue(ctx, IssueRequest{Level: "orange", Areas: []string{"changji"}, Start: start.Format(time.RFC3339), Reason: "测试"}, Actor{Who: "office"})
	if err != nil {
		t.Fatal(err)
	}
	compAlerts := func() (firing, resolved []Alert) {
		for _, a := range rec.Alerts() {
			if a.Labels["alertname"] != "EmergencyReductionNotMet" {
				continue
			}
			if a.EndsAt.IsZero() {
				firing = append(firing, a)
			} else {
				resolved = append(resolved, a)
			}
		}
		return
	}

	// Within the grace period: figures written, nothing alerted.
	o.checkCompliance(ctx)
	if f, _ := compAlerts(); len(f) != 0 {
		t.Errorf("alerted within the grace period: %v", f)
	}
	if l := sink.with("warning_compliance,county=changji,id=same,pollutant=so2,scope=source,warning_id=" + w.ID); len(l) != 1 ||
		!strings.Contains(l[0], `status="not_compliant"`) || !strings.Contains(l[0], "below_after_grace=false") {
		t.Errorf("points: %v", l)
	}

	// Past it: the source that did not cut, the county total and the list total (15 %: 102 of
	// 120 kg) fire.
	now = start.Add(6*time.Hour + 10*time.Minute)
	o.checkCompliance(ctx)
	firing, _ := compAlerts()
	got := map[string]bool{}
	for _, a := range firing {
		got[a.Labels["scope"]+"/"+a.Labels["id"]] = true
		if !strings.Contains(a.Annotations["summary"], "减排未达标") {
			t.Errorf("summary %q", a.Annotations["summary"])
		}
	}
	if len(firing) != 3 || !got["source/same"] || !got["county/changji"] || !got["list/"+w.ID] {
		t.Errorf("firing %v", got)
	}
	if v := testGaugeVec(t, o, "lantian_warning_compliance_below", map[string]string{"id": "same", "scope": "source"}); v != 1 {
		t.Errorf("below gauge %v", v)
	}

	// Lifted: the alerts are resolved and the gauges of the warning are gone.
	if _, err := o.Lift(ctx, w.ID, LiftRequest{Reason: "好转"}, Actor{Who: "office"}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	o.checkCompliance(ctx)
	if _, resolved := compAlerts(); len(resolved) != 3 {
		t.Errorf("resolved %d alerts, want 3", len(resolved))
	}
	if v := testGaugeVec(t, o, "lantian_warning_compliance_below", map[string]string{"id": "same", "scope": "source"}); v != -1 {
		t.Errorf("gauge after lift %v, want gone", v)
	}
}

// testGaugeVec is the value of the compliance gauge series whose labels include want, -1 when
// there is none.
func testGaugeVec(t *testing.T, o *Office, name string, want map[string]string) float64 {
	t.Helper()
	if name != "lantian_warning_compliance_below" {
		t.Fatalf("unknown gauge %s", name)
	}
	ch := make(chan prometheus.Metric, 100)
	o.cm.below.Collect(ch)
	close(ch)
next:
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{}
		for _, l := range d.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		return d.GetGauge().GetValue()
	}
	return -1
}
