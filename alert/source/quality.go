package source

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Rule names a data-quality rule (docs/sources.md describes each).
type Rule string

// The rules. The string is the label used in findings, metrics and the report.
const (
	RuleSilent        Rule = "silent"
	RuleMissingHours  Rule = "missing_hours"
	RuleFlatLine      Rule = "flat_line"
	RuleStuckZero     Rule = "stuck_zero"
	RuleDilution      Rule = "dilution"
	RuleFlowZeroConc  Rule = "flow_zero_conc"
	RuleTooManyFlags  Rule = "too_many_flagged"
	RuleDropAfter     Rule = "drop_after_notice"
	RuleZsMismatch    Rule = "zs_mismatch"
	RuleO2Unusable    Rule = "o2_unusable"
	RuleStaggeredProd Rule = "staggered_production"
)

// Finding is one thing an operator should call the site about or an inspector follow up.
type Finding struct {
	Rule           Rule
	Source, Outlet string
	// Field is the field concerned (a pollutant, o2, flow, …), empty for whole-outlet rules.
	Field string
	// Start and End bound the affected time; Hours is its length in hours where meaningful.
	Start, End time.Time
	Hours      int
	// Value is the rule's key figure (see docs/sources.md: the flat value, the O2, the count of
	// flagged hours, the relative drop, …).
	Value  float64
	Detail string
}

// Key returns the outlet of the finding.
func (f Finding) Key() OutletKey { return OutletKey{f.Source, f.Outlet} }

// NoticeKind is the kind of announcement the drop rule looks behind.
type NoticeKind string

// Notice kinds.
const (
	NoticeWarning    NoticeKind = "warning"    // a heavy-pollution warning was issued
	NoticeInspection NoticeKind = "inspection" // an inspection was announced
)

// Notice is an announcement that a source could react to by faking lower values.
type Notice struct {
	Kind NoticeKind
	Time time.Time
	// Source limits the notice to one source; empty means every source.
	Source string
	Note   string
}

// DayInput is one outlet's day for Checker.Day.
type DayInput struct {
	Source, Outlet string
	// Day is any instant of the local day to check.
	Day time.Time
	// Hours of this outlet (others are ignored). Hours outside the day serve only as the
	// before/after windows of drop_after_notice.
	Hours   []Hour
	Limits  Limits
	Notices []Notice
}

// DayQuality is the daily data-quality result of one outlet.
type DayQuality struct {
	Source, Outlet string
	Day            time.Time // local midnight
	// ValidHours: hours in which every checked pollutant has a valid mean.
	ValidHours int
	// FlaggedHours: hours in which a checked pollutant, O2 or flow was flagged.
	FlaggedHours int
	Findings     []Finding
	// Score is 100 minus the weight of every rule that fired at least once that day, at least 0.
	Score float64
}

// Checker runs the data-quality and staggered-production rules.
type Checker struct {
	cfg Config
	loc *time.Location
}

// NewChecker validates the config and returns a checker.
func NewChecker(cfg Config) (*Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("source config: %w", err)
	}
	return &Checker{cfg: cfg, loc: cfg.location()}, nil
}

// Silent is the stream form of the silent rule: it reports an outlet whose last reading
// (lastSeen; for an outlet never heard from, pass the service start) is at least
// SilentIntervals expected intervals before now. interval is the outlet's reporting interval
// (30 s real-time, 1 h for loggers that only send hourly data, …); zero disables the check.
func (c *Checker) Silent(k OutletKey, lastSeen, now time.Time, interval time.Duration) (Finding, bool) {
	if interval <= 0 || lastSeen.IsZero() {
		return Finding{}, false
	}
	gap := now.Sub(lastSeen)
	n := int(gap / interval)
	if n < c.cfg.Quality.SilentIntervals {
		return Finding{}, false
	}
	return Finding{
		Rule: RuleSilent, Source: k.Source, Outlet: k.Outlet, Start: lastSeen, End: now,
		Hours: int(gap / time.Hour), Value: float64(n),
		Detail: fmt.Sprintf("no data for %s (%d expected intervals of %s)", gap.Round(time.Second), n, interval),
	}, true
}

