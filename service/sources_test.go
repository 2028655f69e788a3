package service_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lantian/alert/notify"
	"lantian/alert/source"
	"lantian/ingest/hj212"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/sim"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

// testClock is the monitor's clock: the test moves it to close past hours and days at once.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

const (
	excMN   = "CEMS00000000PXPOWERDA001"
	cleanMN = "CEMS00000000FKPOWERDA001"
)

// sourcesTestConfig registers six outlets: two clean ones, and one each with an exceedance,
// a silent logger, a flat-lined analyser and a diluted stack. The two power outlets report
// HJ 212 through the gateway, the others JSON over MQTT.
func sourcesTestConfig(t *testing.T, mqttURL, influxURL, amURL string, clock *testClock) config.Config {
	t.Helper()
	cfg := testConfig(t, mqttURL, influxURL, "lantian-test-sources")
	power := map[string]float64{"dust": 10, "so2": 35, "nox": 50}
	cfg.Sources = []registry.Source{
		{ID: "px-power", Name: "电厂甲", Area: "changji", Industry: "power",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 180, ReferenceO2Pct: 6, Limits: power, MN: excMN}}},
		{ID: "fk-power", Name: "电厂乙", Area: "fukang", Industry: "power",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 150, ReferenceO2Pct: 6, Limits: power, MN: cleanMN}}},
		{ID: "cj-cement", Name: "水泥厂", Area: "changji", Industry: "cement",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 90, ReferenceO2Pct: 10, Limits: map[string]float64{"dust": 20, "so2": 100, "nox": 320}}}},
		// Limits on measured values (no reference O2): the flat-lined SO2 then cannot also
		// disagree with a converted value.
		{ID: "cj-boiler", Name: "供热站", Area: "changji", Industry: "boiler",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 60, Limits: map[string]float64{"dust": 30, "so2": 200, "nox": 200}}}},
		{ID: "fk-coking", Name: "焦化厂", Area: "fukang", Industry: "coking",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 80, ReferenceO2Pct: 8, Limits: map[string]float64{"dust": 15, "so2": 30, "nox": 150}}}},
		{ID: "cj-chem", Name: "化工厂", Area: "changji", Industry: "chemicals",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 70, ReferenceO2Pct: 3.5, Limits: map[string]float64{"dust": 20, "so2": 50, "nox": 150}}}},
	}
	cfg.HJ212.Listen = "127.0.0.1:0"
	cfg.HJ212.Devices = []hj212.DeviceConfig{{MN: excMN, Password: "123456"}, {MN: cleanMN, Password: "123456"}}
	// Set in full here rather than taken from config.Default(), so the test does not depend
	// on where the defaults are wired.
	cfg.Alertmanager = notify.Config{URLs: []string{amURL}, Timeout: 5 * time.Second, ResendInterval: 500 * time.Millisecond,
		MaxAttempts: 3, RetryInterval: 100 * time.Millisecond, QueueSize: 1000}
	cfg.SourceMonitoring = source.MonitorConfig{Enabled: true, CheckInterval: 100 * time.Millisecond, QueueSize: 10000,
		ExpectedInterval: time.Hour, QualityAlertHold: time.Hour, Coverage: source.DefaultCoverageConfig(), Rules: source.DefaultConfig(), Now: clock.Now}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// hj212CP turns a simulated JSON outlet reading into the CP of a CN 2061 hourly packet.
func hj212CP(t *testing.T, payload []byte) (time.Time, string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(time.RFC3339Nano, m["time"].(string))
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{"dust": "a34013", "so2": "a21026", "nox": "a21002", "o2": "a19001", "flow": "a00000",
		"temp": "a01012", "pressure": "a01013", "humidity": "a01014", "velocity": "a01011"}
	var items []string
	for _, f := range []string{"dust", "so2", "nox", "o2", "flow", "temp", "pressure", "humidity", "velocity"} {
		v, ok := m[f].(float64)
		if !ok {
			continue
		}
		item := fmt.Sprintf("%s-Avg=%s", codes[f], strconv.FormatFloat(v, 'f', -1, 64))
		if zs, ok := m[f+"_zs"].(float64); ok {
			item += fmt.Sprintf(",%s-ZsAvg=%s", codes[f], strconv.FormatFloat(zs, 'f', -1, 64))
		}
		items = append(items, item+","+codes[f]+"-Flag=N")
	}
	return ts, strings.Join(items, ";")
}

