package source

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

func reportFixture() ReportInput {
	srcs := []registry.Source{
		{ID: "voc", Name: "化工", Area: "changji-hitech", Industry: "chemicals",
			Outlets: []registry.Outlet{{ID: "voc-1", Name: "排气筒", Limits: map[string]float64{NMHC: 60}}}},
		{ID: "power", Name: "热电", Area: "changji", Industry: "power", Outlets: []registry.Outlet{
			{ID: "unit-2", ReferenceO2Pct: 6}, {ID: "unit-1", Name: "1号", ReferenceO2Pct: 6}}},
	}
	var hs []Hour
	for i := range 24 {
		w := float64(i % 3)
		h := hour("power", "unit-1", i, map[string]float64{
			Dust + SuffixDevice: 3 + w, SO2 + SuffixDevice: 20 + w, NOx + SuffixDevice: 40 + w,
			Dust: 2 + w, SO2: 15 + w, NOx: 30 + w, FieldO2: 9 + 0.1*w, FieldFlow: 500000 + 100*w, FieldTemp: 50 + w,
			Dust + SuffixRate: 1.5, SO2 + SuffixRate: 10, NOx + SuffixRate: 20,
		})
		h.ReferenceO2Pct = 6
		switch {
		case i >= 5 && i < 8:
			h.Fields[NOx+SuffixDevice] = FieldStat{Mean: 60 + float64(i), Min: 60, Max: 70, Valid: 1, Total: 1, Status: StatusValid}
		case i == 8:
			h = flagged(h, reading.FlagMaintenance, NOx, NOx+SuffixDevice, NOx+SuffixRate)
		}
		hs = append(hs, h)
		hs = append(hs, hour("voc", "voc-1", i, map[string]float64{NMHC: 30 + w, FieldFlow: 20000 + w, NMHC + SuffixRate: 0.6}))
	}
	hs = append(hs, hour("power", "unit-1", 24, map[string]float64{NOx + SuffixDevice: 99})) // after To: ignored
	cfg := testConfig()
	lim, err := ResolveLimits(srcs, map[OutletKey]string{{"power", "unit-1"}: "ultra-low-coal-power", {"power", "unit-2"}: "ultra-low-coal-power"})
	if err != nil {
		panic(err)
	}
	return ReportInput{
		Sources: srcs, From: day0(), To: at(24), Hours: hs, Limits: lim, Config: cfg,
		Stops: []StopPeriod{{Source: "voc", From: at(0), To: at(24), Reference: "test"}},
	}
}

func TestReport(t *testing.T) {
	var buf bytes.Buffer
	if err := Report(&buf, reportFixture()); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"source,source_name,county,industry,outlet,outlet_name,from,to,hours,hours_with_data," +
			"dust_limit,dust_events,dust_exceed_hours,dust_flagged_hours,dust_kg,dust_kg_hours," +
			"so2_limit,so2_events,so2_exceed_hours,so2_flagged_hours,so2_kg,so2_kg_hours," +
			"nox_limit,nox_events,nox_exceed_hours,nox_flagged_hours,nox_kg,nox_kg_hours," +
			"nmhc_limit,nmhc_events,nmhc_exceed_hours,nmhc_flagged_hours,nmhc_kg,nmhc_kg_hours," +
			"qc_days,qc_findings,qc_score_mean,qc_rules,stagger_hours",
		"power,热电,changji,power,unit-1,1号,2026-01-10T00:00:00+08:00,2026-01-11T00:00:00+08:00,24,24," +
			"10,0,0,0,36.000,24," +
			"35,0,0,0,240.000,24," +
			"50,1,3,1,460.000,23," +
			",,,,0.000,0," +
			"1,0,100.0,,0",
		"power,热电,changji,power,unit-2,,2026-01-10T00:00:00+08:00,2026-01-11T00:00:00+08:00,24,0," +
			"10,0,0,0,0.000,0," +
			"35,0,0,0,0.000,0," +
			"50,0,0,0,0.000,0," +
			",,,,0.000,0," +
			"1,4,60.0,missing_hours:3;silent:1,0",
		"power,热电,changji,power,*,,2026-01-10T00:00:00+08:00,2026-01-11T00:00:00+08:00,48,24," +
			",0,0,0,36.000,24," +
			",0,0,0,240.000,24," +
			",1,3,1,460.000,23," +
			",,,,0.000,0," +
			"2,4,80.0,missing_hours:3;silent:1,0",
		"voc,化工,changji-hitech,chemicals,voc-1,排气筒,2026-01-10T00:00:00+08:00,2026-01-11T00:00:00+08:00,24,24," +
			",,,,0.000,0," +
			",,,,0.000,0," +
			",,,,0.000,0," +
			"60,0,0,0,14.400,24," +
			"1,0,100.0,,24",
		"voc,化工,changji-hitech,chemicals,*,,2026-01-10T00:00:00+08:00,2026-01-11T00:00:00+08:00,24,24," +
			",,,,0.000,0," +
			",,,,0.000,0," +
			",,,,0.000,0," +
			",0,0,0,14.400,24," +
			"1,0,100.0,,24",
	}, "\n") + "\n"
	if got := buf.String(); got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
	recs, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if len(r) != len(ReportHeader()) {
			t.Fatalf("record %d has %d fields, header %d", i, len(r), len(ReportHeader()))
		}
	}
}

func TestReportRefusesBadInput(t *testing.T) {
	in := reportFixture()
	in.From = at(1)
	if err := Report(&bytes.Buffer{}, in); err == nil || !strings.Contains(err.Error(), "midnight") {
		t.Fatalf("non-midnight start: %v", err)
	}
	in = reportFixture()
	in.To = in.From
	if err := Report(&bytes.Buffer{}, in); err == nil {
		t.Fatal("empty range accepted")
	}
	in = reportFixture()
	in.Stops = []StopPeriod{{From: at(0), To: at(1)}}
	if err := Report(&bytes.Buffer{}, in); err == nil {
		t.Fatal("stop period without source accepted")
	}
	in = reportFixture()
	in.Config = Config{}
	if err := Report(&bytes.Buffer{}, in); err == nil {
		t.Fatal("zero config accepted")
	}
}