// Day runs the daily rules on one outlet's day.
func (c *Checker) Day(in DayInput) DayQuality {
	q := c.cfg.Quality
	k := OutletKey{in.Source, in.Outlet}
	l := in.Day.In(c.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.loc)
	next := day.AddDate(0, 0, 1)
	n := int(next.Sub(day) / time.Hour)

	byStart := make(map[time.Time]Hour)
	var mine []Hour
	for _, h := range in.Hours {
		if h.Key() == k {
			byStart[h.Start.UTC()] = h
			mine = append(mine, h)
		}
	}
	slot := make([]*Hour, n)
	for i := range slot {
		if h, ok := byStart[day.Add(time.Duration(i)*time.Hour).UTC()]; ok {
			slot[i] = &h
		}
	}
	at := func(i int) time.Time { return day.Add(time.Duration(i) * time.Hour) }
	polls := checkedPollutants(in.Limits, slot)
	idle := c.cfg.IdleFor(k)
	out := DayQuality{Source: in.Source, Outlet: in.Outlet, Day: day}
	add := func(r Rule, field string, from, to int, v float64, detail string) {
		out.Findings = append(out.Findings, Finding{Rule: r, Source: in.Source, Outlet: in.Outlet, Field: field,
			Start: at(from), End: at(to), Hours: to - from, Value: v, Detail: detail})
	}
	valid := func(i int, f string) (FieldStat, bool) {
		if slot[i] == nil {
			return FieldStat{}, false
		}
		s := slot[i].Field(f)
		return s, s.Status == StatusValid
	}
	running := func(i int) bool {
		f, ok := valid(i, FieldFlow)
		return ok && f.Mean > idle.FlowM3h
	}

	// silent: hours with no data at all.
	for _, r := range runs(n, func(i int) bool { return slot[i] == nil || slot[i].Samples == 0 }, q.SilentHours) {
		add(RuleSilent, "", r[0], r[1], float64(r[1]-r[0]), fmt.Sprintf("no data for %d hours", r[1]-r[0]))
	}

	// missing_hours and the outlet's valid/flagged hour counts.
	for i := range n {
		all := slot[i] != nil && slot[i].Samples > 0
		flagged := false
		for _, p := range polls {
			if _, ok := valid(i, p); !ok {
				all = false
			}
		}
		for _, f := range append(slices.Clone(polls), FieldO2, FieldFlow) {
			if slot[i] != nil && slot[i].Field(f).Status == StatusFlagged {
				flagged = true
			}
		}
		if all {
			out.ValidHours++
		}
		if flagged {
			out.FlaggedHours++
		}
	}
	for _, p := range polls {
		cnt := 0
		for i := range n {
			if _, ok := valid(i, p); ok {
				cnt++
			}
		}
		if cnt < q.MinValidHours {
			add(RuleMissingHours, p, 0, n, float64(cnt),
				fmt.Sprintf("%d valid hourly means of %s, %d needed for a valid day", cnt, p, q.MinValidHours))
		}
	}

	// too_many_flagged.
	if out.FlaggedHours > q.MaxFlaggedHours {
		add(RuleTooManyFlags, "", 0, n, float64(out.FlaggedHours),
			fmt.Sprintf("%d hours flagged maintenance, calibration, fault or outage (more than %d)", out.FlaggedHours, q.MaxFlaggedHours))
	}

	// flat_line: the same non-zero value hour after hour (zeros are stuck_zero's business, and
	// a stopped plant legitimately reads zero flow).
	for _, f := range q.FlatFields {
		c.flatLine(f, n, valid, add)
	}

	// stuck_zero: a pollutant at zero while flow says the plant runs.
	for _, p := range polls {
		cond := func(i int) bool { s, ok := valid(i, p); return ok && s.Max <= q.ZeroAt && running(i) }
		for _, r := range runs(n, cond, q.ZeroHours) {
			add(RuleStuckZero, p, r[0], r[1], 0,
				fmt.Sprintf("%s at or below %g mg/m³ for %d hours while flow is above %g m³/h", p, q.ZeroAt, r[1]-r[0], idle.FlowM3h))
		}
	}

	// dilution: O2 near ambient while running.
	o2high := func(i int) bool { s, ok := valid(i, FieldO2); return ok && s.Mean > q.DilutionO2Pct && running(i) }
	for _, r := range runs(n, o2high, q.DilutionHours) {
		peak := 0.0
		for i := r[0]; i < r[1]; i++ {
			peak = math.Max(peak, slot[i].Field(FieldO2).Mean)
		}
		add(RuleDilution, FieldO2, r[0], r[1], peak,
			fmt.Sprintf("O2 up to %.1f %% (above %g %%) for %d hours with flow on: air drawn in or dilution", peak, q.DilutionO2Pct, r[1]-r[0]))
	}

	// flow_zero_conc: no flow, yet concentrations above idle.
	flowZero := func(i int) bool {
		f, ok := valid(i, FieldFlow)
		if !ok || f.Mean > q.FlowZeroM3h {
			return false
		}
		for _, p := range polls {
			lim, has := idle.Conc[p]
			if s, ok := valid(i, p); ok && has && s.Mean > lim {
				return true
			}
		}
		return false
	}
	for _, r := range runs(n, flowZero, q.FlowZeroHours) {
		add(RuleFlowZeroConc, FieldFlow, r[0], r[1], 0,
			fmt.Sprintf("flow at or below %g m³/h for %d hours while concentrations are above idle: flow meter or data suspect", q.FlowZeroM3h, r[1]-r[0]))
	}

	c.flowImplausible(k, n, valid, polls, add)

	// drop_after_notice.
	for _, nt := range in.Notices {
		if nt.Time.Before(day) || !nt.Time.Before(next) || (nt.Source != "" && nt.Source != in.Source) {
			continue
		}
		for _, p := range polls {
			if f, ok := c.dropAfter(mine, nt, p); ok {
				f.Source, f.Outlet = in.Source, in.Outlet
				out.Findings = append(out.Findings, f)
			}
		}
	}

	// Findings the hours made on their own, merged into runs.
	var hourly []Finding
	for i := range n {
		if slot[i] != nil {
			hourly = append(hourly, slot[i].Findings...)
		}
	}
	out.Findings = append(out.Findings, mergeRuns(hourly)...)
	sortFindings(out.Findings)
	out.Score = Score(out.Findings, q.Weights)
	return out
}