// influxRows runs an InfluxQL query and returns its rows as maps of column to value.
func influxRows(t *testing.T, in *testenv.Influx, q string) []map[string]any {
	t.Helper()
	body, err := in.InfluxQL(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var answer struct {
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Columns []string `json:"columns"`
				Values  [][]any  `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("%s: %v: %s", q, err, body)
	}
	var out []map[string]any
	for _, r := range answer.Results {
		if r.Error != "" {
			t.Fatalf("%s: %s", q, r.Error)
		}
		for _, s := range r.Series {
			for _, v := range s.Values {
				row := make(map[string]any, len(v))
				for i, c := range s.Columns {
					row[c] = v[i]
				}
				out = append(out, row)
			}
		}
	}
	return out
}

var metricLine = regexp.MustCompile(`(?m)^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$`)

// metricValue returns the sample of name whose labels contain every given label pair.
func metricValue(text, name string, labels ...string) (float64, bool) {
	for _, m := range metricLine.FindAllStringSubmatch(text, -1) {
		if m[1] != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(m[2], l)
		}
		if ok {
			v, err := strconv.ParseFloat(m[3], 64)
			return v, err == nil
		}
	}
	return 0, false
}

func alertKeys(as []notifytest.Alert) []string {
	var out []string
	for _, a := range as {
		l := a.Labels
		out = append(out, strings.Join([]string{l["alertname"], l["source"], l["outlet"], l["county"], l["rule"], l["pollutant"], l["field"], l["severity"]}, "|"))
	}
	sort.Strings(out)
	return out
}

func TestSourceMonitoringFindsExactlyTheInjectedFaults(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	loc := time.FixedZone("CST", 8*3600)
	now := time.Now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day()-2, 0, 0, 0, 0, loc) // D: complete, in the past
	clock := &testClock{t: day.Add(-time.Hour)}
	cfg := sourcesTestConfig(t, mosq.URL, influx.URL, am.URL, clock)
	run := startService(t, cfg)

	faults := []sim.Fault{
		{Kind: sim.FaultExceedance, Source: "px-power", Outlet: "DA001", Field: "nox", From: day.Add(20 * time.Hour), Until: day.Add(25 * time.Hour)},
		{Kind: sim.FaultSilent, Source: "cj-cement", Outlet: "DA001", From: day.Add(6 * time.Hour)},
		{Kind: sim.FaultFlatLine, Source: "cj-boiler", Outlet: "DA001", Field: "so2", From: day.Add(6 * time.Hour)},
		{Kind: sim.FaultDilution, Source: "fk-coking", Outlet: "DA001", From: day.Add(9 * time.Hour)},
	}
	s, err := sim.New(sim.Options{Registry: &cfg.Registry, Seed: 6, Location: loc, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	// Hourly records from D 00:00 to D+1 02:00.
	var msgs []message
	lg := dialLogger(t, run.svc.HJ212Addr)
	sent := 0
	for h := 0; h < 27; h++ {
		for _, m := range s.Messages(day.Add(time.Duration(h)*time.Hour), reading.Hour) {
			if !strings.HasPrefix(m.Topic, "source/") {
				continue
			}
			sent++
			mn := map[string]string{"source/px-power/DA001": excMN, "source/fk-power/DA001": cleanMN}[m.Topic]
			if mn == "" {
				msgs = append(msgs, message{topic: cfg.MQTT.TopicPrefix + "/" + m.Topic, payload: m.Payload})
				continue
			}
			ts, cp := hj212CP(t, m.Payload)
			if got := lg.send(packet(t, "31", "2061", "123456", mn, ts, cp), 1<<10); got != "9014" {
				t.Fatalf("HJ 212 packet of %s at %s: reply %q", mn, ts, got)
			}
		}
	}
	newPublisher(t, mosq.URL, "pub-sources").publishAll(msgs)
	if sent != 5*27+6 {
		t.Fatalf("simulator sent %d outlet readings, want %d", sent, 5*27+6)
	}
	// Every reading is in the monitor before its clock moves, so no hour closes early.
	testenv.Eventually(t, 30*time.Second, func() error {
		if v, _ := metricValue(scrape(t, run.svc.HTTPAddr), "lantian_source_readings_total", `result="added"`); int(v) != sent {
			return fmt.Errorf("%g of %d readings added", v, sent)
		}
		return nil
	})

	// Phase 1: day D is complete; the exceedance runs on past midnight.
	clock.Set(day.Add(24*time.Hour + 30*time.Minute))
	wantFindings := []string{
		"cj-boiler|flat_line|so2|day",
		"cj-cement|missing_hours|dust|day", "cj-cement|missing_hours|nox|day", "cj-cement|missing_hours|so2|day",
		"cj-cement|silent||day", "cj-cement|silent||stream",
		"fk-coking|dilution|o2|day",
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		var got []string
		for _, r := range influxRows(t, influx, `SELECT * FROM source_quality`) {
			f, _ := r["field"].(string)
			got = append(got, fmt.Sprintf("%s|%s|%s|%s", r["source"], r["rule"], f, r["scope"]))
		}
		sort.Strings(got)
		got = slices.Compact(got)
		if !slices.Equal(got, wantFindings) {
			return fmt.Errorf("source_quality findings\n got %q\nwant %q", got, wantFindings)
		}
		return nil
	})
	testenv.Eventually(t, 20*time.Second, func() error {
		rows := influxRows(t, influx, `SELECT * FROM exceedance`)
		if len(rows) != 2 {
			return fmt.Errorf("exceedance rows: %v", rows)
		}
		for _, r := range rows {
			if r["source"] != "px-power" || r["pollutant"] != "nox" || r["county"] != "changji" {
				return fmt.Errorf("exceedance of the wrong outlet: %v", r)
			}
			if r["state"] == "extended" && (r["hours"] != 4.0 || r["start"] != day.Add(20*time.Hour).Format(time.RFC3339)) {
				return fmt.Errorf("extended event: %v", r)
			}
		}
		return nil
	})
	scores := map[string]float64{"px-power": 100, "fk-power": 100, "cj-chem": 100, "cj-cement": 60, "cj-boiler": 85, "fk-coking": 85}
	testenv.Eventually(t, 20*time.Second, func() error {
		rows := influxRows(t, influx, `SELECT * FROM source_quality_daily`)
		if len(rows) != len(scores) {
			return fmt.Errorf("daily rows: %v", rows)
		}
		for _, r := range rows {
			if r["time"] != day.UTC().Format(time.RFC3339) || r["score"] != scores[r["source"].(string)] {
				return fmt.Errorf("daily score %v, want %g", r, scores[r["source"].(string)])
			}
		}
		return nil
	})
	wantAlerts := []string{
		"SourceDataQuality|cj-boiler|DA001|changji|flat_line|so2||warning",
		"SourceDataQuality|cj-cement|DA001|changji|missing_hours|dust||warning",
		"SourceDataQuality|cj-cement|DA001|changji|missing_hours|nox||warning",
		"SourceDataQuality|cj-cement|DA001|changji|missing_hours|so2||warning",
		"SourceDataQuality|cj-cement|DA001|changji|silent|||warning",
		"SourceDataQuality|fk-coking|DA001|fukang|dilution||o2|warning",
		"SourceExceedance|px-power|DA001|changji||nox||warning",
	}
	ctx := testenv.WithTimeout(t, 2*time.Minute)
	testenv.Eventually(t, 20*time.Second, func() error {
		as, err := am.Alerts(ctx)
		if err != nil {
			return err
		}
		if got := alertKeys(as); !slices.Equal(got, wantAlerts) {
			return fmt.Errorf("alerts in Alertmanager\n got %q\nwant %q", got, wantAlerts)
		}
		for _, a := range as {
			if a.Labels["alertname"] == "SourceExceedance" && !a.StartsAt.Equal(day.Add(20*time.Hour)) {
				return fmt.Errorf("exceedance alert starts %s", a.StartsAt)
			}
		}
		return nil
	})
	metrics := scrape(t, run.svc.HTTPAddr)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"lantian_source_exceedances_open", []string{`source="px-power"`, `pollutant="nox"`}, 1},
		{"lantian_source_exceedance_events_total", []string{`source="px-power"`, `pollutant="nox"`}, 1},
		{"lantian_outlet_silent", []string{`source="cj-cement"`}, 1},
		{"lantian_outlet_silent", []string{`source="fk-power"`}, 0},
		{"lantian_source_quality_findings_total", []string{`rule="flat_line"`}, 1},
		{"lantian_source_quality_findings_total", []string{`rule="silent"`}, 2},
		{"lantian_source_quality_score", []string{`source="cj-cement"`}, 60},
	} {
		if v, ok := metricValue(metrics, c.name, c.labels...); !ok || v != c.want {
			t.Errorf("%s%v = %g (found %v), want %g", c.name, c.labels, v, ok, c.want)
		}
	}
	if n := influx.Count(t, "emission_hourly", "samples", `"source"='px-power'`); n != 24 {
		t.Errorf("emission_hourly of px-power: %d hours, want 24", n)
	}
	if n := influx.Count(t, "emission_daily", "kg", `"scope"='county'`); n < 2*3 {
		t.Errorf("emission_daily county totals: %d, want at least 6 (2 counties x 3 pollutants)", n)
	}

	// Phase 2: the exceedance ends at D+1 01:00; its alert resolves.
	clock.Set(day.Add(26*time.Hour + 30*time.Minute))
	testenv.Eventually(t, 20*time.Second, func() error {
		rows := influxRows(t, influx, `SELECT * FROM exceedance WHERE "state"='closed'`)
		if len(rows) != 1 || rows[0]["hours"] != 5.0 || rows[0]["end"] != day.Add(25*time.Hour).Format(time.RFC3339) {
			return fmt.Errorf("closed event: %v", rows)
		}
		return nil
	})
	testenv.Eventually(t, 20*time.Second, func() error {
		as, err := am.Alerts(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Labels["alertname"] == "SourceExceedance" {
				return fmt.Errorf("exceedance alert still active: %+v", a)
			}
		}
		if len(as) != len(wantAlerts)-1 {
			return fmt.Errorf("alerts: %q", alertKeys(as))
		}
		return nil
	})
	if v, _ := metricValue(scrape(t, run.svc.HTTPAddr), "lantian_source_exceedances_open", `source="px-power"`); v != 0 {
		t.Errorf("exceedance still open in metrics: %g", v)
	}
	for _, o := range []string{"fk-power", "cj-chem"} {
		for _, m := range []string{"exceedance", "source_quality"} {
			if rows := influxRows(t, influx, fmt.Sprintf(`SELECT * FROM %s WHERE "source"='%s'`, m, o)); len(rows) != 0 {
				t.Errorf("clean outlet %s has %s points: %v", o, m, rows)
			}
		}
	}
}
