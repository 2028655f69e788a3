package assess

import (
	"math"
	"math/big"
	"strconv"
	"time"

	"lantian/alert/aqi"
)

// The plan's goals (昌州环发〔2019〕30号) as figures: the on-track trajectory of a county's PM2.5,
// the good-day budget, and the prefecture row. docs/assessment.md ("Goals") gives the methods
// and their uncertain points.

// Base is what the plan's goals compare a county with beyond its targets table: the base
// year's monthly PM2.5 (for the trajectory) and its NO2 annual mean and O3 90th percentile of
// daily maximum 8-h means (the plan: "the rise of NO2 and O3 must be stopped"). The plan does not
// print them; they come from the configuration (docs/assessment.md "Goals").
type Base struct {
	PM25 Profile
	// NO2 (µg/m³, annual mean) and O3P90 (µg/m³) of the base year; nil unknown.
	NO2, O3P90 *float64
}

// Grade II limits the plan's "SO2 and CO better than Grade II" goal is judged by: the SO2
// annual mean against 60 µg/m³ (GB 3095-2012 Table 1, unchanged as the 2026 transitional limit)
// and CO, which has no annual limit, by the 95th percentile of its daily means (HJ 663's annual
// statistic of CO) against the 24-h limit 4 mg/m³ (GB 3095-2012 and -2026 Table 1).
const (
	SO2AnnualLimit = 60.0 // µg/m³
	CODailyLimit   = 4.0  // mg/m³
)

// Profile is a base year's monthly mean PM2.5 (µg/m³), January first: the seasonal shape a
// trajectory scales to the target. Zero months are unknown.
type Profile [12]float64

// Valid reports whether every month is known and positive.
func (p Profile) Valid() bool {
	for _, v := range p {
		if !(v > 0) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// samePeriod is the base year's mean from 1 January to the day-of-year of asOf, each month
// weighted by its days inside the span (the days of asOf's year, so a leap day counts where it
// falls); annual is the same over the whole year.
func (p Profile) samePeriod(asOf aqi.Date) (period, annual float64) {
	var sum, days, ysum, ydays float64
	for m := time.January; m <= time.December; m++ {
		n := float64(time.Date(asOf.Year, m+1, 0, 0, 0, 0, 0, time.UTC).Day())
		ysum += p[m-1] * n
		ydays += n
		switch {
		case m < asOf.Month:
			sum += p[m-1] * n
			days += n
		case m == asOf.Month:
			sum += p[m-1] * float64(asOf.Day)
			days += float64(asOf.Day)
		}
	}
	return sum / days, ysum / ydays
}

// Trajectory is the year-to-date PM2.5 mean that is on track for an annual target on asOf: the
// base year's same-period mean scaled by target ÷ the base year's annual mean. A county whose
// year-to-date mean is at or below it is on track even when, in a heating-season February, it is
// far above the annual target. Rounded half to even to one decimal; ok is false without a valid
// profile or a positive target.
func Trajectory(p Profile, asOf aqi.Date, target float64) (float64, bool) {
	if !p.Valid() || !(target > 0) || asOf.Month < time.January || asOf.Month > time.December {
		return 0, false
	}
	period, annual := p.samePeriod(asOf)
	return round1(target * period / annual), true
}

// GoodDayBudget is how many more non-good valid days (AQI > 100) the rest of asOf's year can
// afford with the good-day ratio still reaching targetPct on 31 December, assuming every
// remaining day is a valid day. Negative: the target can no longer be reached even if every
// remaining day is good. The ratio is compared exactly (not as printed); the target is taken to
// one decimal, as the plan states it.
func GoodDayBudget(asOf aqi.Date, validDays, goodDays int, targetPct float64) int {
	remaining := 0
	if asOf.Year > 0 {
		end := aqi.Date{Year: asOf.Year, Month: time.December, Day: 31}
		remaining = int(end.Start(time.UTC).Sub(asOf.Start(time.UTC)).Hours() / 24)
	}
	remaining = max(remaining, 0)
	total := int64(validDays + remaining)
	g10 := int64(math.Round(targetPct * 10))
	// non-good ≤ total × (1000 − g10) / 1000, floored.
	allowed := new(big.Int).Div(big.NewInt(total*(1000-g10)), big.NewInt(1000)).Int64()
	return int(allowed) - (validDays - goodDays)
}

// PrefectureMean is the prefecture row of the plan (自治州7县市平均): the arithmetic mean of the
// counties' figures for the same period, rounded half to even to one decimal. It reproduces the
// plan's own row from its county rows (2017: PM2.5 50.1, good days 80.1 %; 2020 targets 39.1 and
// 84.5 %). ok is false for no values.
func PrefectureMean(values []float64) (float64, bool) {
	if len(values) == 0 {
		return 0, false
	}
	sum := new(big.Rat)
	for _, v := range values {
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'f', -1, 64))
		if !ok {
			return 0, false
		}
		sum.Add(sum, r)
	}
	sum.Quo(sum, big.NewRat(int64(len(values)), 1))
	f, err := strconv.ParseFloat(aqi.FormatRat(sum, 1), 64)
	return f, err == nil
}

func round1(x float64) float64 {
	r := new(big.Rat)
	if _, ok := r.SetString(strconv.FormatFloat(x, 'f', -1, 64)); !ok {
		return x
	}
	f, err := strconv.ParseFloat(aqi.FormatRat(r, 1), 64)
	if err != nil {
		return x
	}
	return f
}
