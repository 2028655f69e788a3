package assess

import (
	"fmt"
	"testing"
	"time"

	"lantian/alert/aqi"
)

// TestTrajectory: the on-track PM2.5 is the base year's same-period mean scaled to the target.
func TestTrajectory(t *testing.T) {
	// A winter-heavy base year: January 150, February 120, March 80, 40 from April to October,
	// November 80, December 130. Annual (day-weighted, 2026): (150·31 + 120·28 + 80·31 +
	// 40·214 + 80·30 + 130·31)/365 = 25,480/365 = 69.808….
	p := Profile{150, 120, 80, 40, 40, 40, 40, 40, 40, 40, 80, 130}
	for _, tc := range []struct {
		asOf   aqi.Date
		target float64
		want   float64
	}{
		// 31 January: 150 × 36/69.808 = 77.35… → 77.4: a YTD of 62 in January is on track.
		{aqi.Date{Year: 2026, Month: time.January, Day: 31}, 36, 77.4},
		// 28 February: (150·31 + 120·28)/59 = 135.76…; × 36/69.808 = 70.01… → 70.0.
		{aqi.Date{Year: 2026, Month: time.February, Day: 28}, 36, 70},
		// 10 March: (4650 + 3360 + 800)/69 = 127.68…; × 36/69.808 = 65.84… → 65.8.
		{aqi.Date{Year: 2026, Month: time.March, Day: 10}, 36, 65.8},
		// 31 December: the whole base year, so the target itself.
		{aqi.Date{Year: 2026, Month: time.December, Day: 31}, 36, 36},
		// 30 June: (4650 + 3360 + 2480 + 40·91)/181 = 78.06…; × 54/69.808 = 60.38… → 60.4.
		{aqi.Date{Year: 2026, Month: time.June, Day: 30}, 54, 60.4},
	} {
		got, ok := Trajectory(p, tc.asOf, tc.target)
		if !ok || got != tc.want {
			t.Errorf("%s target %g: %g (%v), want %g", tc.asOf, tc.target, got, ok, tc.want)
		}
	}
	// A flat profile gives the target every day.
	flat := Profile{50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50}
	if got, _ := Trajectory(flat, aqi.Date{Year: 2026, Month: time.February, Day: 3}, 39.1); got != 39.1 {
		t.Errorf("flat profile: %g", got)
	}
	if _, ok := Trajectory(Profile{}, aqi.Date{Year: 2026, Month: 1, Day: 1}, 36); ok {
		t.Error("an unknown profile must give no trajectory")
	}
}

// TestGoodDayBudget: non-good days the rest of the year can afford.
func TestGoodDayBudget(t *testing.T) {
	for _, tc := range []struct {
		name        string
		asOf        aqi.Date
		valid, good int
		target      float64
		want        int
	}{
		// Nothing yet on 1 January (1 valid good day, 364 to come): 365 × 16.5 % = 60.2 → 60
		// non-good days allowed; check: 305/365 = 83.56 % ≥ 83.5, 304/365 = 83.29 % < 83.5.
		{"new year", aqi.Date{Year: 2026, Month: 1, Day: 1}, 1, 1, 83.5, 60},
		// 28 February, 59 valid days of which 40 good (19 used): 60 − 19 = 41.
		{"february", aqi.Date{Year: 2026, Month: 2, Day: 28}, 59, 40, 83.5, 41},
		// Incomplete days shrink the year: 57 valid days (2 incomplete) + 306 to come = 363;
		// 363 × 16.5 % = 59.9 → 59; 59 − 19 = 40.
		{"incomplete days", aqi.Date{Year: 2026, Month: 2, Day: 28}, 57, 38, 83.5, 40},
		// The budget is exhausted: 61 non-good days by 1 December with target 83.5.
		{"over", aqi.Date{Year: 2026, Month: 12, Day: 1}, 335, 274, 83.5, -1},
		// 木垒 keeps 99.2 %: 365 × 0.8 % = 2.92 → 2 non-good days a year.
		{"mori", aqi.Date{Year: 2026, Month: 6, Day: 30}, 181, 180, 99.2, 1},
		// Leap year: 366 × 20 % = 73.2 → 73.
		{"leap", aqi.Date{Year: 2028, Month: 1, Day: 1}, 1, 1, 80, 73},
	} {
		if got := GoodDayBudget(tc.asOf, tc.valid, tc.good, tc.target); got != tc.want {
			t.Errorf("%s: budget %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestPrefectureMean reproduces the plan's prefecture row (自治州7县市平均) from its county rows
// (昌州环发〔2019〕30号 targets table).
func TestPrefectureMean(t *testing.T) {
	for _, tc := range []struct {
		name   string
		county []float64
		want   float64
	}{
		{"2017 PM2.5", []float64{67, 63, 67, 59, 42, 35, 18}, 50.1},
		{"2017 good days", []float64{70.7, 75, 71, 76, 83.6, 85.5, 99.2}, 80.1},
		{"2020 PM2.5 target", []float64{36, 39, 54, 50, 42, 35, 18}, 39.1},
		// 木垒's 保持 is its 2017 ratio, 99.2.
		{"2020 good-day target", []float64{83.5, 80, 80, 80, 83.6, 85.5, 99.2}, 84.5},
	} {
		if got, ok := PrefectureMean(tc.county); !ok || got != tc.want {
			t.Errorf("%s: %g, want %g", tc.name, got, tc.want)
		}
	}
}

// TestHeatingSeasonSpans: the heating seasons crossing the new year, cut to the data.
func TestHeatingSeasonSpans(t *testing.T) {
	s := DefaultHeatingSeason()
	got := s.Spans(aqi.Date{Year: 2016, Month: time.November, Day: 1}, aqi.Date{Year: 2017, Month: time.November, Day: 30})
	want := "[{heating-2016 2016-11-01 2017-04-15} {heating-2017 2017-10-15 2017-11-30}]"
	if fmt.Sprint(got) != want {
		t.Errorf("spans %v, want %s", got, want)
	}
	// Data only in summer: no heating season.
	if got := s.Spans(aqi.Date{Year: 2017, Month: time.May, Day: 1}, aqi.Date{Year: 2017, Month: time.September, Day: 30}); len(got) != 0 {
		t.Errorf("summer: %v", got)
	}
	if from, to := s.Around(aqi.Date{Year: 2026, Month: time.February, Day: 3}); from.String() != "2025-10-15" || to.String() != "2026-04-15" {
		t.Errorf("around February: %s … %s", from, to)
	}
	if err := (Season{Start: "13-01", End: "04-15"}).Validate(); err == nil {
		t.Error("month 13 accepted")
	}
}
