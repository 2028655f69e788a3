package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/alert/office"
	"lantian/ingest/registry"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
	"lantian/service"
)

const (
	emergencyToken = "emergency-token-for-tests-0001"
	viewerToken    = "viewer-token-for-tests-0000001"
)

func setWarningTokens(t *testing.T, svc *service.Service) {
	t.Helper()
	o := service.WarningsOffice(svc)
	if o == nil {
		t.Fatal("service has no warning office")
	}
	if err := o.SetTokens([]office.Token{{Name: "大气办", Role: office.RoleEmergency, Secret: emergencyToken},
		{Name: "county-viewer", Role: office.RoleViewer, Secret: viewerToken}}); err != nil {
		t.Fatal(err)
	}
}

// apiCall sends a JSON request with a bearer token and returns the status and body.
func apiCall(t *testing.T, base, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
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

// forecastJSON is a forecast issued now for today and the next days: two days above 200
// (orange in the 2024 scheme, due at once), then clean days.
func forecastJSON(area string, now time.Time, aqis ...int) string {
	var days []string
	for i, v := range aqis {
		days = append(days, fmt.Sprintf(`{"date":%q,"aqi":%d,"primary":"PM2.5"}`, now.AddDate(0, 0, i).Format("2006-01-02"), v))
	}
	a := ""
	if area != "" {
		a = fmt.Sprintf(`"area":%q,`, area)
	}
	return fmt.Sprintf(`{%s"issued":%q,"source":"自治区环境监测总站","days":[%s]}`, a, now.Add(-time.Minute).Format(time.RFC3339), strings.Join(days, ","))
}

func warningMetric(t *testing.T, base, prefix string) string {
	t.Helper()
	_, body := apiCall(t, base, http.MethodGet, "/metrics", "", "")
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// retained subscribes with a fresh clean session and returns the retained message of topic.
func retained(t *testing.T, url, topic string) (office.AreaMessage, bool) {
	t.Helper()
	got := make(chan paho.Message, 1)
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("fresh-%d", time.Now().UnixNano())).SetCleanSession(true)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	if tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m:
		default:
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	select {
	case m := <-got:
		var am office.AreaMessage
		if err := json.Unmarshal(m.Payload(), &am); err != nil {
			t.Fatalf("retained message %s: %v", m.Payload(), err)
		}
		if !m.Retained() {
			t.Errorf("message on %s is not flagged retained", topic)
		}
		return am, true
	case <-time.After(2 * time.Second):
		return office.AreaMessage{}, false
	}
}

func findAlert(t *testing.T, am *notifytest.Alertmanager, labels map[string]string) bool {
	t.Helper()
	alerts, err := am.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
next:
	for _, a := range alerts {
		for k, v := range labels {
			if a.Labels[k] != v {
				continue next
			}
		}
		return true
	}
	return false
}

// TestWarningForecastToAlertAndIssueThroughAPI runs the warning office on real services: a
// forecast on MQTT makes a recommendation (gauge, InfluxDB, a real Alertmanager); a warning
// issued through the API is retained on MQTT for a fresh subscriber, is an event in InfluxDB,
// an alert and a gauge; lifting it replaces the retained message and resolves the alert.
func TestWarningForecastToAlertAndIssueThroughAPI(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-warnings")
	cfg.Alertmanager.URLs = []string{am.URL}
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	base := "http://" + run.svc.HTTPAddr
	now := time.Now()

	pub := newPublisher(t, mosq.URL, "pub-forecast")
	pub.publish("lantian/forecast/changji", []byte(forecastJSON("", now.In(cfg.Location()), 230, 260, 120, 90)))
	testenv.Eventually(t, 20*time.Second, func() error {
		if l := warningMetric(t, base, `lantian_warning_recommended_level{area="changji"}`); !strings.HasSuffix(l, " 3") {
			return fmt.Errorf("gauge: %q", l)
		}
		if !findAlert(t, am, map[string]string{"alertname": "HeavyPollutionRecommended", "area": "changji", "level": "orange", "severity": "warning"}) {
			return fmt.Errorf("no recommendation alert in Alertmanager yet")
		}
		return nil
	})
	if n := influx.Count(t, "forecast", "aqi", `"area"='changji' AND "kind"='daily'`); n != 4 {
		t.Errorf("forecast points: %d, want 4", n)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		if n := influx.Count(t, "warning_recommendation", "level_num", `"area"='changji' AND "level"='orange'`); n < 1 {
			return fmt.Errorf("recommendation points: %d", n)
		}
		return nil
	})
	// A bad forecast goes to the dead letters; the API answers with the reason.
	pub.publish("lantian/forecast/changji", []byte(`{"issued":"2020-01-01T00:00:00Z","source":"x","days":[]}`))
	code, body := apiCall(t, base, http.MethodPost, "/api/v1/forecasts", emergencyToken, forecastJSON("wcs", now.In(cfg.Location()), 100))
	if code != http.StatusBadRequest || !strings.Contains(body, "bad_area") {
		t.Errorf("forecast for a region: %d %s", code, body)
	}

	// Issue a unified regional orange warning.
	if code, body := apiCall(t, base, http.MethodPost, "/api/v1/warnings", viewerToken, `{"level":"orange","areas":["wcs"],"reason":"x"}`); code != http.StatusForbidden {
		t.Errorf("viewer issue: %d %s", code, body)
	}
	code, body = apiCall(t, base, http.MethodPost, "/api/v1/warnings", emergencyToken,
		fmt.Sprintf(`{"level":"orange","areas":["wcs"],"reason":"预报未来两天 AQI > 200","expected_end":%q,"who":"王主任"}`, now.Add(72*time.Hour).Format(time.RFC3339)))
	if code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}
	var issued struct{ Warning office.Warning }
	if err := json.Unmarshal([]byte(body), &issued); err != nil {
		t.Fatal(err)
	}
	w := issued.Warning
	m, ok := retained(t, mosq.URL, "lantian/warnings/fukang")
	if !ok || m.Status != office.StatusInForce || m.Level.String() != "orange" || m.WarningID != w.ID || m.Reductions == nil || m.Reductions.SO2 != 20 || m.Reductions.VOCs != 20 || m.Region != "wcs" {
		t.Errorf("retained warning for fukang: %+v %v", m, ok)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		if n := influx.Count(t, "warning_event", "title", fmt.Sprintf(`"area"='fukang' AND "action"='issue' AND "warning_id"='%s'`, w.ID)); n != 1 {
			return fmt.Errorf("warning_event points: %d", n)
		}
		if !findAlert(t, am, map[string]string{"alertname": "HeavyPollutionWarning", "area": "wcs", "level": "orange"}) {
			return fmt.Errorf("no warning alert yet")
		}
		if l := warningMetric(t, base, `lantian_warning_issued_level{area="hutubi"}`); !strings.HasSuffix(l, " 3") {
			return fmt.Errorf("issued gauge: %q", l)
		}
		return nil
	})
	if code, body := apiCall(t, base, http.MethodGet, "/api/v1/warnings/"+w.ID, viewerToken, ""); code != http.StatusOK || !strings.Contains(body, `"who": "王主任"`) || !strings.Contains(body, `"token": "大气办"`) {
		t.Errorf("audit: %d %s", code, body)
	}

	// Lift it.
	if code, body := apiCall(t, base, http.MethodPost, "/api/v1/warnings/"+w.ID+"/lift", emergencyToken, `{"reason":"AQI < 150 36 h"}`); code != http.StatusOK {
		t.Fatalf("lift: %d %s", code, body)
	}
	m, ok = retained(t, mosq.URL, "lantian/warnings/fukang")
	if !ok || m.Status != office.StatusLifted || m.Level.String() != "none" || m.PreviousLevel.String() != "orange" {
		t.Errorf("retained after lifting: %+v %v", m, ok)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		if findAlert(t, am, map[string]string{"alertname": "HeavyPollutionWarning", "area": "wcs"}) {
			return fmt.Errorf("warning alert not resolved yet")
		}
		if n := influx.Count(t, "warning_event", "title", `"action"='lift'`); n != 7 {
			return fmt.Errorf("lift events: %d, want 7 (6 members and the region)", n)
		}
		return nil
	})

	// The same through `lantian warnings issue|list|lift`.
	bin := filepath.Join(t.TempDir(), "lantian")
	build := exec.Command("go", "build", "-o", bin, "./cmd/lantian")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build lantian: %v\n%s", err, out)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(emergencyToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"warnings"}, args...)...)
		cmd.Env = append(os.Environ(), "LANTIAN_API="+base)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("lantian warnings %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := cli("issue", "--token-file", tokenFile, "--level", "黄色", "--areas", "qitai,mori", "--reason", "CLI test", "--who", "值班员")
	id, _, _ := strings.Cut(strings.TrimPrefix(out, "issued "), ":")
	if !strings.HasPrefix(out, "issued W") || !strings.Contains(out, "yellow") {
		t.Fatalf("cli issue: %q", out)
	}
	if out := cli("list", "--token-file", tokenFile); !strings.Contains(out, id) || !strings.Contains(out, "mori,qitai") || strings.Contains(out, w.ID) {
		t.Errorf("cli list: %q", out)
	}
	if out := cli("list", "--all", "--token-file", tokenFile); !strings.Contains(out, w.ID) {
		t.Errorf("cli list --all: %q", out)
	}
	if out := cli("lift", "--token-file", tokenFile, "--id", id, "--reason", "done"); !strings.HasPrefix(out, "lifted "+id) {
		t.Errorf("cli lift: %q", out)
	}
	if m, _ := retained(t, mosq.URL, "lantian/warnings/mori"); m.WarningID != id || m.Status != office.StatusLifted {
		t.Errorf("retained after cli lift: %+v", m)
	}
	viewer := exec.Command(bin, "warnings", "issue", "--api", base, "--token", viewerToken, "--level", "red", "--areas", "qitai", "--reason", "x")
	if out, err := viewer.CombinedOutput(); err == nil || !strings.Contains(string(out), "403") {
		t.Errorf("viewer cli issue: %v %s", err, out)
	}
}

