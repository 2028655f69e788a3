package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"lantian/alert/assess"
	"lantian/ingest/registry"
	"lantian/ingest/sim"
	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

// The Beijing winter of the UCI PRSA data set (CC BY 4.0): 12 stations × 2208 hours.
const beijingWinter = "../../shared/data/beijing-multisite-prsa/winter_2016-17"

var beijingStations = []string{"Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng",
	"Huairou", "Nongzhanguan", "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong"}

// beijingConfig is the test registry plus the 12 Beijing stations in one county "beijing",
// with readings of 2016 accepted (ingest.max_age raised, as replaying old data needs).
func beijingConfig(t *testing.T, mqttURL, influxURL, clientID string) config.Config {
	t.Helper()
	cfg := testConfig(t, mqttURL, influxURL, clientID)
	cfg.Ingest.MaxAge = 30 * 365 * 24 * time.Hour
	cfg.MQTT.Workers = 8
	cfg.Areas = append(cfg.Areas, registry.Area{ID: "beijing", Name: "北京市", Kind: registry.County})
	good := 80.0
	cfg.Targets = append(cfg.Targets, registry.Target{Area: "beijing", BaseYear: 2015, PM25In17: 58, GoodIn17: 62.2, PM25Goal: 56, GoodGoal: &good})
	for _, st := range beijingStations {
		cfg.Stations = append(cfg.Stations, registry.Station{ID: st, Name: st, Area: "beijing", Class: registry.National})
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// offlineStationDays runs `lantian assess --report daily` on each original file.
func offlineStationDays(t *testing.T, files []string) map[string][3]string {
	t.Helper()
	want := map[string][3]string{}
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err = assess.Run(assess.Options{Report: assess.ReportDaily, InputName: f}, in, &out)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			want[r[0]+"|"+r[1]] = [3]string{r[2], r[3], r[4]}
		}
	}
	return want
}

