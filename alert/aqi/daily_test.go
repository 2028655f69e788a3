package aqi

import (
	"math/big"
	"testing"
	"time"
)

// constHours is a 24-hour day with the same value of every pollutant in every hour.
func constHours(vals [NumPollutants]Conc) []HourValues {
	h := make([]HourValues, 24)
	for i := range h {
		for p := range NumPollutants {
			h[i][p] = Val(vals[p])
		}
	}
	return h
}

func TestDailyValuesMinimumData(t *testing.T) {
	base := [NumPollutants]Conc{PM25: 50 * Unit, PM10: 80 * Unit, SO2: 10 * Unit, NO2: 30 * Unit, CO: Unit, O3: 100 * Unit}
	h := constHours(base)
	d := DailyValues(h)
	if !d.Complete(Rules2012) || d.O3Windows != 17 || d.Hours[PM25] != 24 {
		t.Fatalf("full day: %+v", d)
	}
	for p := range NumPollutants {
		if d.Values[p].C != base[p] {
			t.Errorf("%v = %s", p, d.Values[p].C)
		}
	}

	// 20 valid hours make a 24-h mean; 19 do not.
	h = constHours(base)
	for i := 0; i < 4; i++ {
		h[i][PM25].Valid = false
	}
	if d := DailyValues(h); !d.Values[PM25].Valid || d.Hours[PM25] != 20 {
		t.Errorf("20 hours: %+v", d.Values[PM25])
	}
	h[4][PM25].Valid = false
	if d := DailyValues(h); d.Values[PM25].Valid {
		t.Errorf("19 hours gave a 24-h mean")
	}

	// An 8-h window needs 6 of its 8 hours. Hours 0,1 missing: the window 0–7 has 6 (valid).
	h = constHours(base)
	h[0][O3].Valid, h[1][O3].Valid = false, false
	if d := DailyValues(h); d.O3Windows != 17 {
		t.Errorf("6 of 8: %d windows", d.O3Windows)
	}
	h[2][O3].Valid = false // window 0–7 has 5, window 1–8 has 6, window 2–9 has 7
	if d := DailyValues(h); d.O3Windows != 16 {
		t.Errorf("5 of 8: %d windows", d.O3Windows)
	}

	// Missing hours 17..23 leave the windows ending with hours 7..18 valid (≥ 6 of 8): 12, too few.
	h = constHours(base)
	for i := 17; i < 24; i++ {
		h[i][O3].Valid = false
	}
	d = DailyValues(h)
	if d.O3Windows != 12 || d.Values[O3].Valid {
		t.Errorf("12 windows at 100 µg/m³: windows %d valid %v", d.O3Windows, d.Values[O3].Valid)
	}
	// Exceedance exception: the same gaps with a maximum above 160 keep the day valid.
	for i := 8; i < 17; i++ {
		h[i][O3] = Val(170 * Unit)
	}
	d = DailyValues(h)
	if !d.Values[O3].Valid || d.Values[O3].C != 170*Unit {
		t.Errorf("exceedance exception: %+v (windows %d)", d.Values[O3], d.O3Windows)
	}
	// Exactly at the limit is not an exceedance.
	for i := 8; i < 17; i++ {
		h[i][O3] = Val(160 * Unit)
	}
	if d := DailyValues(h); d.Values[O3].Valid {
		t.Errorf("160 with 12 windows accepted")
	}
	// Missing hours 19..23 leave the windows ending 7..20: 14, enough; one more missing hour, 13.
	h = constHours(base)
	for i := 19; i < 24; i++ {
		h[i][O3].Valid = false
	}
	if d := DailyValues(h); d.O3Windows != 14 || !d.Values[O3].Valid {
		t.Errorf("14 windows: %d valid %v", d.O3Windows, d.Values[O3].Valid)
	}
	h[18][O3].Valid = false
	if d := DailyValues(h); d.O3Windows != 13 || d.Values[O3].Valid {
		t.Errorf("13 windows: %d valid %v", d.O3Windows, d.Values[O3].Valid)
	}

	// Daily max 1-h O3 (2012): 20-hour rule with the > 200 exception.
	h = constHours(base)
	for i := 0; i < 5; i++ {
		h[i][O3].Valid = false
	}
	if d := DailyValues(h); d.O3_1h.Valid {
		t.Errorf("19 hours of O3 gave a 1-h max")
	}
	h[12][O3] = Val(210 * Unit)
	if d := DailyValues(h); !d.O3_1h.Valid || d.O3_1h.C != 210*Unit {
		t.Errorf("1-h exceedance exception: %+v", d.O3_1h)
	}

	// Flagged values are excluded, not averaged: one invalid 1000 in an otherwise 10 day.
	h = constHours(base)
	h[3][SO2] = Sample{C: 1000 * Unit, Valid: false}
	if d := DailyValues(h); d.Values[SO2].C != 10*Unit {
		t.Errorf("invalid value entered the mean: %s", d.Values[SO2].C)
	}
}

