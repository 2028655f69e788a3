package aqi

import (
	"math/big"
	"slices"
	"time"
)

// DayRecord is one day of a station or area, the unit period statistics are built from.
type DayRecord struct {
	Date   Date
	Day    Day
	Result Result
	// Deducted marks the pollutants whose daily value sand-dust deduction removed (DustDay,
	// DustAreaDay): Result is then the AQI of the remaining indicators.
	Deducted [NumPollutants]bool
}

// The percentile each pollutant is assessed by over a period (HJ 663-2013): SO2 and NO2 98th of
// daily means, PM10, PM2.5 and CO 95th of daily means, O3 90th of daily maximum 8-h means. Not
// confirmed against HJ 663's text: CO p95 and O3 p90 agree with published city bulletins, the
// others rest on one secondary source.
var statPercentile = [NumPollutants]int{PM25: 95, PM10: 95, SO2: 98, NO2: 98, CO: 95, O3: 90}

// StatPercentile is the percentile HJ 663 assesses pollutant p by.
func StatPercentile(p Pollutant) int {
	if p >= NumPollutants {
		return 0
	}
	return statPercentile[p]
}

// Stats are the statistics of one station or area over a span of days. Figures from no data are
// nil.
type Stats struct {
	From, To Date // inclusive
	// Days counts the days that have a record.
	Days int
	// ValidDays counts the valid days (ValidDay): the denominator of the good-day and
	// heavy-pollution ratios (docs/assessment.md "Valid days").
	ValidDays int
	GoodDays  int // valid days with AQI ≤ 100 (优 + 良)
	HeavyDays int // valid days with AQI > 200 (重度 + 严重污染)
	// IncompleteDays counts the days with a record that are not valid days: shown apart, never
	// in a ratio. IncompleteOver100 of them published a partial AQI above 100 (HJ 633-2026 §5.3).
	IncompleteDays, IncompleteOver100 int
	// N counts the valid daily values of each pollutant (O3: daily maximum 8-h means).
	N [NumPollutants]int
	// Mean is the arithmetic mean of the valid daily values.
	Mean [NumPollutants]*big.Rat
	// Pct is the StatPercentile of the valid daily values (HJ 663 formula, Percentile).
	Pct [NumPollutants]*big.Rat
	// Complete reports whether the pollutant met the HJ 663 minimum-data rule of an annual
	// statistic over the span (see Summarize).
	Complete [NumPollutants]bool
}

// Summarize computes the statistics of the records dated from … to (inclusive); others are
// ignored. Complete applies the annual-statistic rule (≥ 27 daily values in each month, ≥ 25 in
// February, ≥ 324 in a year) to the span: a month only partly inside the span may miss as many
// days as a whole month may (e.g. 4 of a 31-day month), and the 324 rule applies when the span is
// a whole calendar year.
func Summarize(from, to Date, days []DayRecord) Stats {
	s := Stats{From: from, To: to}
	var vals [NumPollutants][]Conc
	perMonth := map[[2]int]*[NumPollutants]int{}
	for _, d := range days {
		if d.Date.Before(from) || to.Before(d.Date) {
			continue
		}
		s.Days++
		if ValidDay(d) {
			s.ValidDays++
			if d.Result.AQI <= 100 {
				s.GoodDays++
			}
			if d.Result.AQI > 200 {
				s.HeavyDays++
			}
		} else {
			s.IncompleteDays++
			if d.Result.Published && d.Result.AQI > 100 {
				s.IncompleteOver100++
			}
		}
		key := [2]int{d.Date.Year, int(d.Date.Month)}
		m := perMonth[key]
		if m == nil {
			m = new([NumPollutants]int)
			perMonth[key] = m
		}
		for p := range NumPollutants {
			if v := d.Day.Values[p]; v.Valid {
				vals[p] = append(vals[p], v.C)
				m[p]++
			}
		}
	}
	for p := range NumPollutants {
		s.N[p] = len(vals[p])
		s.Mean[p] = Mean(vals[p])
		s.Pct[p] = Percentile(vals[p], statPercentile[p])
		s.Complete[p] = complete(from, to, perMonth, p, s.N[p])
	}
	return s
}

// ValidDay reports whether a day counts in the good-day and heavy-pollution ratios: its daily
// AQI is published and rests on valid daily statistics of every indicator of its edition (the
// rule of the good-day ratio, 优良天数比例 = good days ÷ valid days). A day whose AQI was
// published from the remaining indicators (a partial AQI above 100, HJ 633-2026 §5.3) is not a
// valid day: counting it would let polluted incomplete days into the denominator while clean
// incomplete days, which publish nothing, stay out. Sand-dust-deducted particulate values
// (DeductedDay) count as present: deduction removes data from assessment, it does not make a
// day incomplete.
func ValidDay(d DayRecord) bool {
	if !d.Result.Published {
		return false
	}
	for p, v := range d.Day.Values {
		if !v.Valid && !d.Deducted[p] {
			return false
		}
	}
	return d.Result.Rules != Rules2012 || d.Day.O3_1h.Valid
}

func complete(from, to Date, perMonth map[[2]int]*[NumPollutants]int, p Pollutant, total int) bool {
	if to.Before(from) {
		return false
	}
	for y, m := from.Year, from.Month; ; {
		first := Date{y, m, 1}
		last := Date{y, m, daysIn(y, m)}
		lo, hi := first, last
		if lo.Before(from) {
			lo = from
		}
		if to.Before(hi) {
			hi = to
		}
		span := int(hi.Start(time.UTC).Sub(lo.Start(time.UTC)).Hours()/24) + 1
		minDays := minDaysPerMonth
		if m == time.February {
			minDays = minDaysFebruary
		}
		need := span - (last.Day - minDays)
		have := 0
		if c := perMonth[[2]int{y, int(m)}]; c != nil {
			have = c[p]
		}
		if have < need {
			return false
		}
		if !last.Before(to) {
			break
		}
		if m == time.December {
			y, m = y+1, time.January
		} else {
			m++
		}
	}
	if from == (Date{from.Year, time.January, 1}) && to == (Date{from.Year, time.December, 31}) {
		return total >= minDaysPerYear
	}
	return true
}