func (c *Checker) flatLine(f string, n int, valid func(int, string) (FieldStat, bool), add func(Rule, string, int, int, float64, string)) {
	q := c.cfg.Quality
	same := func(a, b float64) bool {
		return math.Abs(a-b) <= math.Max(q.FlatTolerance, 1e-9*math.Max(1, math.Abs(a)))
	}
	start, val := -1, 0.0
	flush := func(end int) {
		if start >= 0 && end-start >= q.FlatHours {
			add(RuleFlatLine, f, start, end, val, fmt.Sprintf("%s stuck at %g for %d hours", f, val, end-start))
		}
		start = -1
	}
	for i := range n {
		s, ok := valid(i, f)
		if !ok || !same(s.Min, s.Max) || math.Abs(s.Min) <= q.ZeroAt {
			flush(i)
			continue
		}
		if start >= 0 && same(s.Min, val) {
			continue
		}
		flush(i)
		start, val = i, s.Min
	}
	flush(n)
}

// dropAfter compares the converted means before and after a notice.
func (c *Checker) dropAfter(hours []Hour, nt Notice, p string) (Finding, bool) {
	q := c.cfg.Quality
	bFrom := nt.Time.Add(-time.Duration(q.DropBeforeHours) * time.Hour)
	aTo := nt.Time.Add(time.Duration(q.DropAfterHours) * time.Hour)
	var bc, ac, bf, af meanAcc
	for _, h := range hours {
		var conc, flow *meanAcc
		switch {
		case !h.Start.Before(bFrom) && !h.End().After(nt.Time):
			conc, flow = &bc, &bf
		case !h.Start.Before(nt.Time) && h.Start.Before(aTo):
			// An hour that straddles the notice belongs to neither window.
			conc, flow = &ac, &af
		default:
			continue
		}
		if s, basis := h.Converted(p); s.Status == StatusValid && basis != BasisNone {
			conc.add(s.Mean)
		}
		if s := h.Field(FieldFlow); s.Status == StatusValid {
			flow.add(s.Mean)
		}
	}
	if bc.n < q.DropMinHours || ac.n < q.DropMinHours {
		return Finding{}, false
	}
	before, after := bc.mean(), ac.mean()
	if before < q.DropMinBefore || after > (1-q.DropFraction)*before {
		return Finding{}, false
	}
	flowNote := "flow unknown"
	if bf.n > 0 && af.n > 0 {
		if af.mean() < q.DropSteadyFlow*bf.mean() {
			return Finding{}, false // production was cut: the drop is explained
		}
		flowNote = fmt.Sprintf("flow %.0f → %.0f m³/h", bf.mean(), af.mean())
	}
	drop := 1 - after/before
	return Finding{
		Rule: RuleDropAfter, Field: p, Start: nt.Time, End: aTo, Hours: q.DropAfterHours, Value: drop,
		Detail: fmt.Sprintf("%s fell %.0f %% (%.3g → %.3g mg/m³) after the %s notice at %s; %s",
			p, 100*drop, before, after, nt.Kind, nt.Time.In(c.loc).Format("2006-01-02 15:04"), flowNote),
	}, true
}

