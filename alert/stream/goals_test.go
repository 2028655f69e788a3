package stream_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"lantian/alert/assess"
	"lantian/alert/stream"
)

type dusty struct{ from, to time.Time }

func (d dusty) Dusty(county string, t time.Time) bool {
	return county == "changji" && !t.Before(d.from) && t.Before(d.to)
}

// TestStreamGoalsSeasonAndDust: a winter from 1 October 2025 to 31 January 2026. changji's
// stations read PM2.5 80 from the heating season's start (15 October) and 30 before it, with a
// sand-dust day on 10 January (PM10 600, PM2.5 150). The heating-season figure runs across the
// new year from 15 October; the year to date from 1 January; the deducted figures leave the
// dust day's particulate data out; the trajectory and budget follow the configured base year.
func TestStreamGoalsSeasonAndDust(t *testing.T) {
	dust := hourAt("2026-01-10", 0)
	prof := assess.Profile{120, 100, 60, 40, 40, 40, 40, 40, 40, 50, 90, 110}
	a, rec, _ := newAssessor(t, stream.Options{Dust: dusty{dust, dust.Add(24 * time.Hour)},
		Bases: map[string]assess.Base{"changji": {PM25: prof, NO2: ptr(25.0), O3P90: ptr(40.0)}}})
	start := hourAt("2025-10-01", 0)
	end := hourAt("2026-02-01", 0)
	season := hourAt("2025-10-15", 0)
	for ts := start; ts.Before(end); ts = ts.Add(time.Hour) {
		pm25, pm10 := 30.0, 50.0
		if !ts.Before(season) {
			pm25, pm10 = 80, 100
		}
		if !ts.Before(dust) && ts.Before(dust.Add(24*time.Hour)) {
			pm25, pm10 = 150, 600
		}
		for _, st := range []string{"cj-01", "cj-02"} {
			a.Stored(accepted(hourData{st, ts, [6]float64{pm25, pm10, 10, 20, 0.5, 50}}))
		}
		if ts.Hour() == 0 && ts.Day() == 1 {
			sync1(t, a)
		}
	}
	sync1(t, a)
	snap := a.Snapshot()
	p, d := snap.Progress["changji"], snap.Deducted["changji"]
	// Year to date, 31 January: 30 days at 80 and the dust day at 150: (30·80 + 150)/31 = 82.3.
	// Deducted: the dust day's PM removed, 80.
	if *p.PM25 != 82.3 || *d.PM25 != 80 || p.Stats.ValidDays != 31 || d.Stats.ValidDays != 31 {
		t.Errorf("YTD %v (valid %d), deducted %v (valid %d)", *p.PM25, p.Stats.ValidDays, *d.PM25, d.Stats.ValidDays)
	}
	// Trajectory on 31 January: target 36 × 120/annual; annual (day-weighted 2026) =
	// (120·31+100·28+60·31+40·30+40·31+40·30+40·31+40·31+40·30+50·31+90·30+110·31)/365 = 23,360/365
	// = 64.0; 36 × 120 / 64 = 67.5, so the YTD 82.3 is 14.8 off track.
	if p.Trajectory == nil || *p.Trajectory != 67.5 || *p.TrajectoryGap != 14.8 {
		t.Errorf("trajectory %v gap %v", *p.Trajectory, *p.TrajectoryGap)
	}
	// Budget: 31 valid days, 30 good? PM2.5 80 → 2012 IAQI 107 (not good); 0 good days.
	// 365 × 16.5 % = 60 allowed, 31 used: 29.
	if p.GoodBudget == nil || *p.GoodBudget != 29 {
		t.Errorf("budget %v", p.GoodBudget)
	}
	// Heating season to date as of 31 January: 15 October … 31 January, 109 days, PM2.5
	// (108·80 + 150)/109 = 80.6; deducted 80.
	stamp := strconv.FormatInt(hourAt("2026-01-31", 0).UnixNano(), 10)
	for ded, want := range map[string]string{"false": "pm25_ytd=80.6", "true": "pm25_ytd=80,"} {
		got := rec.matching("county_season", "county=changji,deducted="+ded+",season=heating-2025", stamp)
		if len(got) == 0 || !strings.Contains(got[len(got)-1], "days=109i") || !strings.Contains(got[len(got)-1], want) {
			t.Errorf("season (deducted %s): %q", ded, got)
		}
	}
	// The other goals as of 31 January: SO2 10 against 60, CO p95 0.5 against 4; NO2 20 and O3
	// (constant 50, so its daily max 8 h is 50) against the base year given (25 and 40).
	got := rec.matching("county_progress", "county=changji,deducted=false", stamp)
	if len(got) == 0 || !strings.Contains(got[len(got)-1], "so2_ytd=10,so2_limit=60,co_p95_ytd=0.5,co_limit=4,no2_ytd=20,no2_base=25,o3_p90_ytd=50,o3_base=40,so2_gap=-50,co_gap=-3.5,no2_gap=-5,o3_gap=10") {
		t.Errorf("other goals: %q", got)
	}
	// Outside the season, nothing: 14 October 2025.
	if got := rec.matching("county_season", strconv.FormatInt(hourAt("2025-10-14", 0).UnixNano(), 10)); len(got) != 0 {
		t.Errorf("season point before the season: %q", got)
	}
}

func ptr[T any](v T) *T { return &v }
