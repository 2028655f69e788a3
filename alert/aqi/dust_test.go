package aqi

import (
	"testing"
)

// dayHours builds 24 hours: PM values from pm(i), the rest clean and constant.
func dayHours(pm func(i int) (pm25, pm10 Conc)) []HourValues {
	hs := make([]HourValues, 24)
	for i := range hs {
		p25, p10 := pm(i)
		hs[i][PM25], hs[i][PM10] = Val(p25), Val(p10)
		hs[i][SO2], hs[i][NO2], hs[i][CO], hs[i][O3] = Val(10*Unit), Val(30*Unit), Val(Unit), Val(60*Unit)
	}
	return hs
}

func marks(from, to int) []bool {
	d := make([]bool, 24)
	for i := from; i < to; i++ {
		d[i] = true
	}
	return d
}

// TestDustDay checks sand-dust deduction of one station-day (docs/assessment.md "Sand-dust
// deduction"): the particulate values of marked hours are dropped, the daily value re-formed by
// the 20-hour rule, and a value that only deduction made invalid is removed with the AQI of the
// rest published.
func TestDustDay(t *testing.T) {
	// A morning dust storm: hours 8–11 at PM10 800 / PM2.5 200, otherwise PM10 80 / PM2.5 30.
	storm := dayHours(func(i int) (Conc, Conc) {
		if i >= 8 && i < 12 {
			return 200 * Unit, 800 * Unit
		}
		return 30 * Unit, 80 * Unit
	})
	for _, tc := range []struct {
		name       string
		hours      []HourValues
		dust       []bool
		pm25, pm10 string // "" removed
		deducted   bool
		aqi        int
		valid      bool
	}{
		// Undeducted: PM10 (20·80 + 4·800)/24 = 200 → 2012 IAQI 100 + 50·50/100 = 125; PM2.5
		// (20·30 + 4·200)/24 = 58.3 → 58 → 50 + 50·23/40 = 78.75 → 79.
		{"no dust", storm, nil, "58", "200", false, 125, true},
		// The four storm hours marked: 20 clean hours remain, PM10 80 (IAQI 65), PM2.5 30 (43).
		{"storm hours marked", storm, marks(8, 12), "30", "80", false, 65, true},
		// Five hours marked: 19 remain, below the 20-hour rule, so both particulate values are
		// removed; the AQI is the others' (NO2 30 → 38, O3 8h 60 → 30 …) = 38, published
		// although the day lacks PM, and the day stays valid.
		{"too few clean hours", storm, marks(7, 12), "", "", true, 38, true},
		// A whole dust day: the same.
		{"whole day", storm, marks(0, 24), "", "", true, 38, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := DustDay(Rules2012, tc.hours, tc.dust)
			got := func(p Pollutant) string {
				if !rec.Day.Values[p].Valid {
					return ""
				}
				return rec.Day.Values[p].C.Format(0)
			}
			if got(PM25) != tc.pm25 || got(PM10) != tc.pm10 {
				t.Errorf("PM2.5 %q PM10 %q, want %q %q", got(PM25), got(PM10), tc.pm25, tc.pm10)
			}
			if rec.Deducted[PM25] != tc.deducted || rec.Deducted[PM10] != tc.deducted {
				t.Errorf("deducted %v, want %v", rec.Deducted, tc.deducted)
			}
			if !rec.Result.Published || rec.Result.AQI != tc.aqi {
				t.Errorf("AQI %d (published %v), want %d", rec.Result.AQI, rec.Result.Published, tc.aqi)
			}
			if ValidDay(rec) != tc.valid {
				t.Errorf("valid day %v, want %v", ValidDay(rec), tc.valid)
			}
		})
	}
	// A station that lacked PM2.5 anyway (analyser fault) is not "deducted": the day stays
	// incomplete, with or without dust.
	broken := dayHours(func(int) (Conc, Conc) { return 30 * Unit, 80 * Unit })
	for i := range broken {
		broken[i][PM25] = Sample{}
	}
	rec := DustDay(Rules2012, broken, marks(0, 24))
	if rec.Deducted[PM25] || ValidDay(rec) {
		t.Errorf("a missing PM2.5 turned into a deduction: %+v", rec.Deducted)
	}
	if !rec.Deducted[PM10] {
		t.Error("PM10 should be deducted")
	}
}

// TestDustAreaDay: a county's deducted day is the mean of the stations whose values survived.
func TestDustAreaDay(t *testing.T) {
	clean := dayHours(func(int) (Conc, Conc) { return 30 * Unit, 80 * Unit })
	dusty := dayHours(func(int) (Conc, Conc) { return 100 * Unit, 600 * Unit })
	a := DustDay(Rules2026, clean, nil)
	b := DustDay(Rules2026, dusty, marks(0, 24))
	area := DustAreaDay(Rules2026, []DayRecord{a, b})
	if v := area.Day.Values[PM10]; !v.Valid || v.C != 80*Unit || area.Deducted[PM10] {
		t.Errorf("area PM10 %+v deducted %v: want the clean station's 80", v, area.Deducted[PM10])
	}
	area = DustAreaDay(Rules2026, []DayRecord{b, b})
	if area.Day.Values[PM10].Valid || !area.Deducted[PM10] || !area.Result.Published || !ValidDay(area) {
		t.Errorf("all stations deducted: %+v", area)
	}
}

// TestValidDays: the good-day ratio is good days ÷ valid days; an incomplete day is counted
// apart, whatever partial AQI it published.
func TestValidDays(t *testing.T) {
	full := "pm25=30 pm10=50 so2=10 no2=20 co=1 o3_8h=60"
	rec := func(day int, spec string) DayRecord {
		d := dayOf(t, spec)
		return DayRecord{Date: Date{2026, 4, day}, Day: d, Result: Daily(Rules2026, d)}
	}
	recs := []DayRecord{
		rec(1, full), // good
		rec(2, full), // good
		rec(3, "pm25=160 pm10=50 so2=10 no2=20 co=1 o3_8h=60"), // valid, 210: heavy
		// Incomplete (no NO2): partial AQI 210 published under §5.3, but not a valid day.
		rec(4, "pm25=160 pm10=50 so2=10 co=1 o3_8h=60"),
		// Incomplete and clean: nothing published.
		rec(5, "pm25=20 pm10=50 so2=10 co=1 o3_8h=60"),
	}
	s := Summarize(Date{2026, 4, 1}, Date{2026, 4, 30}, recs)
	if s.Days != 5 || s.ValidDays != 3 || s.GoodDays != 2 || s.HeavyDays != 1 || s.IncompleteDays != 2 || s.IncompleteOver100 != 1 {
		t.Errorf("days %d valid %d good %d heavy %d incomplete %d (>100: %d); want 5 3 2 1 2 1",
			s.Days, s.ValidDays, s.GoodDays, s.HeavyDays, s.IncompleteDays, s.IncompleteOver100)
	}
	if got := FormatRat(s.GoodRatio(), 1); got != "66.7" {
		t.Errorf("good-day ratio %s, want 66.7 (2 of 3 valid days)", got)
	}
}

func dayOf(t *testing.T, spec string) Day { return day(t, spec) }