// streamedDays reads aqi_daily of one scope back from InfluxDB as station|date → aqi, level,
// primary ("" for each when no AQI was published).
func streamedDays(t *testing.T, influx *testenv.Influx, scope, by string) map[string][3]string {
	t.Helper()
	body, err := influx.InfluxQL(fmt.Sprintf(`SELECT "aqi","level","primary","published" FROM "aqi_daily" WHERE "scope"='%s' GROUP BY %q`, scope, by))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Results []struct {
			Series []struct {
				Tags   map[string]string `json:"tags"`
				Values [][]any           `json:"values"`
			} `json:"series"`
			Error string `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	got := map[string][3]string{}
	loc := assess.DefaultLocation()
	for _, res := range answer.Results {
		for _, s := range res.Series {
			for _, v := range s.Values {
				ts, err := time.Parse(time.RFC3339, fmt.Sprint(v[0]))
				if err != nil {
					t.Fatal(err)
				}
				var row [3]string
				if pub, _ := v[4].(bool); pub {
					row = [3]string{num(v[1]), num(v[2]), fmt.Sprint(v[3])}
				}
				got[s.Tags[by]+"|"+ts.In(loc).Format(time.DateOnly)] = row
			}
		}
	}
	return got
}

func num(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

func diffDays(want, got map[string][3]string) []string {
	var bad []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			bad = append(bad, k+": missing")
		} else if g != w {
			bad = append(bad, fmt.Sprintf("%s: stream %v, offline %v", k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			bad = append(bad, k+": not in the offline report")
		}
	}
	slices.Sort(bad)
	return bad
}

// TestStreamBeijingWinterMatchesOffline is the acceptance test: the whole Beijing winter
// 2016-17 is replayed through a real Mosquitto into the pipeline and a real InfluxDB while the
// streaming assessor runs, and the daily AQI it writes (aqi_daily, scope station) equals the
// offline `lantian assess` daily report of the same files for every station-day; the county
// rows equal the offline report's area rows.
func TestStreamBeijingWinterMatchesOffline(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(beijingWinter, "*.csv"))
	if err != nil || len(files) != len(beijingStations) {
		t.Fatalf("the Beijing winter data is missing (must not be skipped): %d files in %s, %v", len(files), beijingWinter, err)
	}
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := beijingConfig(t, mosq.URL, influx.URL, "lantian-test-stream")
	run := startService(t, cfg)

	loc := assess.DefaultLocation()
	rows, err := assess.LoadRows([]string{beijingWinter}, assess.LabelStart, loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12*2208 {
		t.Fatalf("%d rows, want %d", len(rows), 12*2208)
	}
	wantStations := offlineStationDays(t, files)
	areas := map[string]string{}
	for _, st := range beijingStations {
		areas[st] = "beijing"
	}
	var offline bytes.Buffer
	if err := assess.ExpectedDaily(rows, 0, loc, areas, &offline); err != nil {
		t.Fatal(err)
	}
	wantCounty := map[string][3]string{}
	recs, err := csv.NewReader(&offline).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		if area, ok := strings.CutPrefix(r[0], assess.AreaPrefix); ok {
			wantCounty[area+"|"+r[1]] = [3]string{r[2], r[3], r[4]}
		}
	}

	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := sim.Replay(ctx, sim.ReplayOptions{Session: sim.Session{URL: mosq.URL, ClientID: "replay-beijing"}}, assess.Readings(rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replayed %d rows (%d published, %d without any value skipped) in %s", st.Rows, st.Published, st.Skipped, time.Since(began).Round(time.Millisecond))
	if st.Published+st.Skipped != len(rows) {
		t.Fatalf("published %d + skipped %d of %d rows", st.Published, st.Skipped, len(rows))
	}

	var bad []string
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, b := range bad {
			t.Log(b)
		}
		for _, l := range strings.Split(scrape(t, run.svc.HTTPAddr), "\n") {
			if strings.HasPrefix(l, "lantian_assess") || strings.HasPrefix(l, "lantian_rejected") || strings.HasPrefix(l, "lantian_readings_stored") {
				t.Log(l)
			}
		}
		body, _ := influx.InfluxQL(`SELECT * FROM aqi_daily WHERE station='Aotizhongxin' AND time >= '2017-01-27T00:00:00Z' AND time < '2017-01-29T00:00:00Z'`)
		t.Logf("%s", body)
		body, _ = influx.InfluxQL(`SELECT count(pm25) FROM air WHERE station='Aotizhongxin' AND time >= '2017-01-27T16:00:00Z' AND time < '2017-01-28T16:00:00Z'`)
		t.Logf("%s", body)
	})
	testenv.Eventually(t, 40*time.Second, func() error {
		bad = diffDays(wantStations, streamedDays(t, influx, "station", "station"))
		if len(bad) > 0 {
			return fmt.Errorf("%d station-days differ, e.g. %s", len(bad), bad[0])
		}
		return nil
	})
	t.Logf("all %d station-days equal the offline report (%s after the replay began)", len(wantStations), time.Since(began).Round(time.Millisecond))
	testenv.Eventually(t, 30*time.Second, func() error {
		if bad := diffDays(wantCounty, streamedDays(t, influx, "county", "county")); len(bad) > 0 {
			return fmt.Errorf("%d county-days differ, e.g. %s", len(bad), bad[0])
		}
		return nil
	})
	// The county's good-day ratio over valid days equals the offline period report's area row
	// of 2017 (the year to date of the replay's last day), incomplete days counted apart.
	var csvIn, period bytes.Buffer
	if err := assess.WriteCSV(&csvIn, rows, loc); err != nil {
		t.Fatal(err)
	}
	if err := assess.Run(assess.Options{Report: assess.ReportPeriod, Period: assess.PeriodYear, Areas: areas}, &csvIn, &period); err != nil {
		t.Fatal(err)
	}
	precs, err := csv.NewReader(&period).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range precs[0] {
		col[h] = i
	}
	var wantYTD string
	for _, r := range precs[1:] {
		if r[col["kind"]] == "area" && r[col["entity"]] == "beijing" && r[col["period"]] == "2017" {
			wantYTD = fmt.Sprintf("valid %s good %s ratio %s incomplete %s", r[col["valid_days"]], r[col["good_days"]],
				strings.TrimSuffix(r[col["good_pct"]], ".0"), r[col["incomplete_days"]])
		}
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		rs := influxRows(t, influx, `SELECT "valid_days","good_days","good_ratio_ytd","incomplete_days" FROM "county_progress" WHERE "county"='beijing' AND "deducted"='false' AND time = '2017-01-30T16:00:00Z'`)
		if len(rs) != 1 {
			return fmt.Errorf("no progress as of 2017-01-31: %v", rs)
		}
		got := fmt.Sprintf("valid %v good %v ratio %v incomplete %v", rs[0]["valid_days"], rs[0]["good_days"], rs[0]["good_ratio_ytd"], rs[0]["incomplete_days"])
		if got != wantYTD {
			return fmt.Errorf("county progress %s, offline %s", got, wantYTD)
		}
		return nil
	})
	t.Logf("county year to date as of 2017-01-31: %s", wantYTD)
	if n := influx.Count(t, "aqi_hourly", "published", `"scope"='station'`); n != st.Published {
		t.Errorf("%d station hourly AQI points, want one per published reading (%d)", n, st.Published)
	}
	metrics := scrape(t, run.svc.HTTPAddr)
	for _, want := range []string{
		fmt.Sprintf(`lantian_assess_readings_total{outcome="assessed"} %d`, st.Published),
		`lantian_county_pm25_target{county="beijing",deducted="false"} 56`,
		`lantian_county_good_ratio_target{county="beijing",deducted="false"} 80`,
		`lantian_aqi_station{county="beijing",station="Dongsi"}`,
		`lantian_aqi_county{county="beijing"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