// GoodRatio is the good-day ratio in percent (nil without valid days).
func (s Stats) GoodRatio() *big.Rat { return ratio(s.GoodDays, s.ValidDays) }

// HeavyRatio is the heavy-pollution-day ratio in percent (nil without valid days).
func (s Stats) HeavyRatio() *big.Rat { return ratio(s.HeavyDays, s.ValidDays) }

func ratio(n, d int) *big.Rat {
	if d == 0 {
		return nil
	}
	return big.NewRat(int64(n)*100, int64(d))
}

// Mean is the exact arithmetic mean in the pollutant's unit (nil for no values).
func Mean(values []Conc) *big.Rat {
	if len(values) == 0 {
		return nil
	}
	sum := new(big.Int)
	for _, v := range values {
		sum.Add(sum, big.NewInt(int64(v)))
	}
	return new(big.Rat).SetFrac(sum, big.NewInt(int64(len(values))*int64(Unit)))
}

// Percentile is the p-th percentile in the pollutant's unit by the HJ 663-2013 formula: sort
// ascending, k = 1 + (n−1)·p/100, s = ⌊k⌋, m = X(s) + (X(s+1) − X(s))·(k − s), and X(n) when
// k = n. It equals numpy's "linear" method. nil for no values.
func Percentile(values []Conc, p int) *big.Rat {
	n := len(values)
	if n == 0 {
		return nil
	}
	x := slices.Clone(values)
	slices.Sort(x)
	kNum := int64(100 + (n-1)*p) // k = kNum/100
	s := kNum / 100
	frac := kNum % 100
	if s >= int64(n) || frac == 0 {
		return x[min(s, int64(n))-1].Rat()
	}
	lo, hi := x[s-1], x[s]
	r := big.NewRat(int64(hi-lo)*frac, 100*int64(Unit))
	return r.Add(r, lo.Rat())
}

// Limits are the S_i of the composite index in each pollutant's unit.
type Limits [NumPollutants]Conc

// DefaultLimits are the S_i of the city ranking rules (环办监测〔2018〕19号, confirmed through
// bulletins): the GB 3095-2012 Grade II annual limits for SO2 60, NO2 40,
// PM10 70 and PM2.5 35 µg/m³, the 24-h CO limit 4 mg/m³ and the 8-h O3 limit 160 µg/m³. Whether
// they move with GB 3095-2026 is unknown, hence configurable.
func DefaultLimits() Limits {
	return Limits{SO2: 60 * Unit, NO2: 40 * Unit, PM10: 70 * Unit, PM25: 35 * Unit, CO: 4 * Unit, O3: 160 * Unit}
}

// Index is the composite air-quality index (环境空气质量综合指数) of a period.
type Index struct {
	Total *big.Rat
	// Single are the I_i = C_i / S_i.
	Single [NumPollutants]*big.Rat
	// Primary are the pollutants with the largest I_i.
	Primary []Pollutant
}

// CompositeValue is the C_i the composite index uses: the mean for SO2, NO2, PM10 and PM2.5,
// the 95th percentile for CO and the 90th percentile of daily maximum 8-h means for O3.
func (s Stats) CompositeValue(p Pollutant) *big.Rat {
	if p == CO || p == O3 {
		return s.Pct[p]
	}
	if p < NumPollutants {
		return s.Mean[p]
	}
	return nil
}

// Composite is I_sum = Σ C_i/S_i over the six pollutants. ok is false when any C_i is missing or
// a limit is not positive.
func Composite(s Stats, lim Limits) (Index, bool) {
	var ix Index
	total := new(big.Rat)
	var best *big.Rat
	for p := range NumPollutants {
		c := s.CompositeValue(p)
		if c == nil || lim[p] <= 0 {
			return Index{}, false
		}
		i := new(big.Rat).Quo(c, lim[p].Rat())
		ix.Single[p] = i
		total.Add(total, i)
		switch {
		case best == nil || i.Cmp(best) > 0:
			best = i
			ix.Primary = []Pollutant{p}
		case i.Cmp(best) == 0:
			ix.Primary = append(ix.Primary, p)
		}
	}
	ix.Total = total
	return ix, true
}

// Rank gives competition ranks (1, 2, 2, 4) in ascending order of the values rounded to the
// given decimals (bulletins rank the figures they print, so equal printed values share a rank).
// nil values get rank 0.
func Rank(values []*big.Rat, decimals int) []int {
	rounded := make([]*big.Rat, len(values))
	for i, v := range values {
		if v != nil {
			rounded[i], _ = new(big.Rat).SetString(FormatRat(v, decimals))
		}
	}
	ranks := make([]int, len(values))
	for i, v := range rounded {
		if v == nil {
			continue
		}
		ranks[i] = 1
		for _, w := range rounded {
			if w != nil && w.Cmp(v) < 0 {
				ranks[i]++
			}
		}
	}
	return ranks
}

// ChangePercent is (now − before) / before × 100: positive means the air got worse. nil when
// either is missing or before is zero.
func ChangePercent(now, before *big.Rat) *big.Rat {
	if now == nil || before == nil || before.Sign() == 0 {
		return nil
	}
	d := new(big.Rat).Sub(now, before)
	d.Quo(d, before)
	return d.Mul(d, big.NewRat(100, 1))
}