func TestDailyValuesWindowsAndRounding(t *testing.T) {
	// The daily maximum uses only windows inside the day: a peak in hours 0–3 is seen by the
	// window 0–7 only, with the mean of 8 hours.
	var h []HourValues
	for i := 0; i < 24; i++ {
		var v HourValues
		o3 := Conc(40) * Unit
		if i < 4 {
			o3 = 200 * Unit
		}
		v[O3] = Val(o3)
		h = append(h, v)
	}
	if d := DailyValues(h); d.Values[O3].C != 120*Unit { // (4·200 + 4·40)/8
		t.Errorf("max 8h = %s, want 120", d.Values[O3].C)
	}
	// Means are rounded half to even exactly: 12 hours of CO 1.1 and 12 of 1.2 average 1.15 → 1.2;
	// PM2.5 74 and 75 average 74.5 → 74.
	h = make([]HourValues, 24)
	for i := range h {
		if i%2 == 0 {
			h[i][CO] = Val(1_100_000)
			h[i][PM25] = Val(74 * Unit)
		} else {
			h[i][CO] = Val(1_200_000)
			h[i][PM25] = Val(75 * Unit)
		}
	}
	d := DailyValues(h)
	if d.Values[CO].C.Format(1) != "1.2" || d.Values[PM25].C != 74*Unit { // 74.5 → 74
		t.Errorf("half-even: CO %s PM2.5 %s", d.Values[CO].C, d.Values[PM25].C)
	}
	// A 25-hour day (DST) has 18 windows; a short day fewer.
	if d := DailyValues(make([]HourValues, 25)); d.O3Windows != 0 {
		t.Errorf("empty day has %d windows", d.O3Windows)
	}
}

func TestAreaDayAndMoving(t *testing.T) {
	a := Day{}
	a.Values[PM25] = Val(40 * Unit)
	a.Values[CO] = Val(1_100_000)
	b := Day{}
	b.Values[PM25] = Val(45 * Unit)
	b.Values[CO] = Val(1_200_000)
	b.Values[SO2] = Val(9 * Unit)
	ar := AreaDay([]Day{a, b})
	if ar.Values[PM25].C != 42*Unit || ar.Values[CO].C.Format(1) != "1.2" || ar.Values[SO2].C != 9*Unit || ar.Values[NO2].Valid {
		t.Errorf("area day: %+v", ar)
	}
	last := make([]Sample, 24)
	for i := range last {
		last[i] = Val(400 * Unit)
	}
	last[0].Valid, last[1].Valid, last[2].Valid, last[3].Valid = false, false, false, false
	if m := Moving24(SO2, last); !m.Valid || m.C != 400*Unit {
		t.Errorf("moving 24 with 20 hours: %+v", m)
	}
	last[4].Valid = false
	if m := Moving24(SO2, last); m.Valid {
		t.Errorf("moving 24 with 19 hours valid")
	}
}

func TestPercentile(t *testing.T) {
	vals := []Conc{3 * Unit, 4 * Unit, 8 * Unit, 2 * Unit, 5 * Unit, 4 * Unit}
	if got := FormatRat(Percentile(vals, 90), 2); got != "6.50" { // worked check of the HJ 663-2013 formula
		t.Errorf("p90 = %s, want 6.50", got)
	}
	if got := FormatRat(Percentile(vals, 100), 0); got != "8" {
		t.Errorf("p100 = %s", got)
	}
	if got := FormatRat(Percentile(vals, 0), 0); got != "2" {
		t.Errorf("p0 = %s", got)
	}
	if got := FormatRat(Percentile(vals[:1], 95), 0); got != "3" {
		t.Errorf("n=1 = %s", got)
	}
	if Percentile(nil, 95) != nil || Mean(nil) != nil {
		t.Error("percentile of nothing")
	}
	// k whole: n = 11, p = 90 → k = 10 → X(10).
	var v []Conc
	for i := 1; i <= 11; i++ {
		v = append(v, Conc(i)*Unit)
	}
	if got := FormatRat(Percentile(v, 90), 3); got != "10.000" {
		t.Errorf("k whole: %s", got)
	}
	// 365 daily values 1..365: p95 → k = 1 + 364·0.95 = 346.8 → 346.8.
	v = v[:0]
	for i := 365; i >= 1; i-- {
		v = append(v, Conc(i)*Unit)
	}
	if got := FormatRat(Percentile(v, 95), 1); got != "346.8" {
		t.Errorf("p95 of 1..365 = %s", got)
	}
	if v[0] != 365*Unit {
		t.Error("Percentile sorted its input in place")
	}
}

