package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"lantian/ingest/registry"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
)

// TestMicroStationNearSourceBecomesHotspot runs `lantian run` on real Mosquitto, InfluxDB and
// Alertmanager: a micro-station 0.33 km from a registered plant reads 3× its neighbours for six
// hours; from the fourth hour it is a hotspot, the alert names the plant (not the one 11 km
// away), the hourly judgements are in InfluxDB and the ranking puts it first in its county.
func TestMicroStationNearSourceBecomesHotspot(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-hotspot")
	cfg.Alertmanager.URLs = []string{am.URL}
	cfg.Stations = []registry.Station{
		{ID: "cj-01", Name: "昌吉市监测站", Area: "changji", Class: registry.National, Lat: 44.010, Lon: 87.300},
		{ID: "cj-02", Name: "昌吉州环境监测站", Area: "changji", Class: registry.National, Lat: 43.990, Lon: 87.300},
		{ID: "cj-m1", Name: "电厂东微站", Area: "changji", Class: registry.Micro, Lat: 44.000, Lon: 87.300},
		{ID: "cj-m2", Name: "北京路微站", Area: "changji", Class: registry.Micro, Lat: 44.000, Lon: 87.315},
		{ID: "fk-01", Name: "阜康市监测站", Area: "fukang", Class: registry.National, Lat: 44.160, Lon: 87.980},
	}
	cfg.Sources = []registry.Source{
		{ID: "px-power", Name: "示例电厂", Area: "changji", Industry: "power", Place: registry.Place{Lat: 44.003, Lon: 87.300},
			Outlets: []registry.Outlet{{ID: "DA001"}}},
		{ID: "far-cement", Name: "远处水泥厂", Area: "changji", Industry: "cement", Place: registry.Place{Lat: 44.100, Lon: 87.300},
			Outlets: []registry.Outlet{{ID: "DA001"}}},
	}
	cfg.Hotspot.CheckEvery = 200 * time.Millisecond
	cfg.Hotspot.Settle = time.Second
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)
	pub := newPublisher(t, mosq.URL, "pub-hotspot")
	first := time.Now().Truncate(time.Hour).Add(-7 * time.Hour)
	for i := range 6 {
		h := first.Add(time.Duration(i) * time.Hour)
		for st, pm25 := range map[string]int{"cj-01": 40, "cj-02": 42, "cj-m1": 120, "cj-m2": 38, "fk-01": 30} {
			pub.publish("lantian/air/"+st, fmt.Appendf(nil, `{"time":%d,"period":"1h","pm25":%d,"pm10":80,"so2":10,"no2":30,"co":0.8,"o3":40}`, h.Unix(), pm25))
		}
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := influx.Count(t, "grid_hotspot", "value", `"station"='cj-m1'`); n != 6 {
			return fmt.Errorf("cj-m1 judged hours: %d", n)
		}
		if !findAlert(t, am, map[string]string{"alertname": "GridHotspot", "station": "cj-m1", "county": "changji", "source": "px-power"}) {
			return fmt.Errorf("no hotspot alert yet")
		}
		return nil
	})
	if n := influx.Count(t, "grid_hotspot", "value", `"station"='cj-m1' AND "hotspot"=true`); n != 3 {
		t.Errorf("cj-m1 hotspot hours %d, want 3 (hours 4–6)", n)
	}
	if n := influx.Count(t, "grid_hotspot", "value", `"hot"=true AND "station"<>'cj-m1'`); n != 0 {
		t.Errorf("%d hot hours at other stations", n)
	}
	alerts, err := am.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Labels["alertname"] != "GridHotspot" {
			continue
		}
		s := a.Annotations["summary"]
		if a.Labels["station"] != "cj-m1" || !strings.Contains(s, "示例电厂") || strings.Contains(s, "远处水泥厂") ||
			!strings.Contains(s, first.In(cfg.Location()).Format(time.RFC3339)) || !strings.Contains(s, "3.0 倍") {
			t.Errorf("hotspot alert %v %q", a.Labels, s)
		}
	}
	metrics := scrape(t, run.svc.HTTPAddr)
	for _, want := range []string{`lantian_grid_hotspot{county="changji",station="cj-m1"} 1`, `lantian_grid_hotspot{county="changji",station="cj-01"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	resp, err := http.Get("http://" + run.svc.HTTPAddr + "/api/v1/hotspots")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ranking []struct {
		Station, Area string
		Hotspot       bool
		Sources       []struct{ Source string }
	}
	if err := json.Unmarshal(body, &ranking); err != nil {
		t.Fatalf("ranking: %v %s", err, body)
	}
	// The six hours may straddle local midnight: the day ranking is in "today" or split over
	// "last" and "today"; either way cj-m1 leads its county with the largest mean excess.
	hot := 0
	for _, day := range []string{"last", "today"} {
		resp, err := http.Get("http://" + run.svc.HTTPAddr + "/api/v1/hotspots/daily?day=" + day)
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Station          string
			HotHours         int
			ExcessNeighbours float64
		}
		err = json.NewDecoder(resp.Body).Decode(&rows)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			if rows[0].Station != "cj-m1" || rows[0].ExcessNeighbours != 80 {
				t.Errorf("%s day ranking %+v", day, rows)
			}
			hot += rows[0].HotHours
		}
	}
	if hot != 6 {
		t.Errorf("hot hours over the days: %d, want 6", hot)
	}
	if len(ranking) == 0 || ranking[0].Station != "cj-m1" || !ranking[0].Hotspot || len(ranking[0].Sources) != 1 || ranking[0].Sources[0].Source != "px-power" {
		t.Errorf("ranking %s", body)
	}
}