type meanAcc struct {
	sum float64
	n   int
}

func (m *meanAcc) add(v float64) { m.sum += v; m.n++ }
func (m meanAcc) mean() float64 {
	if m.n == 0 {
		return 0
	}
	return m.sum / float64(m.n)
}

// checkedPollutants are the limited pollutants, or, without limits, those the day has data of.
func checkedPollutants(l Limits, slot []*Hour) []string {
	if len(l.Values) > 0 {
		return slices.Sorted(maps.Keys(l.Values))
	}
	var out []string
	for _, p := range Pollutants() {
		for _, h := range slot {
			if h != nil && h.Field(p).Total > 0 {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// runs returns the [start, end) index ranges of at least minLen consecutive i with cond(i).
func runs(n int, cond func(int) bool, minLen int) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= n; i++ {
		if i < n && cond(i) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= minLen {
			out = append(out, [2]int{start, i})
		}
		start = -1
	}
	return out
}

// mergeRuns joins findings of the same rule and field whose times touch, keeping the largest
// value, so that a mismatch lasting all day is one finding, not 24.
func mergeRuns(fs []Finding) []Finding {
	sortFindings(fs)
	var out []Finding
	for _, f := range fs {
		if m := len(out) - 1; m >= 0 && out[m].Rule == f.Rule && out[m].Field == f.Field &&
			out[m].Key() == f.Key() && out[m].End.Equal(f.Start) {
			out[m].End = f.End
			out[m].Hours += f.Hours
			if f.Value > out[m].Value {
				out[m].Value, out[m].Detail = f.Value, f.Detail
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(x, y Finding) int {
		if c := compareKeys(x.Key(), y.Key()); c != 0 {
			return c
		}
		if c := strings.Compare(string(x.Rule), string(y.Rule)); c != 0 {
			return c
		}
		if c := strings.Compare(x.Field, y.Field); c != 0 {
			return c
		}
		return x.Start.Compare(y.Start)
	})
}

// Score is 100 minus the weight of each rule that fired at least once, floored at 0. A rule
// counts once however many findings it made, so that one long fault split into several runs
// does not weigh more than one unbroken one; rules missing from weights weigh nothing.
func Score(fs []Finding, weights map[Rule]float64) float64 {
	fired := make(map[Rule]bool)
	s := 100.0
	for _, f := range fs {
		if !fired[f.Rule] {
			fired[f.Rule] = true
			s -= weights[f.Rule]
		}
	}
	return math.Max(0, s)
}
