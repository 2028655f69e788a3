package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/alert/notify"
	"lantian/alert/office"
	"lantian/alert/source"
	"lantian/ingest/registry"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
	"lantian/service"
	"lantian/service/config"
)

type e2eClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *e2eClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *e2eClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// influxQL runs an InfluxQL query and returns its rows as maps of column to value.
func influxQL(t *testing.T, in *testenv.Influx, q string) []map[string]any {
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
		t.Fatalf("%s: %v", q, err)
	}
	var out []map[string]any
	for _, r := range answer.Results {
		if r.Error != "" {
			t.Fatalf("%s: %s", q, r.Error)
		}
		for _, s := range r.Series {
			for _, v := range s.Values {
				row := map[string]any{}
				for i, c := range s.Columns {
					row[c] = v[i]
				}
				out = append(out, row)
			}
		}
	}
	return out
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	e2eEmergencyToken = "e2e-emergency-token-0123456789"
	e2eViewerToken    = "e2e-viewer-token-0123456789ab"
)

// TestSourcesEnforcementEndToEnd runs `lantian run` (the service, on real Mosquitto, InfluxDB
// and Alertmanager) with outlets that test the enforcement rules end to end:
//   - the 75 % rule by default: 10 one-minute values do not make an hour, 45 do;
//   - an inspection announced with `lantian sources inspection announce` makes the
//     drop_after_notice finding and alert in the running service and in `lantian sources report`;
//   - a flow sent in m³/s but stored as m³/h is a flow_implausible finding naming the ×3600;
//   - a mandated outlet (stack above 45 m) without fresh data is a coverage gap.
func TestSourcesEnforcementEndToEnd(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	loc := time.FixedZone("CST", 8*3600)
	now := time.Now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day()-2, 0, 0, 0, 0, loc)
	clock := &e2eClock{t: day}

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.MQTT.URL, cfg.MQTT.ClientID = mosq.URL, "lantian-e2e-sources"
	cfg.Influx.URL, cfg.Influx.Bucket = influx.URL, influx.Bucket
	cfg.Influx.RetryInterval, cfg.Influx.Timeout = 200*time.Millisecond, 5*time.Second
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Ingest.MaxAge = 365 * 24 * time.Hour
	cfg.Sources = []registry.Source{
		{ID: "mm-plant", Name: "分钟数据厂", Area: "changji", Industry: "chemicals",
			Outlets: []registry.Outlet{{ID: "DA001", Limits: map[string]float64{"nox": 50}}}},
		{ID: "fu-plant", Name: "流量单位厂", Area: "changji", Industry: "boiler",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 60, Limits: map[string]float64{"nox": 100},
				Plant: registry.Plant{StackDiameterM: 4, BoilerTH: 75, Fuel: registry.FuelCoal}}}},
		{ID: "dr-plant", Name: "检查降值厂", Area: "fukang", Industry: "cement",
			Outlets: []registry.Outlet{{ID: "DA001", Limits: map[string]float64{"nox": 100}}}},
	}
	cfg.Warnings.Tokens = []config.WarningToken{
		{Name: "dqb-zhang", Role: office.RoleEmergency, Token: e2eEmergencyToken},
		{Name: "viewer", Role: office.RoleViewer, Token: e2eViewerToken},
	}
	cfg.Alertmanager = notify.Config{URLs: []string{am.URL}, Timeout: 5 * time.Second, ResendInterval: 500 * time.Millisecond,
		MaxAttempts: 3, RetryInterval: 100 * time.Millisecond, QueueSize: 1000}
	sm := source.DefaultMonitorConfig()
	sm.CheckInterval, sm.ExpectedInterval, sm.QualityAlertHold, sm.Now = 100*time.Millisecond, 0, time.Hour, clock.Now
	cfg.SourceMonitoring = sm
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}

	svc, err := service.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service: %v", err)
		}
	})
	testenv.Eventually(t, 20*time.Second, func() error {
		if ok, why := svc.Ready(); !ok {
			return fmt.Errorf("not ready: %v", why)
		}
		return nil
	})
	api := "http://" + svc.HTTPAddr

	// The inspection of dr-plant was announced at 06:00; a viewer may not record one.
	notice := day.Add(6 * time.Hour).Format(time.RFC3339)
	var stdout, stderr bytes.Buffer
	if code := realMain(ctx, []string{"sources", "inspection", "announce", "--api", api, "--token", e2eViewerToken,
		"--source", "dr-plant", "--time", notice}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "403") {
		t.Fatalf("a viewer recorded an inspection: %d %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	// A time without offset is read in the service's zone (Asia/Shanghai, +08:00 like day).
	if code := realMain(ctx, []string{"sources", "inspection", "announce", "--api", api, "--token", e2eEmergencyToken,
		"--source", "dr-plant", "--time", day.Add(6 * time.Hour).Format("2006-01-02T15:04"), "--reference", "昌环检〔2026〕12号"}, &stdout, &stderr); code != 0 {
		t.Fatalf("announce: %d %s", code, stderr.String())
	}
	id := strings.Fields(stdout.String())[1]
	stdout.Reset()
	if code := realMain(ctx, []string{"sources", "inspection", "list", "--api", api, "--token", e2eViewerToken}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), id) || !strings.Contains(stdout.String(), "dqb-zhang") {
		t.Fatalf("list: %d %s %s", code, stdout.String(), stderr.String())
	}

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(mosq.URL).SetClientID("e2e-sources-pub"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	sent := 0
	publish := func(src string, at time.Time, period string, nox, flow float64) {
		payload := fmt.Sprintf(`{"time":%q,"period":%q,"nox":%g,"flow":%g}`, at.Format(time.RFC3339), period, nox, flow)
		if tok := pub.Publish("lantian/source/"+src+"/DA001", 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
		sent++
	}
	// mm-plant: 10 minutes of NOx 200 in hour 01, 45 in hour 02 (limit 50).
	for m := range 10 {
		publish("mm-plant", day.Add(time.Hour+time.Duration(m)*time.Minute), "1m", 200+float64(m), 300000+float64(m))
	}
	for m := range 45 {
		publish("mm-plant", day.Add(2*time.Hour+time.Duration(m)*time.Minute), "1m", 200+float64(m%7), 300000+float64(m))
	}
	// fu-plant: the logger's m³/s (about 139) stored as m³/h through a 4 m stack.
	for h := range 3 {
		publish("fu-plant", day.Add(time.Duration(h)*time.Hour), "1h", 30+float64(h), 138.9+float64(h)/10)
	}
	// dr-plant: NOx about 80 before the inspection, about 20 after, flow unchanged.
	for h := range 12 {
		nox := 80.0 + float64(h)
		if h >= 6 {
			nox = 20 + float64(h)
		}
		publish("dr-plant", day.Add(time.Duration(h)*time.Hour), "1h", nox, 500000+float64(1000*h))
	}
	metricsURL := api + "/metrics"
	testenv.Eventually(t, 30*time.Second, func() error {
		if !strings.Contains(getText(t, metricsURL), fmt.Sprintf(`lantian_source_readings_total{result="added"} %d`, sent)) {
			return fmt.Errorf("not all %d readings added", sent)
		}
		return nil
	})
	clock.Set(day.Add(12*time.Hour + 30*time.Minute))

	// 1. The 75 % rule by default.
	testenv.Eventually(t, 30*time.Second, func() error {
		rows := influxQL(t, influx, `SELECT samples, nox_status, nox_verdict FROM emission_hourly WHERE "source"='mm-plant'`)
		want := []string{
			day.Add(time.Hour).UTC().Format(time.RFC3339) + " 10 insufficient invalid",
			day.Add(2*time.Hour).UTC().Format(time.RFC3339) + " 45 valid exceeding",
		}
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %v %s %s", r["time"], r["samples"], r["nox_status"], r["nox_verdict"]))
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("mm-plant hours\n got %q\nwant %q", got, want)
		}
		return nil
	})
	// 4 and 6: exactly the drop after the inspection and the implausible flow.
	testenv.Eventually(t, 30*time.Second, func() error {
		var got []string
		for _, r := range influxQL(t, influx, `SELECT * FROM source_quality`) {
			got = append(got, fmt.Sprintf("%s|%s|%s", r["source"], r["rule"], r["field"]))
			if r["rule"] == "flow_implausible" && !strings.Contains(r["detail"].(string), "×3600") {
				return fmt.Errorf("flow finding does not name the unit error: %v", r["detail"])
			}
		}
		sort.Strings(got)
		if want := []string{"dr-plant|drop_after_notice|nox", "fu-plant|flow_implausible|flow"}; !slices.Equal(got, want) {
			return fmt.Errorf("findings\n got %q\nwant %q", got, want)
		}
		return nil
	})
	testenv.Eventually(t, 20*time.Second, func() error {
		as, err := am.Alerts(ctx)
		if err != nil {
			return err
		}
		var got []string
		for _, a := range as {
			l := a.Labels
			got = append(got, strings.Join([]string{l["alertname"], l["source"], l["rule"], l["pollutant"], l["field"]}, "|"))
		}
		sort.Strings(got)
		want := []string{"SourceDataQuality|dr-plant|drop_after_notice|nox|", "SourceDataQuality|fu-plant|flow_implausible||flow",
			"SourceExceedance|mm-plant||nox|"}
		if !slices.Equal(got, want) {
			return fmt.Errorf("alerts\n got %q\nwant %q", got, want)
		}
		return nil
	})
	if rows := influxQL(t, influx, `SELECT * FROM exceedance`); len(rows) != 1 || rows[0]["source"] != "mm-plant" ||
		rows[0]["start"] != day.Add(2*time.Hour).Format(time.RFC3339) {
		t.Errorf("exceedance: %v", rows)
	}

	// 3. fu-plant (60 m stack) has had no data since 03:00: a coverage gap, in the API and metrics.
	testenv.Eventually(t, 10*time.Second, func() error {
		var rows []source.CoverageRow
		if err := json.Unmarshal([]byte(getText(t, api+"/api/v1/sources/coverage")), &rows); err != nil {
			return err
		}
		if len(rows) != 3 || rows[0].Source != "fu-plant" || !rows[0].Mandated || rows[0].Status != source.CoverageStale ||
			rows[0].Boiler != "coal_65th_ultra_low" || rows[1].Mandated {
			return fmt.Errorf("coverage: %+v", rows)
		}
		if !strings.Contains(getText(t, metricsURL), `lantian_source_coverage_gap{county="changji",outlet="DA001",reason="stack_height",source="fu-plant"} 1`) {
			return fmt.Errorf("no coverage gap metric")
		}
		return nil
	})

	// `lantian sources report` applies the same inspection from the register in data_dir.
	var out bytes.Buffer
	if err := sourcesReport(ctx, cfg, day.Format("2006-01-02"), day.Format("2006-01-02"), &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	col := slices.Index(recs[0], "qc_rules")
	for _, r := range recs[1:] {
		if r[4] == "DA001" {
			rules[r[0]] = r[col]
		}
	}
	if !strings.Contains(rules["dr-plant"], "drop_after_notice:1") || !strings.Contains(rules["fu-plant"], "flow_implausible:1") {
		t.Errorf("report qc_rules: %v", rules)
	}

	// Withdrawn (entered in error): listed as withdrawn, kept in the audit trail, no longer
	// applied by the report. Without a token the API refuses.
	stdout.Reset()
	if code := realMain(ctx, []string{"sources", "inspection", "withdraw", "--api", api, "--token", e2eEmergencyToken, "--id", id,
		"--note", "录入错误"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "withdrawn by dqb-zhang") {
		t.Fatalf("withdraw: %d %s %s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := realMain(ctx, []string{"sources", "inspection", "list", "--api", api, "--token", e2eViewerToken}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "已撤回 withdrawn") {
		t.Fatalf("list after withdraw: %d %s", code, stdout.String())
	}
	resp, err := http.Get(api + "/api/v1/inspections/audit")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("audit without a token: %s", resp.Status)
	}
	out.Reset()
	if err := sourcesReport(ctx, cfg, day.Format("2006-01-02"), day.Format("2006-01-02"), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "drop_after_notice") {
		t.Errorf("the report applies a withdrawn inspection:\n%s", out.String())
	}
}