// TestCompositeExample is a hand-computed composite index (环办监测〔2018〕19号):
// 0.200 + 0.950 + 1.357 + 1.429 + 0.600 + 0.875 = 5.41, primary PM2.5.
func TestCompositeExample(t *testing.T) {
	var s Stats
	s.Mean[SO2] = big.NewRat(12, 1)
	s.Mean[NO2] = big.NewRat(38, 1)
	s.Mean[PM10] = big.NewRat(95, 1)
	s.Mean[PM25] = big.NewRat(50, 1)
	s.Pct[CO] = big.NewRat(24, 10)
	s.Pct[O3] = big.NewRat(140, 1)
	ix, ok := Composite(s, DefaultLimits())
	if !ok || FormatRat(ix.Total, 2) != "5.41" || len(ix.Primary) != 1 || ix.Primary[0] != PM25 {
		t.Fatalf("composite %s primary %v ok %v", FormatRat(ix.Total, 4), ix.Primary, ok)
	}
	for p, want := range map[Pollutant]string{SO2: "0.200", NO2: "0.950", PM10: "1.357", PM25: "1.429", CO: "0.600", O3: "0.875"} {
		if got := FormatRat(ix.Single[p], 3); got != want {
			t.Errorf("I(%v) = %s, want %s", p, got, want)
		}
	}
	s.Pct[O3] = nil
	if _, ok := Composite(s, DefaultLimits()); ok {
		t.Error("composite without O3")
	}
}

func TestRankAndChange(t *testing.T) {
	r := func(s string) *big.Rat { x, _ := new(big.Rat).SetString(s); return x }
	got := Rank([]*big.Rat{r("3.971"), r("3.16"), r("3.966"), nil, r("4.5")}, 2)
	want := []int{2, 1, 2, 0, 4} // 3.97 and 3.97 share rank 2; rank 3 is skipped
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranks %v, want %v", got, want)
		}
	}
	if ch := ChangePercent(r("4.4"), r("4")); FormatRat(ch, 1) != "10.0" {
		t.Errorf("change = %s", FormatRat(ch, 1))
	}
	if ChangePercent(r("1"), r("0")) != nil || ChangePercent(nil, r("1")) != nil {
		t.Error("change without a base")
	}
}

// TestPlanPrefectureMeans reproduces the plan's prefecture figures (昌州环发〔2019〕30号 targets
// table) as the unweighted means of the seven counties, with 木垒's "保持" read as its 2017 value
// 99.2.
func TestPlanPrefectureMeans(t *testing.T) {
	counties := []struct {
		name                            string
		pm2017, good2017, pm2020, g2020 string
	}{
		{"昌吉市", "67", "70.7", "36", "83.5"},
		{"阜康市", "63", "75", "39", "80"},
		{"呼图壁县", "67", "71", "54", "80"},
		{"玛纳斯县", "59", "76", "50", "80"},
		{"吉木萨尔县", "42", "83.6", "42", "83.6"},
		{"奇台县", "35", "85.5", "35", "85.5"},
		{"木垒县", "18", "99.2", "18", "99.2"},
	}
	col := func(f func(i int) string, idx []int) []Conc {
		var out []Conc
		for _, i := range idx {
			out = append(out, c(t, f(i)))
		}
		return out
	}
	all := []int{0, 1, 2, 3, 4, 5, 6}
	for _, tt := range []struct {
		name string
		vals []Conc
		want string
	}{
		{"2017 PM2.5", col(func(i int) string { return counties[i].pm2017 }, all), "50.1"},
		{"2017 good-day %", col(func(i int) string { return counties[i].good2017 }, all), "80.1"},
		{"2020 PM2.5 target", col(func(i int) string { return counties[i].pm2020 }, all), "39.1"},
		{"2020 good-day % target", col(func(i int) string { return counties[i].g2020 }, all), "84.5"},
	} {
		if got := FormatRat(Mean(tt.vals), 1); got != tt.want {
			t.Errorf("%s: prefecture mean %s, want %s", tt.name, got, tt.want)
		}
	}
	key := []int{0, 1, 2, 3} // 乌-昌-石 counties
	if got := FormatRat(Mean(col(func(i int) string { return counties[i].pm2017 }, key)), 1); got != "64.0" {
		t.Errorf("key-area 2017 PM2.5 %s", got)
	}
	if got := FormatRat(Mean(col(func(i int) string { return counties[i].pm2020 }, key)), 2); got != "44.75" {
		t.Errorf("key-area 2020 target %s", got)
	}
}

