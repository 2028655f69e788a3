package office

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"lantian/alert/warning"
)

func TestStoreRestartKeepsWarningsAndAudit(t *testing.T) {
	loc := shanghai(t)
	path := filepath.Join(t.TempDir(), "warnings.db")
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 2, 17, 0, 0, 0, loc)
	by := Actor{Who: "张主任", Token: "office-1", Remote: "10.0.0.5"}
	w, err := st.Issue(Warning{Level: warning.Orange, Areas: []string{"changji", "fukang"}, Start: now, Reason: "forecast"}, by, now, loc)
	if err != nil {
		t.Fatal(err)
	}
	if w.ID != "W20240102-001" || w.Version != 1 || !w.InForce() {
		t.Errorf("issued %+v", w)
	}
	if _, err := st.Issue(Warning{Level: warning.Yellow, Areas: []string{"fukang"}, Start: now}, by, now, loc); !errors.Is(err, ErrConflict) {
		t.Errorf("overlapping warning: %v, want conflict", err)
	}
	_, after, err := st.Change(w.ID, func(x *Warning) error { x.Level = warning.Red; return nil }, by, now.Add(time.Hour))
	if err != nil || after.Level != warning.Red || after.Version != 2 {
		t.Fatalf("change: %+v %v", after, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Get(w.ID)
	if err != nil || got.Level != warning.Red || got.IssuedBy != "张主任" {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	lifted, err := st.Lift(w.ID, "clean air", by, now.Add(2*time.Hour))
	if err != nil || lifted.InForce() || lifted.LiftReason != "clean air" {
		t.Fatalf("lift: %+v %v", lifted, err)
	}
	if _, err := st.Lift(w.ID, "", by, now); !errors.Is(err, ErrConflict) {
		t.Errorf("second lift: %v", err)
	}
	if _, err := st.Get("W0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	audit, err := st.Audit(w.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "lift,change,issue" || audit[1].Before == nil || audit[1].Before.Level != warning.Orange ||
		audit[2].Who != "张主任" || audit[2].Token != "office-1" || audit[2].Remote != "10.0.0.5" {
		t.Errorf("audit %+v", audit)
	}
	// The next id continues the sequence after a restart.
	w2, err := st.Issue(Warning{Level: warning.Yellow, Areas: []string{"fukang"}, Start: now}, by, now, loc)
	if err != nil || w2.ID != "W20240102-002" {
		t.Errorf("second warning %q %v", w2.ID, err)
	}
	all, _ := st.List(true)
	inForce, _ := st.List(false)
	if len(all) != 2 || len(inForce) != 1 || inForce[0].ID != w2.ID {
		t.Errorf("list: %d all, %v in force", len(all), inForce)
	}
}

type fakeSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *fakeSink) Submit(_ context.Context, line []byte, done func(error)) {
	s.mu.Lock()
	s.lines = append(s.lines, string(line))
	s.mu.Unlock()
	done(nil)
}

func (s *fakeSink) with(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

type fakePublisher struct {
	mu       sync.Mutex
	retained map[string]AreaMessage
	fail     bool
}

func (p *fakePublisher) Publish(_ context.Context, topic string, payload []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errors.New("broker down")
	}
	var m AreaMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return err
	}
	p.retained[topic] = m
	return nil
}

func (p *fakePublisher) get(topic string) (AreaMessage, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.retained[topic]
	return m, ok
}

type fixture struct {
	o    *Office
	sink *fakeSink
	pub  *fakePublisher
	rec  *recorder
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	loc := shanghai(t)
	st, err := OpenStore(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := testRegistry(t)
	region, err := warning.RegionFromRegistry(reg, "wcs")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sink: &fakeSink{}, pub: &fakePublisher{retained: map[string]AreaMessage{}}, rec: &recorder{},
		now: time.Date(2024, 1, 2, 17, 0, 0, 0, loc)}
	f.o, err = New(Options{Registry: reg, Location: loc, Store: st, Sink: f.sink, Publisher: f.pub, Notifier: f.rec,
		Regions: []warning.Region{region},
		Tokens: []Token{{Name: "office", Role: RoleEmergency, Secret: "emergency-token-0123456789"},
			{Name: "county", Role: RoleViewer, Secret: "viewer-token-0123456789"}},
		Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestIssueChangeLiftEffects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w, err := f.o.Issue(ctx, IssueRequest{Level: "橙色", Areas: []string{"wcs"}, Reason: "区域重污染过程", ExpectedEnd: "2024-01-05T00:00"}, Actor{Who: "office", Token: "office"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Region != "wcs" || len(w.Areas) != 6 || w.Reduction.VOCs != 20 {
		t.Errorf("regional warning %+v", w)
	}
	m, ok := f.pub.get("lantian/warnings/fukang")
	if !ok || m.Status != StatusInForce || m.Level != warning.Orange || m.LevelZH != "橙色预警" || m.Reductions == nil || m.Reductions.SO2 != 20 || m.Region != "wcs" {
		t.Errorf("retained fukang: %+v", m)
	}
	if ev := f.sink.with("warning_event,action=issue,area=wcs,level=orange,region=wcs,warning_id=" + w.ID); len(ev) != 1 {
		t.Errorf("events: %v", f.sink.with("warning_event"))
	}
	if _, err := f.o.Issue(ctx, IssueRequest{Level: "yellow", Areas: []string{"changji"}, Reason: "x"}, Actor{Who: "office"}); !IsConflict(err) {
		t.Errorf("overlap: %v", err)
	}
	for _, bad := range []IssueRequest{{Level: "none", Areas: []string{"changji"}, Reason: "x"}, {Level: "purple", Areas: []string{"qitai"}, Reason: "x"},
		{Level: "red", Areas: []string{"nowhere"}, Reason: "x"}, {Level: "red", Areas: []string{"qitai"}},
		{Level: "red", Areas: []string{"qitai"}, Reason: "x", Start: "2024-01-03T00:00", ExpectedEnd: "2024-01-02T00:00"}} {
		var re *RequestError
		if _, err := f.o.Issue(ctx, bad, Actor{Who: "office"}); !errors.As(err, &re) {
			t.Errorf("%+v: %v, want a request error", bad, err)
		}
	}

	// Change to red for changji and fukang only: the other members get a lifted message.
	f.now = f.now.Add(time.Hour)
	w2, err := f.o.Issue(ctx, IssueRequest{ID: w.ID, Level: "red", Areas: []string{"changji", "fukang"}}, Actor{Who: "office"})
	if err != nil || w2.Level != warning.Red || w2.Region != "" || w2.Reason != "区域重污染过程" {
		t.Fatalf("change: %+v %v", w2, err)
	}
	if m, _ := f.pub.get("lantian/warnings/manas"); m.Status != StatusLifted || m.PreviousLevel != warning.Orange {
		t.Errorf("removed member: %+v", m)
	}
	if m, _ := f.pub.get("lantian/warnings/changji"); m.Level != warning.Red || m.Reductions.SO2 != 30 {
		t.Errorf("changed: %+v", m)
	}
	f.now = f.now.Add(time.Hour)
	if _, err := f.o.Lift(ctx, w.ID, LiftRequest{Reason: "AQI < 150 for 36 h"}, Actor{Who: "office"}); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.pub.get("lantian/warnings/changji"); m.Status != StatusLifted || m.Level != warning.None || m.Reason != "AQI < 150 for 36 h" {
		t.Errorf("lifted: %+v", m)
	}
	// Alerts: orange fired per area and for the region, resolved on the change; red resolved on lift.
	var firedOrange, resolvedOrange, resolvedRed int
	for _, a := range f.rec.Alerts() {
		if a.Labels["alertname"] != "HeavyPollutionWarning" {
			continue
		}
		switch {
		case a.Labels["level"] == "orange" && a.EndsAt.IsZero():
			firedOrange++
		case a.Labels["level"] == "orange":
			resolvedOrange++
		case a.Labels["level"] == "red" && !a.EndsAt.IsZero():
			resolvedRed++
		}
	}
	if firedOrange != 7 || resolvedOrange != 7 || resolvedRed != 2 {
		t.Errorf("alerts: %d orange fired, %d resolved, %d red resolved", firedOrange, resolvedOrange, resolvedRed)
	}
	// A broker outage leaves areas pending until a publish succeeds.
	f.pub.mu.Lock()
	f.pub.fail = true
	f.pub.mu.Unlock()
	w3, err := f.o.Issue(ctx, IssueRequest{Level: "yellow", Areas: []string{"qitai"}, Reason: "x"}, Actor{Who: "office"})
	if err != nil {
		t.Fatal(err)
	}
	if p := f.o.PendingAreas(); len(p) != 1 || p[0] != "qitai" {
		t.Errorf("pending %v", p)
	}
	f.pub.mu.Lock()
	f.pub.fail = false
	f.pub.mu.Unlock()
	f.o.publishAreas(ctx, f.o.PendingAreas(), nil)
	if m, ok := f.pub.get("lantian/warnings/qitai"); !ok || m.WarningID != w3.ID || len(f.o.PendingAreas()) != 0 {
		t.Errorf("retry: %+v %v", m, f.o.PendingAreas())
	}
}

func TestForecastRecommendation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Three members of wcs forecast > 200 for 2 days: a unified regional orange warning that
	// applies to every member, also to those without a forecast of their own.
	for _, a := range []string{"changji", "fukang", "manas"} {
		err := f.o.HandleForecast(ctx, a, []byte(`{"issued":"2024-01-02T16:00:00+08:00","source":"总站",
			"days":[{"date":"2024-01-03","aqi":230,"primary":"PM2.5"},{"date":"2024-01-04","aqi":260},{"date":"2024-01-05","aqi":120},{"date":"2024-01-06","aqi":90}]}`))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.o.HandleForecast(ctx, "qitai", []byte(`{"issued":"2024-01-02T16:00:00+08:00","source":"总站","days":[{"date":"2024-01-03","aqi":160},{"date":"2024-01-04","aqi":120}]}`)); err != nil {
		t.Fatal(err)
	}
	recs := map[string]AreaRecommendation{}
	for _, r := range f.o.Recommendations() {
		recs[r.Area] = r
	}
	if r := recs["wcs"]; !r.IsRegion || r.Level != warning.Orange || r.Action != warning.Issue {
		t.Errorf("region: %+v", r)
	}
	if r := recs["hutubi"]; r.Level != warning.Orange || r.Region != "wcs" || !strings.Contains(r.Reason, "no forecast") {
		t.Errorf("member without forecast: %+v", r)
	}
	if r := recs["changji"]; r.Level != warning.Orange || r.Action != warning.Issue || r.Reduction.SO2 != 20 {
		t.Errorf("changji: %+v", r)
	}
	if r := recs["qitai"]; r.Level != warning.None || r.Action != warning.NoAction {
		t.Errorf("qitai: %+v", r)
	}
	if n := testGauge(t, f.o, "wcs"); n != 3 {
		t.Errorf("gauge wcs %v", n)
	}
	if l := f.sink.with("warning_recommendation,action=issue,area=hutubi,level=orange,region=wcs,scheme=2024"); len(l) == 0 {
		t.Errorf("recommendation points: %v", f.sink.with("warning_recommendation"))
	}
	if l := f.sink.with("forecast,area=changji,kind=daily,"); len(l) != 4 {
		t.Errorf("forecast points: %v", l)
	}
	fired := 0
	for _, a := range f.rec.Alerts() {
		if a.Labels["alertname"] == "HeavyPollutionRecommended" && a.Labels["area"] == "changji" && a.Labels["level"] == "orange" && a.Labels["severity"] == "warning" && a.EndsAt.IsZero() {
			fired++
		}
	}
	if fired == 0 {
		t.Errorf("no recommendation alert: %+v", f.rec.Alerts())
	}
	// Once the office issued orange, the recommendation keeps it.
	if _, err := f.o.Issue(ctx, IssueRequest{Level: "orange", Areas: []string{"wcs"}, Reason: "x"}, Actor{Who: "office"}); err != nil {
		t.Fatal(err)
	}
	f.o.recompute(ctx)
	for _, r := range f.o.Recommendations() {
		if r.Area == "changji" && (r.Action != warning.Keep || r.Current != warning.Orange) {
			t.Errorf("after issuing: %+v", r)
		}
	}
	// Days pass: the forecast's days end, the area has nothing left to grade and its
	// recommendation (and alert) go away.
	f.now = f.now.Add(10 * 24 * time.Hour)
	f.o.recompute(ctx)
	if len(f.o.Recommendations()) != 0 {
		t.Errorf("stale forecasts still recommend: %+v", f.o.Recommendations())
	}
}

func testGauge(t *testing.T, o *Office, area string) float64 {
	t.Helper()
	g, err := o.m.recommended.GetMetricWithLabelValues(area)
	if err != nil {
		t.Fatal(err)
	}
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

func TestAPIRoles(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	f.o.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	call := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	issue := `{"level":"yellow","areas":["qitai"],"reason":"test","who":"李科长"}`
	if code, _ := call("GET", "/api/v1/warnings", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := call("GET", "/api/v1/warnings", "wrong-token-0123456789", ""); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, body := call("POST", "/api/v1/warnings", "viewer-token-0123456789", issue); code != http.StatusForbidden || !strings.Contains(body, "role viewer") {
		t.Errorf("viewer issue: %d %s", code, body)
	}
	code, body := call("POST", "/api/v1/warnings", "emergency-token-0123456789", issue)
	if code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}
	var out struct{ Warning Warning }
	_ = json.Unmarshal([]byte(body), &out)
	if out.Warning.IssuedBy != "李科长" {
		t.Errorf("issued by %q", out.Warning.IssuedBy)
	}
	if code, _ := call("POST", "/api/v1/warnings/"+out.Warning.ID+"/lift", "viewer-token-0123456789", `{}`); code != http.StatusForbidden {
		t.Errorf("viewer lift: %d", code)
	}
	if code, body := call("GET", "/api/v1/warnings/"+out.Warning.ID, "viewer-token-0123456789", ""); code != http.StatusOK || !strings.Contains(body, `"token": "office"`) {
		t.Errorf("viewer read: %d %s", code, body)
	}
	if code, _ := call("POST", "/api/v1/warnings", "emergency-token-0123456789", `{"level":"red","areas":["qitai"],"reason":"x"}`); code != http.StatusConflict {
		t.Errorf("conflict: %d", code)
	}
	if code, _ := call("POST", "/api/v1/warnings/W1/lift", "emergency-token-0123456789", `{}`); code != http.StatusNotFound {
		t.Errorf("missing: %d", code)
	}
	if code, body := call("POST", "/api/v1/forecasts", "emergency-token-0123456789", `{"area":"qitai","issued":"2024-01-02T16:00:00+08:00","source":"s","days":[{"date":"2024-01-09","aqi":1}]}`); code != http.StatusBadRequest || !strings.Contains(body, `"reason": "bad_date"`) {
		t.Errorf("bad forecast: %d %s", code, body)
	}
	if code, body := call("POST", "/api/v1/warnings/"+out.Warning.ID+"/lift", "emergency-token-0123456789", ""); code != http.StatusOK {
		t.Errorf("lift: %d %s", code, body)
	}
}

// recorder keeps every alert the office raises.
type recorder struct {
	mu     sync.Mutex
	alerts []Alert
}

func (r *recorder) Notify(alerts ...Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alerts = append(r.alerts, alerts...)
}

func (r *recorder) Alerts() []Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.alerts)
}

// TestSandDustForecastIsNotAWarning: a spring sand-dust forecast at AQI 500 gives health advice
// and no warning, in the office's recommendation and on the console row's data.
func TestSandDustForecastIsNotAWarning(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.o.HandleForecast(ctx, "qitai", []byte(`{"issued":"2024-01-02T16:00:00+08:00","source":"总站",
		"days":[{"date":"2024-01-03","aqi":500,"primary":"PM10","sand_dust":true},{"date":"2024-01-04","aqi":120}]}`)); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.o.Recommendations() {
		if r.Area != "qitai" {
			continue
		}
		if r.Level != warning.None || r.Action != warning.NoAction || r.Episode != warning.EpisodeSandDust ||
			!strings.Contains(r.Advice, "健康防护") || r.Reduction.SO2 != 0 {
			t.Errorf("sand dust: %+v", r)
		}
		return
	}
	t.Error("no recommendation for qitai")
}

// TestTimesInTheConfiguredZone: whatever zone the clock and the request use, the warning, its
// retained MQTT message and the API answer carry Beijing time (+08:00), the office's time.
func TestTimesInTheConfiguredZone(t *testing.T) {
	f := newFixture(t)
	f.now = time.Date(2024, 1, 2, 17, 0, 0, 0, time.UTC) // a UTC clock: 01:00 on 3 Jan in Changji
	w, err := f.o.Issue(context.Background(), IssueRequest{Level: "yellow", Areas: []string{"qitai"}, Reason: "r",
		Start: "2024-01-02T16:00:00Z", ExpectedEnd: "2024-01-04T00:00"}, Actor{Who: "office", Token: "office"})
	if err != nil {
		t.Fatal(err)
	}
	for name, ts := range map[string]time.Time{"start": w.Start, "expected_end": w.ExpectedEnd, "issued_at": w.IssuedAt, "updated_at": w.UpdatedAt} {
		if s := ts.Format(time.RFC3339); !strings.HasSuffix(s, "+08:00") {
			t.Errorf("%s %s, want +08:00", name, s)
		}
	}
	if got := w.Start.Format(time.RFC3339); got != "2024-01-03T00:00:00+08:00" {
		t.Errorf("start %s", got)
	}
	m, ok := f.pub.get("lantian/warnings/qitai")
	if !ok || !strings.HasSuffix(m.Start.Format(time.RFC3339), "+08:00") || !strings.HasSuffix(m.Updated.Format(time.RFC3339), "+08:00") {
		t.Errorf("retained message times: %+v", m)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Z\"") {
		t.Errorf("API JSON has a UTC time: %s", b)
	}
}
