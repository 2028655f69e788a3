package warning

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"lantian/alert/aqi"
)

// DayAQI is the daily AQI of one calendar day (forecast or observed).
type DayAQI struct {
	Date aqi.Date
	AQI  int
	// Primary is the forecast primary pollutant (PM2.5, PM10, O3, …), empty when not given.
	Primary string
	// SandDust marks a day whose pollution the forecast attributes to sand and dust (沙尘).
	SandDust bool
}

// HourAQI is a rolling 24-h AQI: the AQI of the 24 hours ending with the hour that starts at
// Start (Lantian stamps hours by their start).
type HourAQI struct {
	Start time.Time `json:"start"`
	AQI   int       `json:"aqi"`
}

// Input is what a recommendation is made from for one area.
type Input struct {
	Area string
	// Observed are the observed daily AQIs of the days just before Days[0], oldest first. They
	// count towards the duration of an episode that continues into the forecast, so an episode
	// already two days old is graded as such; episodes that ended before the forecast do not count.
	Observed []DayAQI
	// Days is the daily forecast AQI on consecutive dates.
	Days []DayAQI
	// Hours is an optional hourly rolling-24h forecast on consecutive hours, graded when the
	// scheme is Hourly.
	Hours []HourAQI
}

// Input size bounds: a forecast covers days, not years, so these only stop runaway input.
const (
	maxDays  = 400
	maxHourN = 31 * 24
)