// TestSyntheticYear: 365 constant days give statistics known by construction.
func TestSyntheticYear(t *testing.T) {
	base := [NumPollutants]Conc{PM25: 50 * Unit, PM10: 80 * Unit, SO2: 10 * Unit, NO2: 30 * Unit, CO: Unit, O3: 100 * Unit}
	dd := DailyValues(constHours(base))
	var recs []DayRecord
	for d := (Date{2017, time.January, 1}); d.Year == 2017; d = d.AddDays(1) {
		recs = append(recs, DayRecord{Date: d, Day: dd.Day, Result: Daily(Rules2012, dd.Day)})
	}
	if recs[0].Result.AQI != 69 || recs[0].Result.PrimaryString() != "PM2.5" {
		t.Fatalf("constant day AQI %d %s", recs[0].Result.AQI, recs[0].Result.PrimaryString())
	}
	s := Summarize(Date{2017, 1, 1}, Date{2017, 12, 31}, recs)
	if s.Days != 365 || s.ValidDays != 365 || s.GoodDays != 365 || s.HeavyDays != 0 || FormatRat(s.GoodRatio(), 1) != "100.0" {
		t.Errorf("counts %+v", s)
	}
	for p := range NumPollutants {
		if s.Mean[p].Cmp(base[p].Rat()) != 0 || s.Pct[p].Cmp(base[p].Rat()) != 0 || !s.Complete[p] || s.N[p] != 365 {
			t.Errorf("%v: mean %s pct %s complete %v", p, FormatRat(s.Mean[p], 3), FormatRat(s.Pct[p], 3), s.Complete[p])
		}
	}
	ix, _ := Composite(s, DefaultLimits())
	// 10/60 + 30/40 + 80/70 + 50/35 + 1/4 + 100/160 = 4.3631…
	if FormatRat(ix.Total, 2) != "4.36" {
		t.Errorf("composite %s", FormatRat(ix.Total, 4))
	}
	// Completeness: 25 days of February pass, 24 fail; 324 days in the year are needed.
	var cut []DayRecord
	for _, r := range recs {
		if r.Date.Month == time.February && r.Date.Day > 25 {
			continue
		}
		cut = append(cut, r)
	}
	if s := Summarize(Date{2017, 1, 1}, Date{2017, 12, 31}, cut); !s.Complete[PM25] {
		t.Error("25 February days judged incomplete")
	}
	cut = cut[:0]
	for _, r := range recs {
		if r.Date.Month == time.February && r.Date.Day > 24 {
			continue
		}
		cut = append(cut, r)
	}
	if s := Summarize(Date{2017, 1, 1}, Date{2017, 12, 31}, cut); s.Complete[PM25] {
		t.Error("24 February days judged complete")
	}
	// Each month may lose 4 (31 days) or 3 (30 days) days, 43 in all → 322 < 324.
	cut = cut[:0]
	for _, r := range recs {
		m := r.Date.Month
		limit := 27
		if m == time.February {
			limit = 25
		}
		if r.Date.Day <= limit {
			cut = append(cut, r)
		}
	}
	if s := Summarize(Date{2017, 1, 1}, Date{2017, 12, 31}, cut); s.N[PM25] != 322 || s.Complete[PM25] {
		t.Errorf("322 days: n %d complete %v", s.N[PM25], s.Complete[PM25])
	}
	// A partial month at the end of a span may miss as many days as a whole month.
	if s := Summarize(Date{2017, 1, 1}, Date{2017, 1, 10}, recs[:6]); !s.Complete[PM25] {
		t.Error("6 of 10 January days judged incomplete")
	}
	if s := Summarize(Date{2017, 1, 1}, Date{2017, 1, 10}, recs[:5]); s.Complete[PM25] {
		t.Error("5 of 10 January days judged complete")
	}
}
