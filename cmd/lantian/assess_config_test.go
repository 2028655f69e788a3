package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAssessConfigAssessmentStations: with --config the period report's county rows come
// from the registry's assessment stations only, and --period heating cuts the heating seasons
// of the config's assessment.heating_season.
func TestAssessConfigAssessmentStations(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lantian.yaml")
	if err := os.WriteFile(cfg, []byte(`data_dir: `+dir+`
stations:
  - {id: cj-01, name: 昌吉市监测站, area: changji, class: national}
  - {id: cj-m01, name: 昌吉市微站, area: changji, class: micro}
assessment:
  heating_season: {start: "11-01", end: "03-31"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	in.WriteString("station,time,pm25,pm10,so2,no2,co,o3\n")
	start := time.Date(2026, time.October, 30, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for h := range 4 * 24 {
		at := start.Add(time.Duration(h) * time.Hour).Format(time.RFC3339)
		fmt.Fprintf(&in, "cj-01,%s,35,50,10,20,0.5,60\ncj-m01,%s,300,400,10,20,0.5,60\n", at, at)
	}
	var out, errb bytes.Buffer
	if code := assessMain([]string{"--report", "period", "--period", "heating", "--config", cfg}, strings.NewReader(in.String()), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	found := false
	for _, r := range recs[1:] {
		if r[col["kind"]] == "area" {
			found = true
			if r[col["entity"]] != "changji" || r[col["period"]] != "heating-2026" || r[col["from"]] != "2026-11-01" ||
				r[col["to"]] != "2026-11-02" || r[col["pm25"]] != "35.0" || r[col["days"]] != "2" {
				t.Errorf("area row %v: want 昌吉市 from its national station alone over the heating season's two days", r)
			}
		}
	}
	if !found {
		t.Fatalf("no area row: %s", out.String())
	}
	if code := assessMain([]string{"--report", "period", "--config", cfg, "--areas", cfg}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("--config with --areas: exit %d", code)
	}
}
