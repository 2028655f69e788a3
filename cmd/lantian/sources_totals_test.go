package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"lantian/alert/source"
	"lantian/ingest/registry"
	"lantian/internal/devenv/localinflux"
	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

func TestSourcesTotalsSubstituteAndQuota(t *testing.T) {
	influx := testenv.StartInflux(t)
	cfg := config.Default()
	cfg.Influx.URL, cfg.Influx.Bucket = influx.URL, influx.Bucket
	cfg.Sources = []registry.Source{{ID: "px-power", Name: "电厂", Area: "changji", Industry: "power",
		Outlets: []registry.Outlet{{ID: "DA001", Limits: map[string]float64{"nox": 150}}}}}
	cfg.SourceMonitoring.Rules = source.DefaultConfig()
	cfg.SourceMonitoring.Coverage = source.DefaultCoverageConfig()
	cfg.SourceMonitoring.CountyQuotas = map[string]map[string]source.Quota{"changji": {"nox": {DayKg: 200, MonthKg: 6000}}}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 1, 10, 0, 0, 0, 0, cfg.Location())
	var lines []string
	for h := range 24 {
		if h >= 10 && h < 13 {
			continue // three hours lost: substituted by the mean of 09:00 and 13:00
		}
		// NOx 100 mg/m³ × 100 000 m³/h = 10 kg/h.
		lines = append(lines, fmt.Sprintf(`emission,source=px-power,outlet=DA001,county=changji,period=1h nox=100,flow=100000 %d`,
			day.Add(time.Duration(h)*time.Hour).UnixNano()))
	}
	resp, err := http.Post(influx.URL+"/write?db="+localinflux.Database, "text/plain", strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var out bytes.Buffer
	if err := sourcesTotals(context.Background(), cfg, "2026-01-10", "2026-01-10", &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		totalsHeader,
		{"day", "2026-01-10T00:00:00+08:00", "changji", "nox", "210.000", "21", "240.000", "3", "0", "0", "200.000", "120.0"},
		{"month", "2026-01-01T00:00:00+08:00", "changji", "nox", "210.000", "21", "240.000", "3", "0", "0", "6000.000", "4.0"},
	}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Fatalf("totals\n got %q\nwant %q", recs, want)
	}
}
