package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"lantian/alert/source"
	"lantian/ingest/registry"
	"lantian/internal/devenv/localinflux"
	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

func TestSourcesReportFromStoredReadings(t *testing.T) {
	influx := testenv.StartInflux(t)
	cfg := config.Default()
	cfg.Influx.URL = influx.URL
	cfg.Influx.Bucket = influx.Bucket
	cfg.Sources = []registry.Source{{ID: "px-power", Name: "电厂", Area: "changji", Industry: "power",
		Outlets: []registry.Outlet{{ID: "DA001", ReferenceO2Pct: 6, Limits: map[string]float64{"nox": 50}}}}}
	// Set here rather than relying on where config.Default wires the section's defaults.
	cfg.SourceMonitoring.Rules = source.DefaultConfig()
	cfg.SourceMonitoring.Presets = map[string]string{"px-power/DA001": "ultra-low-coal-power"}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	loc := cfg.Location()
	day := time.Date(2026, 1, 10, 0, 0, 0, 0, loc)
	var lines []string
	for h := range 24 {
		nox := 30.0
		if h >= 8 && h < 11 {
			nox = 80 // three exceeding hours: one event
		}
		ts := day.Add(time.Duration(h) * time.Hour)
		lines = append(lines, fmt.Sprintf(`emission,source=px-power,outlet=DA001,county=changji,period=1h dust=3,so2=20,nox=%g,nox_zs=%g,o2=6,flow=500000 %d`,
			nox, nox, ts.UnixNano()))
		// A daily record and a flagged real-time value in the same hours must not count twice.
		lines = append(lines, fmt.Sprintf(`emission,source=px-power,outlet=DA001,county=changji,period=rt nox=999,nox_flag="C",o2=6 %d`, ts.Add(time.Minute).UnixNano()))
	}
	lines = append(lines, fmt.Sprintf(`emission,source=px-power,outlet=DA001,county=changji,period=1d nox=500 %d`, day.UnixNano()))
	resp, err := http.Post(influx.URL+"/write?db="+localinflux.Database, "text/plain", strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %s", resp.Status)
	}

	var out bytes.Buffer
	if err := sourcesReport(context.Background(), cfg, "2026-01-10", "2026-01-10", &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || !slices.Equal(recs[0], source.ReportHeader()) {
		t.Fatalf("report:\n%v", recs)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	want := map[string]string{"source": "px-power", "outlet": "DA001", "hours": "24", "hours_with_data": "24",
		"nox_limit": "50", "nox_events": "1", "nox_exceed_hours": "3", "nox_flagged_hours": "0", "dust_limit": "10",
		"nox_kg_hours": "24", "from": "2026-01-10T00:00:00+08:00", "to": "2026-01-11T00:00:00+08:00"}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %q, want %q (row %v)", k, row[k], v, row)
		}
	}
	// nox kg: 21 h × 30 + 3 h × 80 mg/m³ × 500000 m³/h × 1e-6
	if row["nox_kg"] != "435.000" {
		t.Errorf("nox_kg %s, want 435.000", row["nox_kg"])
	}
}

func TestSourcesCmdArguments(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{nil, {"list"}, {"report"}, {"report", "--from", "2026-01-01"}, {"report", "--to"}} {
		var stderr bytes.Buffer
		if err := sourcesCmd(ctx, args, &bytes.Buffer{}, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	cfg := config.Default()
	cfg.SourceMonitoring.Rules = source.DefaultConfig()
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"2026-1-01", "2026-01-02"}, {"2026-01-02", "2026-01-01"}, {"2026-01-01", "x"}} {
		if err := sourcesReport(ctx, cfg, c[0], c[1], &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
	got, rest, err := takeFlags([]string{"--from=2026-01-01", "-to", "2026-01-31", "--config", "x.yaml"}, "from", "to")
	if err != nil || got["from"] != "2026-01-01" || got["to"] != "2026-01-31" || !slices.Equal(rest, []string{"--config", "x.yaml"}) {
		t.Errorf("takeFlags: %v %v %v", got, rest, err)
	}
}
