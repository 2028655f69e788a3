package config

import (
	"strings"
	"testing"
)

// TestAssessmentSection: the assessment and sand_dust sections decode, are checked against the
// registry, and config check names an area with targets but no assessment station.
func TestAssessmentSection(t *testing.T) {
	cfg := Default()
	err := Decode([]byte(`
data_dir: /tmp/x
stations:
  - {id: cj-01, name: a, area: changji, class: national}
  - {id: cj-m01, name: b, area: changji, class: micro}
  - {id: fk-m01, name: c, area: fukang, class: micro}
  - {id: fk-02, name: d, area: fukang, class: provincial, assess: false}
assessment:
  base:
    changji: {year: 2015, pm25_monthly: [120, 100, 60, 40, 40, 40, 40, 40, 40, 50, 90, 110], no2: 30, o3_p90: 140}
  heating_season: {start: "10-10", end: "04-10"}
sand_dust:
  periods:
    - {areas: [changji], from: 2026-04-01T08:00:00+08:00, to: 2026-04-01T20:00:00+08:00, note: 通报}
`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	if b := cfg.Assessment.Bases()["changji"]; b.PM25[0] != 120 || *b.NO2 != 30 || cfg.Assessment.HeatingSeason.Start != "10-10" ||
		len(cfg.SandDust.Periods) != 1 {
		t.Errorf("decoded %+v %+v", cfg.Assessment, cfg.SandDust)
	}
	out := FormatAssessment(cfg.AssessmentByArea())
	for _, want := range []string{"changji          1 assessment, 1 other, targets  昌吉市",
		"fukang           0 assessment, 2 other, targets (no assessment.base: no trajectory)",
		"warning: fukang (阜康市) has targets but no assessment station"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %q:\n%s", want, out)
		}
	}

	for _, bad := range []struct{ yaml, want string }{
		{"assessment: {base: {changji: {pm25_monthly: [1, 2]}}}", "12"},
		{"assessment: {base: {nowhere: {no2: 30}}}", "nowhere"},
		{"assessment: {heating_season: {start: \"13-01\", end: \"04-15\"}}", "heating_season"},
		{"sand_dust: {periods: [{from: 2026-04-02T00:00:00+08:00, to: 2026-04-01T00:00:00+08:00}]}", "sand_dust.periods[0]"},
	} {
		c := Default()
		c.DataDir = "/tmp/x"
		if err := Decode([]byte(bad.yaml), &c); err != nil {
			t.Fatal(err)
		}
		if err := c.Resolve(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error naming %q", bad.yaml, err, bad.want)
		}
	}
}
