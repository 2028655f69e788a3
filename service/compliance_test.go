package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/alert/office"
	"lantian/alert/source"
	"lantian/dashboards"
	"lantian/ingest/registry"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
)

// TestComplianceFromReplayedSourceReadings replays hourly CEMS readings of three
// emergency-list sources through MQTT into `lantian run`, before and during an orange warning
// issued through the API with a start in the past. Judged by mass: the source that stops for
// the whole warning (its logger flags F) and the one that stops half of it and runs the other
// half 20 % above its baseline (a 40 % cut of mass) are compliant; the one that cuts its rate by
// 15 % is not, and an alert for it reaches Alertmanager; the county's total is judged against
// the plan's 20 %. The emergency board's compliance table shows the same numbers.
func TestComplianceFromReplayedSourceReadings(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	loc := time.FixedZone("CST", 8*3600)
	// Six baseline hours, then six warning hours, all closed well before now.
	base := time.Now().In(loc).Truncate(time.Hour).Add(-13 * time.Hour)
	start := base.Add(6 * time.Hour)
	clock := &testClock{t: base.Add(-time.Hour)}

	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-compliance")
	cfg.Alertmanager.URLs = []string{am.URL}
	out := func(id string) []registry.Outlet { return []registry.Outlet{{ID: id}} }
	cfg.Sources = []registry.Source{
		{ID: "cj-stop", Name: "全停企业", Area: "changji", Industry: "cement", EmergencyList: true, Outlets: out("DA001")},
		{ID: "cj-half", Name: "半停企业", Area: "changji", Industry: "power", EmergencyList: true, Outlets: out("DA001"),
			EmergencyPlan: &registry.EmergencyPlan{Document: "昌吉市半停企业一厂一策",
				Levels: []registry.EmergencyMeasures{{Level: "orange", Measures: []string{"1号机组停运 36 小时"}, ReductionPct: map[string]float64{"so2": 30}}}}},
		{ID: "cj-15", Name: "限产企业", Area: "changji", Industry: "boiler", EmergencyList: true, Outlets: out("DA001")},
		// Not on the emergency list: not in the table.
		{ID: "cj-other", Name: "其他企业", Area: "changji", Industry: "boiler", Outlets: out("DA001")},
	}
	cfg.SourceMonitoring = source.MonitorConfig{Enabled: true, CheckInterval: 100 * time.Millisecond, QueueSize: 10000,
		ExpectedInterval: time.Hour, QualityAlertHold: time.Hour, Coverage: source.DefaultCoverageConfig(), Rules: source.DefaultConfig(), Now: clock.Now}
	cfg.Warnings.Compliance = office.ComplianceConfig{BaselineDays: 1, Interval: 300 * time.Millisecond, Grace: time.Hour}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	baseURL := "http://" + run.svc.HTTPAddr

	// dust, so2, nox in mg/m³ at 100 000 m³/h: 100 mg/m³ of SO2 is 10 kg/h.
	var msgs []message
	sent := 0
	for h := range 12 {
		ts := base.Add(time.Duration(h) * time.Hour)
		wobble := 1 + 0.01*float64(h%3) // no flat line; the same mean before and during
		for _, src := range []string{"cj-stop", "cj-half", "cj-15", "cj-other"} {
			f, stopped := wobble, false
			if w := h - 6; w >= 0 {
				switch src {
				case "cj-stop":
					stopped = true
				case "cj-half":
					stopped, f = w < 3, wobble*1.2
				case "cj-15":
					f = wobble * 0.85
				}
			}
			payload := fmt.Sprintf(`{"source":%q,"outlet":"DA001","time":%q,"period":"1h","dust":%.3f,"so2":%.3f,"nox":%.3f,"flow":100000,"temp":120}`,
				src, ts.Format(time.RFC3339), 5*f, 100*f, 200*f)
			if stopped {
				payload = fmt.Sprintf(`{"source":%q,"outlet":"DA001","time":%q,"period":"1h","dust":0,"so2":0,"nox":0,"flow":0,"temp":20,`+
					`"flags":{"dust":"F","so2":"F","nox":"F","flow":"F"}}`, src, ts.Format(time.RFC3339))
			}
			msgs = append(msgs, message{topic: cfg.MQTT.TopicPrefix + "/source/" + src + "/DA001", payload: []byte(payload)})
			sent++
		}
	}
	newPublisher(t, mosq.URL, "pub-compliance").publishAll(msgs)
	testenv.Eventually(t, 30*time.Second, func() error {
		if v, _ := metricValue(scrape(t, run.svc.HTTPAddr), "lantian_source_readings_total", `result="added"`); int(v) != sent {
			return fmt.Errorf("%g of %d readings added", v, sent)
		}
		return nil
	})
	// Every reading is in the monitor: close all twelve hours at once.
	clock.Set(base.Add(12*time.Hour + 30*time.Minute))
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := influx.Count(t, "emission_hourly", "samples", `"source"='cj-stop'`); n != 12 {
			return fmt.Errorf("emission_hourly of cj-stop: %d hours, want 12", n)
		}
		if n := influx.Count(t, "emission_hourly", "so2_kgh", `"source"='cj-15'`); n != 12 {
			return fmt.Errorf("emission_hourly so2_kgh of cj-15: %d, want 12", n)
		}
		return nil
	})

	code, body := apiCall(t, baseURL, http.MethodPost, "/api/v1/warnings", emergencyToken,
		fmt.Sprintf(`{"level":"orange","areas":["changji"],"start":%q,"reason":"重污染过程","who":"王主任"}`, start.Format(time.RFC3339)))
	if code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}
	var issued struct{ Warning office.Warning }
	if err := json.Unmarshal([]byte(body), &issued); err != nil {
		t.Fatal(err)
	}
	id := issued.Warning.ID

	if code, _ := apiCall(t, baseURL, http.MethodGet, "/api/v1/warnings/"+id+"/compliance", "", ""); code != http.StatusUnauthorized {
		t.Errorf("compliance without a token: %d", code)
	}
	if code, body := apiCall(t, baseURL, http.MethodGet, "/api/v1/warnings/W-none/compliance", viewerToken, ""); code != http.StatusNotFound {
		t.Errorf("compliance of an unknown warning: %d %s", code, body)
	}
	if code, body := apiCall(t, baseURL, http.MethodGet, "/api/v1/warnings/"+id+"/compliance?baseline_days=0", viewerToken, ""); code != http.StatusBadRequest {
		t.Errorf("baseline_days=0: %d %s", code, body)
	}
	var tab office.ComplianceTable
	code, body = apiCall(t, baseURL, http.MethodGet, "/api/v1/warnings/"+id+"/compliance", viewerToken, "")
	if code != http.StatusOK {
		t.Fatalf("compliance: %d %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &tab); err != nil {
		t.Fatal(err)
	}
	rows := map[string]office.ComplianceRow{}
	for _, r := range tab.Rows {
		rows[r.Source+"/"+r.Pollutant] = r
	}
	near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
	for _, p := range []string{"dust", "so2", "nox"} {
		if r := rows["cj-stop/"+p]; r.Status != office.ComplianceOK || r.HoursStopped != 6 || r.HoursRunning != 0 || r.EmittedKg != 0 || !near(r.ReductionPct, 100, 1e-9) {
			t.Errorf("whole stop %s: %+v", p, r)
		}
		if r := rows["cj-15/"+p]; r.Status != office.ComplianceNotCompliant || r.HoursRunning != 6 || !near(r.ReductionPct, 15, 0.2) || r.RequiredPct != 20 {
			t.Errorf("rate cut 15 %% %s: %+v", p, r)
		}
	}
	for _, p := range []string{"dust", "nox"} {
		if r := rows["cj-half/"+p]; r.Status != office.ComplianceOK || r.HoursStopped != 3 || r.HoursRunning != 3 || !near(r.ReductionPct, 40, 0.5) || r.RequiredPct != 20 {
			t.Errorf("half stop %s: %+v", p, r)
		}
	}
	// SO2 of cj-half is held to its 一厂一策 commitment of 30 %, which 40 % meets.
	if r := rows["cj-half/so2"]; r.Status != office.ComplianceOK || !r.Committed || r.RequiredPct != 30 || r.FloorPct != 20 || !near(r.BaselineKgH, 10.1, 0.05) {
		t.Errorf("half stop so2: %+v", r)
	}
	if _, ok := rows["cj-other/so2"]; ok || tab.Hours != 6 {
		t.Errorf("hours %d, rows %v", tab.Hours, rows)
	}
	var county office.ComplianceTotal
	for _, tt := range tab.Totals {
		if tt.Scope == office.ScopeCounty && tt.ID == "changji" && tt.Pollutant == "so2" {
			county = tt
		}
	}
	// 0 + 36.4 + 51.5 of 3 × 60.6 kg: a cut of about 51.7 %, against 20 %.
	if county.Sources != 3 || county.RequiredPct != 20 || county.Status != office.ComplianceOK || !near(county.ReductionPct, 51.67, 0.3) {
		t.Errorf("changji total: %+v", county)
	}
	if len(tab.Plans) != 1 || tab.Plans[0].Measures[0] != "1号机组停运 36 小时" {
		t.Errorf("plans %+v", tab.Plans)
	}

	// The alert of the source that cut too little; none for those that stopped.
	testenv.Eventually(t, 20*time.Second, func() error {
		if !findAlert(t, am, map[string]string{"alertname": "EmergencyReductionNotMet", "scope": "source", "id": "cj-15", "pollutant": "so2", "warning_id": id}) {
			return fmt.Errorf("no EmergencyReductionNotMet alert for cj-15 yet")
		}
		return nil
	})
	for _, src := range []string{"cj-stop", "cj-half", "changji"} {
		if findAlert(t, am, map[string]string{"alertname": "EmergencyReductionNotMet", "id": src}) {
			t.Errorf("alert for compliant %s", src)
		}
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		if l := warningMetric(t, baseURL, `lantian_warning_compliance_below{county="changji",id="cj-15",pollutant="so2",scope="source",warning_id="`+id+`"}`); !strings.HasSuffix(l, " 1") {
			return fmt.Errorf("gauge: %q", l)
		}
		return nil
	})

	// The board's compliance table, run against the same InfluxDB, shows the same numbers.
	q := strings.NewReplacer("${bucket}", cfg.Influx.Bucket, "${area:regex}", ".*",
		"v.timeRangeStart", start.Add(-time.Hour).UTC().Format(time.RFC3339), "v.timeRangeStop", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)).
		Replace(dashboards.ComplianceQuery())
	client := influxdb2.NewClient(influx.URL, "")
	defer client.Close()
	testenv.Eventually(t, 20*time.Second, func() error {
		res, err := client.QueryAPI("").Query(context.Background(), q)
		if err != nil {
			return err
		}
		defer res.Close()
		board := map[string]map[string]any{}
		for res.Next() {
			v := res.Record().Values()
			if v["warning_id"] == id {
				board[fmt.Sprint(v["scope"], "/", v["id"], "/", v["pollutant"])] = v
			}
		}
		if err := res.Err(); err != nil {
			return err
		}
		check := func(key, status string, red, emitted float64) error {
			b := board[key]
			if b == nil {
				return fmt.Errorf("board has no row %s (%d rows)", key, len(board))
			}
			if b["status"] != status || !near(b["reduction_pct"].(float64), red, 1e-6) || !near(b["emitted_kg"].(float64), emitted, 1e-6) {
				return fmt.Errorf("board row %s: %v, want %s %.3f %% %.3f kg", key, b, status, red, emitted)
			}
			return nil
		}
		for _, r := range tab.Rows {
			if err := check("source/"+r.Source+"/"+r.Pollutant, r.Status, r.ReductionPct, r.EmittedKg); err != nil {
				return err
			}
		}
		return check("county/changji/so2", county.Status, county.ReductionPct, county.EmittedKg)
	})

	// `lantian warnings compliance` prints the same verdicts, times with +08:00.
	bin := filepath.Join(t.TempDir(), "lantian")
	build := exec.Command("go", "build", "-o", bin, "./cmd/lantian")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build lantian: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "warnings", "compliance", "--token", viewerToken, id)
	cmd.Env = append(os.Environ(), "LANTIAN_API="+baseURL)
	cliOut, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lantian warnings compliance: %v\n%s", err, cliOut)
	}
	for _, want := range []string{id + " 橙色预警 应急减排核查", "+08:00", "县市合计", "限产企业 (cj-15)", "未达标", "全停企业 (cj-stop)", "0/6/0"} {
		if !strings.Contains(string(cliOut), want) {
			t.Errorf("cli compliance lacks %q:\n%s", want, cliOut)
		}
	}

	// The console page shows the same table to a logged-in viewer, in Chinese.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(baseURL+"/warnings/login", url.Values{"token": {viewerToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(baseURL + "/warnings/" + id + "/compliance")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := string(b)
	for _, want := range []string{`id="compliance"`, `data-source="cj-15" data-pollutant="so2" data-status="not_compliant"`,
		`data-source="cj-stop" data-pollutant="so2" data-status="compliant"`, `data-scope="county" data-id="changji" data-pollutant="so2" data-status="compliant"`,
		"1号机组停运 36 小时", "未达标", "&#43;08:00"} { // times in the zone; html/template escapes "+"
		if !strings.Contains(p, want) {
			t.Errorf("console compliance page lacks %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK || strings.Contains(p, "cj-other") {
		t.Errorf("console compliance page: %d\n%s", resp.StatusCode, p)
	}
}