func (in Input) validate() error {
	var errs []error
	if len(in.Days) == 0 && len(in.Hours) == 0 {
		errs = append(errs, errors.New("no forecast: neither daily nor hourly values"))
	}
	if len(in.Observed)+len(in.Days) > maxDays {
		errs = append(errs, fmt.Errorf("%d observed and forecast days, more than %d", len(in.Observed)+len(in.Days), maxDays))
	}
	if len(in.Hours) > maxHourN {
		errs = append(errs, fmt.Errorf("%d hourly values, more than %d", len(in.Hours), maxHourN))
	}
	checkDays := func(kind string, days []DayAQI) {
		for i, d := range days {
			if d.AQI < 0 || d.AQI > maxAQI {
				errs = append(errs, fmt.Errorf("%s %s: AQI %d outside 0–%d", kind, d.Date, d.AQI, maxAQI))
			}
			if i > 0 && d.Date != days[i-1].Date.AddDays(1) {
				errs = append(errs, fmt.Errorf("%s %s follows %s: dates must be consecutive", kind, d.Date, days[i-1].Date))
			}
		}
	}
	checkDays("observed", in.Observed)
	checkDays("forecast", in.Days)
	if len(in.Observed) > 0 && len(in.Days) > 0 {
		last := in.Observed[len(in.Observed)-1].Date
		if in.Days[0].Date != last.AddDays(1) {
			errs = append(errs, fmt.Errorf("forecast starts %s but observations end %s: they must be consecutive", in.Days[0].Date, last))
		}
	}
	for i, h := range in.Hours {
		if h.AQI < 0 || h.AQI > maxAQI {
			errs = append(errs, fmt.Errorf("hour %s: AQI %d outside 0–%d", hourLabel(h.Start), h.AQI, maxAQI))
		}
		if i > 0 && h.Start.Sub(in.Hours[i-1].Start) != time.Hour {
			errs = append(errs, fmt.Errorf("hour %s follows %s: hours must be consecutive", hourLabel(h.Start), hourLabel(in.Hours[i-1].Start)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		if in.Area != "" {
			return fmt.Errorf("area %s: %w", in.Area, err)
		}
		return err
	}
	return nil
}

func hourLabel(t time.Time) string { return t.Format("2006-01-02T15:04") }

// series is a run of equally spaced AQI values; values before first are observed.
type series struct {
	kind  string // "daily" or "hourly"
	step  int    // hours per value
	vals  []int
	first int
	label func(i int) string
}

func dailySeries(in Input) (series, bool) {
	if len(in.Days) == 0 {
		return series{}, false
	}
	days := make([]DayAQI, 0, len(in.Observed)+len(in.Days))
	days = append(append(days, in.Observed...), in.Days...)
	vals := make([]int, len(days))
	for i, d := range days {
		vals[i] = d.AQI
	}
	return series{kind: "daily", step: 24, vals: vals, first: len(in.Observed),
		label: func(i int) string { return days[i].Date.String() }}, true
}

func hourlySeries(in Input) (series, bool) {
	if len(in.Hours) == 0 {
		return series{}, false
	}
	vals := make([]int, len(in.Hours))
	for i, h := range in.Hours {
		vals[i] = h.AQI
	}
	return series{kind: "hourly", step: 1, vals: vals,
		label: func(i int) string { return hourLabel(in.Hours[i].Start) }}, true
}

// Span says where one term of a clause was met.
type Span struct {
	Term Term
	// Series is "daily" or "hourly".
	Series string
	// First and Last label the first and last value of the run (dates, or hours as
	// 2006-01-02T15:04).
	First, Last string
	// Values is the length of the run in values; Hours = Values × hours per value.
	Values, Hours int
	// Observed counts the run's values that were observed rather than forecast.
	Observed int
	// Peak is the highest AQI in the run.
	Peak int
}

func (sp Span) String() string {
	op := ">"
	if sp.Term.OrEqual {
		op = "≥"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "AQI %s %d ", op, sp.Term.AQI)
	switch {
	case sp.Series == "daily" && sp.Values == 1:
		fmt.Fprintf(&b, "on %s", sp.First)
	case sp.Series == "daily":
		fmt.Fprintf(&b, "on %d days %s..%s", sp.Values, sp.First, sp.Last)
	case sp.Values == 1:
		fmt.Fprintf(&b, "at %s (rolling 24 h)", sp.First)
	default:
		fmt.Fprintf(&b, "for %d h %s..%s (rolling 24 h)", sp.Hours, sp.First, sp.Last)
	}
	fmt.Fprintf(&b, ", peak %d", sp.Peak)
	if sp.Observed > 0 {
		fmt.Fprintf(&b, ", %d observed", sp.Observed)
	}
	return b.String()
}

// Finding is one level whose condition was met, with the clause and where its terms were met.
type Finding struct {
	Level  Level
	Clause Clause
	Source string
	Spans  []Span
	// Start labels the first value of the episode (the run of values above the clause's loosest
	// threshold); StartsIn is the hours from the start of the forecast to it, 0 for an episode
	// already running.
	Start    string
	StartsIn int
}

func (f Finding) String() string {
	parts := make([]string, len(f.Spans))
	for i, sp := range f.Spans {
		parts[i] = sp.String()
	}
	return fmt.Sprintf("%s (%s): %s", f.Level, f.Clause, strings.Join(parts, "; "))
}

// Assessment grades one area's forecast: the highest level met and why.
type Assessment struct {
	Area  string
	Level Level
	// Findings has one entry per level met, highest first: the first clause of that level met,
	// and where. Empty when no level is met.
	Findings []Finding
	// Peak is the highest forecast AQI (daily if given, else hourly) and where, within the
	// graded span, to explain a forecast that meets no level.
	Peak      int
	PeakLabel string
}

// Reason explains the assessment in one line: the highest finding, or the forecast peak.
func (a Assessment) Reason() string {
	if len(a.Findings) > 0 {
		return a.Findings[0].String()
	}
	if a.PeakLabel == "" {
		return "no condition met"
	}
	return fmt.Sprintf("no condition met (forecast peak AQI %d on %s)", a.Peak, a.PeakLabel)
}

// Evaluate grades a forecast: the highest level whose condition is met anywhere in it, by the
// daily series (observed days included, see Input.Observed) or, for an Hourly scheme, by the
// hourly series.
func (s Scheme) Evaluate(in Input) (Assessment, error) {
	if err := in.validate(); err != nil {
		return Assessment{}, err
	}
	return s.evaluate(in, -1)
}

// evaluate grades episodes starting at most lead hours after the start of the forecast (lead < 0:
// all episodes). The input is valid.
func (s Scheme) evaluate(in Input, lead int) (Assessment, error) {
	a := Assessment{Area: in.Area}
	var all []series
	if d, ok := dailySeries(in); ok {
		all = append(all, d)
	}
	if h, ok := hourlySeries(in); ok && s.Hourly {
		all = append(all, h)
	}
	if len(all) == 0 {
		return Assessment{}, fmt.Errorf("area %s: scheme %s does not grade hourly forecasts and no daily forecast was given", in.Area, s.Name)
	}
	peakSeries := all[0]
	end := len(peakSeries.vals)
	if lead >= 0 {
		end = min(end, peakSeries.first+lead/peakSeries.step+1)
	}
	for i := peakSeries.first; i < end; i++ {
		if a.PeakLabel == "" || peakSeries.vals[i] > a.Peak {
			a.Peak, a.PeakLabel = peakSeries.vals[i], peakSeries.label(i)
		}
	}
	for l := Red; l > None; l-- {
		r, ok := s.Rule(l)
		if !ok {
			continue
		}
		if f, ok := findRule(r, all, lead); ok {
			a.Findings = append(a.Findings, f)
		}
	}
	if len(a.Findings) > 0 {
		a.Level = a.Findings[0].Level
	}
	return a, nil
}

// findRule returns the first clause of r met, preferring the earliest episode across clauses
// and series, so that the reason names the episode the office must act on first.
func findRule(r Rule, all []series, lead int) (Finding, bool) {
	var best Finding
	found := false
	for _, c := range r.AnyOf {
		for _, sr := range all {
			spans, a, ok := matchClause(c, sr, lead)
			if !ok {
				continue
			}
			f := Finding{Level: r.Level, Clause: c, Source: r.Source, Spans: spans,
				Start: sr.label(a), StartsIn: (max(a, sr.first) - sr.first) * sr.step}
			if !found || f.StartsIn < best.StartsIn {
				best, found = f, true
			}
		}
	}
	return best, found
}

// matchClause finds the first episode (maximal run of values meeting the clause's loosest
// threshold, reaching into the forecast and starting within lead hours of its start unless lead
// < 0) in which every term has a long enough run. It returns the spans and the episode's start.
func matchClause(c Clause, sr series, lead int) ([]Span, int, bool) {
	if len(c) == 0 {
		return nil, 0, false
	}
	loose := c[0]
	for _, t := range c[1:] {
		if floorOf(t) < floorOf(loose) {
			loose = t
		}
	}
	n := len(sr.vals)
	for a := 0; a < n; {
		if !loose.holds(sr.vals[a]) {
			a++
			continue
		}
		b := a
		for b+1 < n && loose.holds(sr.vals[b+1]) {
			b++
		}
		if lead >= 0 && (max(a, sr.first)-sr.first)*sr.step > lead {
			break // later episodes start later still
		}
		if b >= sr.first {
			if spans, ok := matchEpisode(c, sr, a, b); ok {
				return spans, a, true
			}
		}
		a = b + 1
	}
	return nil, 0, false
}

// floorOf is the lowest integer AQI a term accepts.
func floorOf(t Term) int {
	if t.OrEqual {
		return t.AQI
	}
	return t.AQI + 1
}

// matchEpisode checks each term inside vals[a..b] and returns, per term, its longest run (the
// earliest of equal length).
func matchEpisode(c Clause, sr series, a, b int) ([]Span, bool) {
	spans := make([]Span, 0, len(c))
	for _, t := range c {
		bestA, bestLen := -1, 0
		for i := a; i <= b; {
			if !t.holds(sr.vals[i]) {
				i++
				continue
			}
			j := i
			for j+1 <= b && t.holds(sr.vals[j+1]) {
				j++
			}
			if j-i+1 > bestLen {
				bestA, bestLen = i, j-i+1
			}
			i = j + 1
		}
		if bestLen < t.periods(sr.step) {
			return nil, false
		}
		sp := Span{Term: t, Series: sr.kind, First: sr.label(bestA), Last: sr.label(bestA + bestLen - 1),
			Values: bestLen, Hours: bestLen * sr.step}
		for i := bestA; i < bestA+bestLen; i++ {
			sp.Peak = max(sp.Peak, sr.vals[i])
			if i < sr.first {
				sp.Observed++
			}
		}
		spans = append(spans, sp)
	}
	return spans, true
}

// LiftCheck says whether the forecast meets the lift rule, counted from the start of the
// forecast: hourly values when the scheme grades them and they were given, else days.
type LiftCheck struct {
	Rule LiftRule
	Met  bool
	// Hours is how long the forecast stays below the threshold from its start (values × step);
	// Needed is the duration the rule needs in the same resolution (36 h → 48 h with days).
	Hours, Needed int
	// Series is "daily" or "hourly"; Text explains the check in one line.
	Series string
	Text   string
	// TextZH is Text in Chinese.
	TextZH string
}

func (s Scheme) liftCheck(in Input) LiftCheck {
	sr, ok := hourlySeries(in)
	if !ok || !s.Hourly {
		sr, _ = dailySeries(in)
	}
	lc := LiftCheck{Rule: s.Lift, Series: sr.kind}
	if sr.kind == "" {
		lc.Text, lc.TextZH = "no forecast to check the lift rule against", "无预报，无法判断解除条件"
		return lc
	}
	n := 0
	for i := sr.first; i < len(sr.vals) && sr.vals[i] < s.Lift.Below; i++ {
		n++
	}
	need := Term{Hours: s.Lift.Hours}.periods(sr.step)
	lc.Hours, lc.Needed, lc.Met = n*sr.step, need*sr.step, n >= need
	rule := s.Lift.chinese()
	switch {
	case n == 0:
		lc.Text = fmt.Sprintf("lift rule %s not met: forecast starts at AQI %d (%s)", s.Lift, sr.vals[sr.first], sr.label(sr.first))
		lc.TextZH = fmt.Sprintf("未满足解除条件（%s）：预报起始 AQI 为 %d（%s）", rule, sr.vals[sr.first], sr.label(sr.first))
	case lc.Met:
		lc.Text = fmt.Sprintf("lift rule %s met: below %d for %d h from %s (%s forecast)", s.Lift, s.Lift.Below, lc.Hours, sr.label(sr.first), sr.kind)
		lc.TextZH = fmt.Sprintf("已满足解除条件（%s）：自 %s 起 %d 小时低于 %d（%s预报）", rule, sr.label(sr.first), lc.Hours, s.Lift.Below, seriesZH(sr.kind))
	case sr.first+n == len(sr.vals):
		lc.Text = fmt.Sprintf("lift rule %s not met: the %s forecast covers only %d h, all below %d", s.Lift, sr.kind, lc.Hours, s.Lift.Below)
		lc.TextZH = fmt.Sprintf("未满足解除条件（%s）：%s预报仅覆盖 %d 小时（均低于 %d）", rule, seriesZH(sr.kind), lc.Hours, s.Lift.Below)
	default:
		lc.Text = fmt.Sprintf("lift rule %s not met: below %d for only %d h, AQI %d at %s", s.Lift, s.Lift.Below, lc.Hours, sr.vals[sr.first+n], sr.label(sr.first+n))
		lc.TextZH = fmt.Sprintf("未满足解除条件（%s）：仅 %d 小时低于 %d，%s AQI 为 %d", rule, lc.Hours, s.Lift.Below, sr.label(sr.first+n), sr.vals[sr.first+n])
	}
	return lc
}
