package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lantian/alert/source"
	"lantian/ingest/registry"
	"lantian/internal/devenv/localinflux"
	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

func TestSourcesCoverageFromStoredReadings(t *testing.T) {
	influx := testenv.StartInflux(t)
	cfg := config.Default()
	cfg.Influx.URL, cfg.Influx.Bucket = influx.URL, influx.Bucket
	cfg.Sources = []registry.Source{
		{ID: "fresh", Area: "changji", Industry: "power", Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 120}}},
		{ID: "stale", Area: "fukang", Industry: "chemicals", Outlets: []registry.Outlet{{ID: "DA001", Plant: registry.Plant{KeyVOCs: true}}}},
		{ID: "never", Area: "changji", Industry: "power", Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 46}}},
		{ID: "small", Area: "qitai", Industry: "food", Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 45}}},
	}
	cfg.SourceMonitoring.Rules = source.DefaultConfig()
	cfg.SourceMonitoring.Coverage = source.DefaultCoverageConfig()
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	lines := fmt.Sprintf("emission,source=fresh,outlet=DA001,county=changji,period=rt nox=30 %d\nemission,source=stale,outlet=DA001,county=fukang,period=rt nmhc=3 %d",
		now.Add(-time.Hour).UnixNano(), now.Add(-10*time.Hour).UnixNano())
	resp, err := http.Post(influx.URL+"/write?db="+localinflux.Database, "text/plain", strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var out bytes.Buffer
	if err := sourcesCoverage(context.Background(), cfg, cfg.SourceMonitoring.Coverage, now, false, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	// Fields: source outlet county mandated (2 words) reasons logger (2) last-data status boiler.
	rows := map[string]string{}
	for _, line := range strings.Split(got, "\n") {
		f := strings.Fields(line)
		if len(f) == 11 {
			rows[f[0]] = strings.Join([]string{f[3], f[5], f[9]}, " ")
		}
	}
	want := map[string]string{
		"fresh": "是 stack_height ok", "stale": "是 key_vocs stale", "never": "是 stack_height no_data",
		"small": "否 - not_required", // 45 m is not above 45 m
	}
	for src, w := range want {
		if rows[src] != w {
			t.Errorf("%s: %q, want %q\n%s", src, rows[src], w, got)
		}
	}
	if !strings.Contains(got, "2 mandated outlet(s) without data in the last 6h0m0s") {
		t.Errorf("summary:\n%s", got)
	}
}

func TestConfigCheckShowsSourceRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lantian.yaml")
	yaml := `sources:
  - {id: rl-heat, name: 热电厂, area: changji, industry: boiler,
     outlets: [{id: DA001, stack_height_m: 80, stack_diameter_m: 3, boiler_t_h: 130, fuel: coal}]}
  - {id: qt-heat, name: 供热站, area: qitai, industry: boiler,
     outlets: [{id: DA001, boiler_mw: 14, fuel: gas}]}
source_monitoring:
  presets: {rl-heat/DA001: gb13271-2014-coal-special}
  expected_intervals: {qt-heat/DA001: 30s}
  outlet_expected_samples: {rl-heat/DA001: {1m: 12}}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := realMain(t.Context(), []string{"config", "check", "--config", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"rl-heat/DA001 expected rt=received(no interval) 1m=12(outlet) 1h=1(record) preset gb13271-2014-coal-special mandated(stack_height) boiler-rule coal_65th_ultra_low WARNING limits laxer than ultra-low",
		"flow-check(d=3m)",
		"qt-heat/DA001 expected rt=120(interval) 1m=60(period) 1h=1(record)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %q:\n%s", want, out)
		}
	}
	// qitai is outside the key area: no boiler rule for its gas boiler.
	if strings.Contains(out, "qt-heat/DA001 expected rt=120(interval) 1m=60(period) 1h=1(record) boiler-rule") {
		t.Errorf("boiler rule outside the key area:\n%s", out)
	}
}
