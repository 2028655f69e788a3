package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/sim"
	"lantian/internal/devenv/testenv"
)

const assessmentConfig = `# 昌吉市: two national stations and a grid micro-station
stations:
  - {id: cj-01, name: 昌吉市监测站, area: changji, class: national}
  - {id: cj-02, name: 昌吉州环境监测站, area: changji, class: national}
  - {id: cj-m01, name: 昌吉市延安北路微站, area: changji, class: micro}
warnings:
  tokens:
    - {name: 监测中心-王, role: forecaster, token: e2e-dust-token-0123456789}
`

// TestRunAssessesByAssessmentStationsAndDeductsDust runs the lantian binary (`lantian run`) on
// a real Mosquitto and InfluxDB. 昌吉市's national stations read PM2.5 35 µg/m³ for two days and
// a sand-dust day (PM10 600, PM2.5 150) on the third; the micro-station reads 300 throughout.
// The county's year-to-date PM2.5 and good-day ratio come from the national stations alone;
// `lantian dust add` then enters the dust day through the API and the deducted figures leave its
// particulate data out, while `lantian dust list` shows who entered it.
func TestRunAssessesByAssessmentStationsAndDeductsDust(t *testing.T) {
	bin := buildBinary(t)
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "lantian.yaml")
	if err := os.WriteFile(cfgPath, []byte(assessmentConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	startLantian(t, bin, "--config", cfgPath, "--mqtt-url", mosq.URL, "--influx-url", influx.URL,
		"--influx-bucket", influx.Bucket, "--http-addr", httpAddr, "--data-dir", filepath.Join(dir, "data"),
		"--mqtt-client-id", "lantian-e2e-assess")
	waitReady(t, httpAddr)

	loc := time.FixedZone("CST", 8*3600)
	first := time.Date(2026, time.November, 1, 0, 0, 0, 0, loc)
	var rs []reading.Reading
	add := func(st string, at time.Time, pm25, pm10 float64) {
		r := reading.Reading{Kind: reading.Air, Station: st, Time: at, Period: reading.Hour}
		for name, v := range map[string]float64{"pm25": pm25, "pm10": pm10, "so2": 10, "no2": 20, "co": 0.5, "o3": 60} {
			r.Values = append(r.Values, reading.Value{Name: name, Value: v})
		}
		rs = append(rs, r)
	}
	for h := range 3 * 24 {
		at := first.Add(time.Duration(h) * time.Hour)
		pm25, pm10 := 35.0, 50.0
		if h >= 48 {
			pm25, pm10 = 150, 600
		}
		add("cj-01", at, pm25, pm10)
		add("cj-02", at, pm25, pm10)
		add("cj-m01", at, 300, 400)
	}
	if st, err := sim.Replay(t.Context(), sim.ReplayOptions{Session: sim.Session{URL: mosq.URL, ClientID: "e2e-assess-replay"}}, rs, nil); err != nil || st.Published != len(rs) {
		t.Fatalf("replay %+v: %v", st, err)
	}
	metrics := func(want ...string) {
		t.Helper()
		testenv.Eventually(t, 60*time.Second, func() error {
			resp, err := http.Get("http://" + httpAddr + "/metrics")
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, w := range want {
				if !strings.Contains(string(b), w+"\n") {
					return fmt.Errorf("metrics lack %q", w)
				}
			}
			return nil
		})
	}
	// (35 + 35 + 150)/3 = 73.3 and 2 good days of 3; with the micro-station it would be 140.7
	// and 0 %.
	metrics(`lantian_county_pm25_ytd{county="changji",deducted="false"} 73.3`,
		`lantian_county_good_ratio_ytd{county="changji",deducted="false"} 66.7`,
		`lantian_county_valid_days_ytd{county="changji",deducted="false"} 3`)

	api := []string{"--api", "http://" + httpAddr, "--token", "e2e-dust-token-0123456789"}
	var stdout, stderr bytes.Buffer
	args := append([]string{"dust", "add", "--from", "2026-11-03 00:00", "--to", "2026-11-04 00:00", "--areas", "changji", "--note", "沙尘天气通报第5期"}, api...)
	if code := realMain(t.Context(), args, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "entered D1") {
		t.Fatalf("dust add: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	metrics(`lantian_county_pm25_ytd{county="changji",deducted="true"} 35`,
		`lantian_county_good_ratio_ytd{county="changji",deducted="true"} 100`,
		`lantian_county_pm25_ytd{county="changji",deducted="false"} 73.3`)
	stdout.Reset()
	if code := realMain(t.Context(), append([]string{"dust", "list"}, api...), &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "监测中心-王") || !strings.Contains(stdout.String(), "沙尘天气通报第5期") {
		t.Errorf("dust list: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
}
