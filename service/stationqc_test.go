package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"lantian/ingest/registry"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
)

// TestSprinkledInletIsFlagged runs `lantian run` on real Mosquitto, InfluxDB and Alertmanager:
// a station whose PM drops 60 % in an hour while its three neighbours hold is flagged (finding in
// InfluxDB, StationInterference alert); the neighbours and the station's other hours are not.
func TestSprinkledInletIsFlagged(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-stationqc")
	cfg.Alertmanager.URLs = []string{am.URL}
	cfg.Stations = []registry.Station{
		{ID: "cj-01", Name: "昌吉市监测站", Area: "changji", Class: registry.National, Lat: 44.010, Lon: 87.300},
		{ID: "cj-02", Name: "昌吉州环境监测站", Area: "changji", Class: registry.National, Lat: 43.990, Lon: 87.300},
		{ID: "cj-m1", Name: "电厂东微站", Area: "changji", Class: registry.Micro, Lat: 44.000, Lon: 87.300},
		{ID: "cj-m2", Name: "北京路微站", Area: "changji", Class: registry.Micro, Lat: 44.000, Lon: 87.315},
	}
	cfg.StationQuality.CheckEvery = 200 * time.Millisecond
	cfg.StationQuality.Settle = time.Second
	cfg.Hotspot.Disabled = true
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)
	pub := newPublisher(t, mosq.URL, "pub-stationqc")
	first := time.Now().Truncate(time.Hour).Add(-6 * time.Hour)
	// Hours 0–2 everyone about 100 µg/m³ PM10 / 70 PM2.5; in hour 3 cj-01 reads 40 / 28 (−60 %)
	// while the neighbours stay within a few per cent.
	for i := range 4 {
		h := first.Add(time.Duration(i) * time.Hour)
		for st, pm := range map[string][2]int{"cj-01": {100, 70}, "cj-02": {104, 72}, "cj-m1": {98, 69}, "cj-m2": {101, 71}} {
			if st == "cj-01" && i == 3 {
				pm = [2]int{40, 28}
			}
			if st != "cj-01" && i == 3 {
				pm = [2]int{pm[0] + 3, pm[1] + 2}
			}
			pub.publish("lantian/air/"+st, fmt.Appendf(nil, `{"time":%d,"period":"1h","pm10":%d,"pm25":%d,"so2":10,"no2":30,"co":0.8,"o3":40}`, h.Unix(), pm[0], pm[1]))
		}
	}
	sprinkled := first.Add(3 * time.Hour)
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := influx.Count(t, "station_quality", "value", `"rule"='sudden_drop'`); n != 2 {
			return fmt.Errorf("findings: %d", n)
		}
		if !findAlert(t, am, map[string]string{"alertname": "StationInterference", "station": "cj-01", "rule": "sudden_drop", "pollutant": "pm10"}) {
			return fmt.Errorf("no interference alert yet")
		}
		return nil
	})
	if n := influx.Count(t, "station_quality", "value", fmt.Sprintf(`"station"='cj-01' AND time = %d`, sprinkled.UnixNano())); n != 2 {
		t.Errorf("cj-01 findings in the sprinkled hour: %d, want pm10 and pm25", n)
	}
	if m := scrape(t, run.svc.HTTPAddr); !strings.Contains(m, `lantian_station_quality_findings_total{county="changji",pollutant="pm10",rule="sudden_drop",station="cj-01"} 1`) {
		t.Error("findings counter missing")
	}
	alerts, err := am.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Labels["alertname"] == "StationInterference" {
			s := a.Annotations["summary"]
			if a.Labels["station"] != "cj-01" || !strings.Contains(s, "下降 60%") || !strings.Contains(s, sprinkled.In(cfg.Location()).Format(time.RFC3339)) {
				t.Errorf("alert %v %q", a.Labels, s)
			}
		}
	}
}
