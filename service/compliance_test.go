package service_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"lantian/alert/office"
	"lantian/alert/source"
	"lantian/ingest/registry"
	"lantian/internal/devenv/testenv"
)

// TestComplianceFromReplayedSourceReadings replays hourly readings of two emergency-list
// sources through MQTT, before and during an orange warning issued through the API with a
// start in the past: the source that halved its emissions is compliant, the one that did not
// cut is not.
func TestComplianceFromReplayedSourceReadings(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	loc := time.FixedZone("CST", 8*3600)
	// Six baseline hours, then four warning hours, all closed well before now.
	base := time.Now().In(loc).Truncate(time.Hour).Add(-11 * time.Hour)
	start := base.Add(6 * time.Hour)
	clock := &testClock{t: base.Add(-time.Hour)}

	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-compliance")
	cfg.Sources = []registry.Source{
		{ID: "cj-cut", Name: "减排企业", Area: "changji", Industry: "power", EmergencyList: true,
			Outlets: []registry.Outlet{{ID: "DA001"}, {ID: "DA002"}}},
		{ID: "cj-same", Name: "未减排企业", Area: "changji", Industry: "cement", EmergencyList: true,
			Outlets: []registry.Outlet{{ID: "DA001"}}},
		// Not on the emergency list: not in the table.
		{ID: "cj-other", Name: "其他企业", Area: "changji", Industry: "boiler",
			Outlets: []registry.Outlet{{ID: "DA001"}}},
	}
	cfg.SourceMonitoring = source.MonitorConfig{Enabled: true, CheckInterval: 100 * time.Millisecond, QueueSize: 10000,
		ExpectedInterval: time.Hour, QualityAlertHold: time.Hour, Coverage: source.DefaultCoverageConfig(), Rules: source.DefaultConfig(), Now: clock.Now}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	baseURL := "http://" + run.svc.HTTPAddr

	// so2 and nox in mg/m³ at 100 000 m³/h: 100 mg/m³ is 10 kg/h. cj-cut halves both on
	// each of its outlets from the warning start; cj-same goes on as before.
	var msgs []message
	sent := 0
	for h := range 10 {
		ts := base.Add(time.Duration(h) * time.Hour)
		wobble := 1 + 0.01*float64(h%3) // no flat line
		for _, o := range []struct {
			src, outlet string
			cut         float64
		}{{"cj-cut", "DA001", 0.5}, {"cj-cut", "DA002", 0.5}, {"cj-same", "DA001", 1}, {"cj-other", "DA001", 1}} {
			f := wobble
			if !ts.Before(start) {
				f *= o.cut
			}
			payload := fmt.Sprintf(`{"source":%q,"outlet":%q,"time":%q,"period":"1h","dust":%.2f,"so2":%.2f,"nox":%.2f,"flow":100000,"temp":120}`,
				o.src, o.outlet, ts.Format(time.RFC3339), 5*f, 100*f, 200*f)
			msgs = append(msgs, message{topic: cfg.MQTT.TopicPrefix + "/source/" + o.src + "/" + o.outlet, payload: []byte(payload)})
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
	// Every reading is in the monitor: close all ten hours at once.
	clock.Set(base.Add(10*time.Hour + 30*time.Minute))
	testenv.Eventually(t, 30*time.Second, func() error {
		for src, want := range map[string]int{"cj-cut": 20, "cj-same": 10} {
			if n := influx.Count(t, "emission_hourly", "so2_kgh", fmt.Sprintf(`"source"='%s'`, src)); n != want {
				return fmt.Errorf("emission_hourly so2_kgh of %s: %d, want %d", src, n, want)
			}
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
	testenv.Eventually(t, 20*time.Second, func() error {
		code, body := apiCall(t, baseURL, http.MethodGet, "/api/v1/warnings/"+id+"/compliance", viewerToken, "")
		if code != http.StatusOK {
			return fmt.Errorf("compliance: %d %s", code, body)
		}
		tab = office.ComplianceTable{}
		if err := json.Unmarshal([]byte(body), &tab); err != nil {
			return err
		}
		got := map[string]string{}
		for _, r := range tab.Rows {
			got[r.Source+"/"+r.Pollutant] = r.Status
		}
		want := map[string]string{
			"cj-cut/dust": office.ComplianceOK, "cj-cut/so2": office.ComplianceOK, "cj-cut/nox": office.ComplianceOK,
			"cj-same/dust": office.ComplianceNotCompliant, "cj-same/so2": office.ComplianceNotCompliant, "cj-same/nox": office.ComplianceNotCompliant,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("compliance statuses\n got %v\nwant %v\n%s", got, want, body)
		}
		return nil
	})
	if tab.NotCompliant != 3 || tab.Level.String() != "orange" {
		t.Errorf("table: %+v", tab)
	}
	for _, r := range tab.Rows {
		if r.BaselineHours != 6 || r.ActualHours != 4 || r.RequiredPct != 20 {
			t.Errorf("row %+v: want 6 baseline hours, 4 warning hours, 20 %% required", r)
		}
		// Two outlets of 100 mg/m³ SO2 at 100 000 m³/h: 20 kg/h on average (with the wobble).
		if r.Source == "cj-cut" && r.Pollutant == "so2" && (r.BaselineKgH < 20 || r.BaselineKgH > 20.4 || r.ReductionPct < 49 || r.ReductionPct > 51) {
			t.Errorf("cj-cut so2: %+v", r)
		}
	}

	// The console page shows the same table to a logged-in viewer.
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
	if resp.StatusCode != http.StatusOK || !strings.Contains(p, `id="compliance"`) ||
		!strings.Contains(p, `data-source="cj-same" data-pollutant="so2" data-status="not_compliant"`) ||
		!strings.Contains(p, `data-source="cj-cut" data-pollutant="so2" data-status="compliant"`) || strings.Contains(p, "cj-other") {
		t.Errorf("console compliance page: %d\n%s", resp.StatusCode, p)
	}
}