// TestWarningConsoleInBrowser drives the console in a real Chromium: log in with an
// emergency-role token, see the recommendation, issue a warning through the confirmation step,
// see it listed, lift it; a viewer token sees no issue form and no lift button.
func TestWarningConsoleInBrowser(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-warnings-console")
	cfg.Sources = append(cfg.Sources, registry.Source{ID: "cj-cement", Name: "昌吉水泥", Area: "changji", Industry: "cement", EmergencyList: true,
		Outlets: []registry.Outlet{{ID: "DA001"}},
		EmergencyPlan: &registry.EmergencyPlan{Document: "一厂一策 2026", Levels: []registry.EmergencyMeasures{
			{Level: "orange", Measures: []string{"2号熟料线停产"}, ReductionPct: map[string]float64{"so2": 30}}}}})
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	base := "http://" + run.svc.HTTPAddr
	if code, body := apiCall(t, base, http.MethodPost, "/api/v1/forecasts", emergencyToken, forecastJSON("changji", time.Now().In(cfg.Location()), 230, 260, 120, 90)); code != http.StatusCreated {
		t.Fatalf("forecast: %d %s", code, body)
	}

	ctx := testenv.Browser(t)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	login := func(token string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/warnings"), chromedp.WaitVisible(chromedp.CSS(`#token`)),
			chromedp.SendKeys(chromedp.CSS(`#token`), token), chromedp.Click(chromedp.CSS(`#login-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#who`))); err != nil {
			t.Fatal(err)
		}
	}

	login(emergencyToken)
	// The live console and the warning console link to each other.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/"]`)), chromedp.WaitVisible(chromedp.CSS(`#to-warnings`)),
		chromedp.Click(chromedp.CSS(`#to-warnings`)), chromedp.WaitVisible(chromedp.CSS(`#who`))); err != nil {
		t.Fatal(err)
	}
	if who := text(`#who`); who != "大气办" {
		t.Errorf("signed in as %q", who)
	}
	if rec := text(`#recommendations tr[data-area="changji"]`); !strings.Contains(rec, "橙色预警") || !strings.Contains(rec, "建议发布") || !strings.Contains(rec, "AQI > 200") {
		t.Errorf("recommendation row: %q", rec)
	}
	// 按建议发布: the issue form is filled from the recommendation; then the confirmation page
	// with the 一厂一策 measures of the listed source, then issued.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#as-recommended-changji`)), chromedp.WaitVisible(chromedp.CSS(`#prefill`))); err != nil {
		t.Fatal(err)
	}
	checked := func(sel string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	orangeChecked, changjiChecked := checked(`input[name="level"][value="orange"]`), checked(`input[name="areas"][value="changji"]`)
	fukangChecked := checked(`input[name="areas"][value="fukang"]`)
	reason, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#reason`)))
	if err != nil {
		t.Fatal(err)
	}
	if !orangeChecked || !changjiChecked || fukangChecked || !strings.Contains(reason, "按预警建议发布橙色预警") || !strings.Contains(reason, "AQI > 200") {
		t.Errorf("prefilled form: orange %v changji %v fukang %v reason %q", orangeChecked, changjiChecked, fukangChecked, reason)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#issue-next`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-issue`))); err != nil {
		t.Fatal(err)
	}
	if s := text(`#summary`); !strings.Contains(s, "橙色预警") || !strings.Contains(s, "昌吉市") || !strings.Contains(s, "SO2 20%") || !strings.Contains(s, "VOCs 20%") {
		t.Errorf("confirmation: %q", s)
	}
	if s := text(`#plan-measures`); !strings.Contains(s, "2号熟料线停产") || !strings.Contains(s, "so2 30%") {
		t.Errorf("confirmation, 一厂一策 measures: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#confirm-issue`)), chromedp.WaitVisible(chromedp.CSS(`#warnings`))); err != nil {
		t.Fatal(err)
	}
	if msg := text(`#message`); !strings.Contains(msg, "已发布预警") {
		t.Errorf("message %q", msg)
	}
	row := text(`#warnings tr[data-warning]`)
	if !strings.Contains(row, "橙色预警") || !strings.Contains(row, "昌吉市") || !strings.Contains(row, "按预警建议发布") || !strings.Contains(row, "+08:00") {
		t.Errorf("warning row: %q", row)
	}
	// The page right after issuing reflects it: no more "建议发布" for changji.
	if rec := text(`#recommendations tr[data-area="changji"]`); strings.Contains(rec, "建议发布") || count(`#as-recommended-changji`) != 0 {
		t.Errorf("recommendation row after issuing: %q", rec)
	}
	if s := text(`#audit`); !strings.Contains(s, "发布") {
		t.Errorf("audit: %q", s)
	}
	// The compliance page of the warning, linked from its row.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#warnings tr[data-warning] a[href$="/compliance"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#not-compliant`))); err != nil {
		t.Fatal(err)
	}
	if s := text(`body`); !strings.Contains(s, "应急减排核查") || !strings.Contains(s, "2号熟料线停产") || !strings.Contains(s, "+08:00") {
		t.Errorf("compliance page: %q", s)
	}
	// Lift: the confirmation says the lift rule is not met (the forecast is above 150 today).
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/warnings"), chromedp.WaitVisible(chromedp.CSS(`#warnings button.lift`)),
		chromedp.Click(chromedp.CSS(`#warnings button.lift`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-lift`))); err != nil {
		t.Fatal(err)
	}
	if s := text(`#lift-rule-unmet`); !strings.Contains(s, "解除条件未满足") || !strings.Contains(s, "AQI < 150") {
		t.Errorf("lift confirmation: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#lift-reason`), "预报好转"), chromedp.Click(chromedp.CSS(`#confirm-lift`)),
		chromedp.WaitVisible(chromedp.CSS(`#no-warnings`))); err != nil {
		t.Fatal(err)
	}
	if s := text(`#lifted`); !strings.Contains(s, "预报好转") {
		t.Errorf("lifted table: %q", s)
	}

	// A viewer sees the warnings but can neither issue nor lift.
	if code, body := apiCall(t, base, http.MethodPost, "/api/v1/warnings", emergencyToken, `{"level":"yellow","areas":["qitai"],"reason":"api"}`); code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/warnings/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#token`))); err != nil {
		t.Fatal(err)
	}
	login(viewerToken)
	if n := count(`#warnings tr[data-warning]`); n != 1 {
		t.Errorf("viewer sees %d warnings, want 1", n)
	}
	if n := count(`#issue, button.lift`); n != 0 {
		t.Errorf("viewer has %d issue forms or lift buttons", n)
	}
	if s := text(`#read-only`); !strings.Contains(s, "只读") {
		t.Errorf("read-only note: %q", s)
	}
	if code, _ := apiCall(t, base, http.MethodPost, "/api/v1/warnings", viewerToken, `{"level":"red","areas":["mori"],"reason":"x"}`); code != http.StatusForbidden {
		t.Errorf("viewer API issue: %d", code)
	}
}

// TestWarningAlertsUseTheAlertmanagerSection checks that the warning office's alerts go
// through the service's one Alertmanager client, built from the whole alertmanager section:
// a resend_interval of 10m puts endsAt 40 minutes ahead (the client's default would give 4),
// and generator_url is filled in.
func TestWarningAlertsUseTheAlertmanagerSection(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-warnings-am")
	cfg.Alertmanager.URLs = []string{am.URL}
	cfg.Alertmanager.ResendInterval = 10 * time.Minute
	cfg.Alertmanager.GeneratorURL = "http://console.test/warnings"
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	base := "http://" + run.svc.HTTPAddr
	sent := time.Now()
	if code, body := apiCall(t, base, http.MethodPost, "/api/v1/forecasts", emergencyToken,
		forecastJSON("changji", sent.In(cfg.Location()), 230, 260, 120, 90)); code/100 != 2 {
		t.Fatalf("forecast: %d %s", code, body)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		alerts, err := am.Alerts(context.Background())
		if err != nil {
			return err
		}
		for _, a := range alerts {
			if a.Labels["alertname"] != "HeavyPollutionRecommended" || a.Labels["area"] != "changji" {
				continue
			}
			if a.EndsAt.Before(sent.Add(30*time.Minute)) || a.GeneratorURL != cfg.Alertmanager.GeneratorURL {
				t.Fatalf("alert endsAt %s (sent %s), generatorURL %q: the alertmanager section did not reach the office's alerts",
					a.EndsAt, sent, a.GeneratorURL)
			}
			return nil
		}
		return fmt.Errorf("no recommendation alert in Alertmanager yet")
	})
}
