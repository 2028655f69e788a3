package source

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"lantian/ingest/reading"
)

// Status is the validity of an hourly mean.
type Status uint8

// Hour statuses. Only StatusValid means may be compared with limits or summed into totals.
const (
	// StatusMissing: no value at all in the hour.
	StatusMissing Status = iota
	// StatusValid: enough valid values (Config.MinValidFraction).
	StatusValid
	// StatusFlagged: too few valid values, and some were flagged F, M, D, C, B or P — the hour
	// of a maintenance, calibration, fault or outage. Never an exceedance; counted separately.
	StatusFlagged
	// StatusInsufficient: too few values, none flagged (the logger sent too little).
	StatusInsufficient
	// StatusUnconverted: measured values exist, but no converted value could be had (no O2
	// and no _zs from the analyser). Only Hour.Converted returns it.
	StatusUnconverted
)

func (s Status) String() string {
	switch s {
	case StatusMissing:
		return "missing"
	case StatusValid:
		return "valid"
	case StatusFlagged:
		return "flagged"
	case StatusInsufficient:
		return "insufficient"
	case StatusUnconverted:
		return "unconverted"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// FieldStat is the hourly statistic of one field.
type FieldStat struct {
	Mean, Min, Max float64 // of the valid values; meaningless when Valid == 0
	Valid          int     // values that entered the mean
	Total          int     // values received, flagged and value-less ones included
	Status         Status
	// Flag is the most frequent excluding flag of the hour (F M D C B P), if any.
	Flag reading.Flag
}

// Basis says which converted value Hour.Converted chose.
type Basis string

// Bases of the converted value.
const (
	BasisDevice   Basis = "device"   // the analyser's _zs value
	BasisCalc     Basis = "calc"     // Lantian's O2 correction of the measured value
	BasisMeasured Basis = "measured" // no reference O2: limits apply as measured
	BasisNone     Basis = "none"     // no converted value available
)

// Hour is the hourly record of one outlet: the statistics of every field, the converted and
// rate fields Lantian derived, and the findings made while building it.
type Hour struct {
	Source, Outlet string
	// Start is the start of the hour (readings are stamped with the start of their period).
	Start time.Time
	// Period is the input period the hour was built from: 1h when the logger sent hourly data
	// (preferred: it is the logger's own record), else 1m, else rt. Periods are never mixed,
	// which would count the same minutes twice.
	Period reading.Period
	// Samples is the number of readings of that period in the hour.
	Samples int
	// ReferenceO2Pct is the reference O2 the _calc fields were computed at (0: none).
	ReferenceO2Pct float64
	// Fields holds the measured fields by contract name (dust, so2, o2, flow, …), the
	// analyser's converted values (dust_zs, …), Lantian's converted values (dust_calc, …) and
	// the emission rates in kg/h (dust_kgh, …).
	Fields   map[string]FieldStat
	Findings []Finding
}

// Key returns the outlet of the hour.
func (h Hour) Key() OutletKey { return OutletKey{h.Source, h.Outlet} }

// End returns the end of the hour.
func (h Hour) End() time.Time { return h.Start.Add(time.Hour) }

// Field returns the statistic of a field; an absent field is StatusMissing.
func (h Hour) Field(name string) FieldStat { return h.Fields[name] }

// Converted returns the hourly converted concentration of a pollutant that limits are checked
// against, and where it came from. The analyser's own _zs value is preferred when valid,
// because HJ 212 defines it as the value limits apply to and it is what the enterprise's
// permit reports show (HJ 212-2017 Table 4, -ZsRtd/-ZsAvg); Lantian's correction is the fallback and the
// cross-check (zs_mismatch).
func (h Hour) Converted(p string) (FieldStat, Basis) {
	measured := h.Field(p)
	if h.ReferenceO2Pct == 0 {
		return measured, BasisMeasured
	}
	dev, calc := h.Field(p+SuffixDevice), h.Field(p+SuffixCalc)
	switch {
	case dev.Status == StatusValid:
		return dev, BasisDevice
	case calc.Status == StatusValid:
		return calc, BasisCalc
	case dev.Total > 0:
		return dev, BasisDevice
	case calc.Total > 0:
		return calc, BasisCalc
	case measured.Total == 0 || measured.Status == StatusFlagged:
		return measured, BasisNone
	}
	return FieldStat{Total: measured.Total, Status: StatusUnconverted}, BasisNone
}

// ErrLate is returned for a reading whose hour was already closed.
var ErrLate = errors.New("reading is later than the lateness window")

// ErrPeriod is returned for readings the aggregator does not take (daily data).
var ErrPeriod = errors.New("period is not aggregated into hours")

// Aggregator builds Hours from outlet readings. Readings may arrive in any order within an
// hour's lateness window (Config.Lateness after its end); Close hands out the hours whose
// window has passed, in order per outlet, which is the order Tracker.Observe needs. It is not
// safe for concurrent use: the stream should feed it from one goroutine (or one per shard of
// outlets).
type Aggregator struct {
	cfg    Config
	loc    *time.Location
	limits map[OutletKey]Limits
	open   map[hourKey]*hourAcc
	// closed[k] is the end of the last hour handed out for outlet k; older readings are late.
	closed map[OutletKey]time.Time
}

type hourKey struct {
	k     OutletKey
	start time.Time // in UTC, so that map equality does not depend on the zone pointer
}

type hourAcc struct {
	key      OutletKey
	start    time.Time
	byPeriod map[reading.Period]*periodAcc
}

type periodAcc struct {
	samples map[time.Time]bool
	fields  map[string]*fieldAcc
	seen    map[string]map[time.Time]bool // field → reading times, to drop redelivered values
	skipped map[string]int                // pollutant → conversions skipped for lack of O2
}

type fieldAcc struct {
	sum, min, max float64
	valid, total  int
	flags         map[reading.Flag]int
}

// NewAggregator returns an aggregator; limits supply each outlet's reference O2 (outlets not in
// the map get no O2 correction).
func NewAggregator(cfg Config, limits map[OutletKey]Limits) (*Aggregator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("source config: %w", err)
	}
	return &Aggregator{
		cfg: cfg, loc: cfg.location(), limits: limits,
		open: make(map[hourKey]*hourAcc), closed: make(map[OutletKey]time.Time),
	}, nil
}

// hourStart truncates to the wall-clock hour of loc, which is the same instant as UTC
// truncation for whole-hour zones but not for e.g. UTC+5:45.
func hourStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc)
}

// Add takes one outlet reading.
func (a *Aggregator) Add(r reading.Reading) error {
	if r.Kind != reading.Source {
		return fmt.Errorf("reading of %s: kind %s is not an outlet", r.ID(), r.Kind)
	}
	switch r.Period {
	case reading.RealTime, reading.Minute, reading.Hour:
	default:
		return fmt.Errorf("reading of %s at %s: %w (%q)", r.ID(), r.Time.Format(time.RFC3339), ErrPeriod, r.Period)
	}
	k := OutletKey{r.Source, r.Outlet}
	start := hourStart(r.Time, a.loc)
	if c, ok := a.closed[k]; ok && start.Before(c) {
		return fmt.Errorf("reading of %s at %s: %w (hours before %s are closed)",
			r.ID(), r.Time.Format(time.RFC3339), ErrLate, c.Format(time.RFC3339))
	}
	hk := hourKey{k, start.UTC()}
	acc := a.open[hk]
	if acc == nil {
		acc = &hourAcc{key: k, start: start, byPeriod: make(map[reading.Period]*periodAcc)}
		a.open[hk] = acc
	}
	pa := acc.byPeriod[r.Period]
	if pa == nil {
		pa = &periodAcc{samples: make(map[time.Time]bool), fields: make(map[string]*fieldAcc),
			seen: make(map[string]map[time.Time]bool), skipped: make(map[string]int)}
		acc.byPeriod[r.Period] = pa
	}
	pa.samples[r.Time.UTC()] = true
	ref := a.limits[k].ReferenceO2Pct
	for _, v := range r.Values {
		pa.add(v.Name, r.Time, v.Value, v.Flag, v.NoValue)
	}
	o2, hasO2 := r.Get(FieldO2)
	flow, hasFlow := r.Get(FieldFlow)
	for _, p := range Pollutants() {
		m, ok := r.Get(p)
		if !ok || m.NoValue {
			continue
		}
		if ref > 0 {
			a.addCalc(pa, p, r.Time, m, o2, hasO2, ref)
		}
		if hasFlow && !flow.NoValue {
			// The rate is taken per sample because concentration and flow move together
			// (load changes); the product of hourly means would bias the hour's mass.
			pa.add(p+SuffixRate, r.Time, EmissionRateKgPerH(m.Value, flow.Value), worse(m.Flag, flow.Flag), false)
		}
	}
	return nil
}

func (a *Aggregator) addCalc(pa *periodAcc, p string, t time.Time, m, o2 reading.Value, hasO2 bool, ref float64) {
	if !hasO2 || o2.NoValue {
		pa.skipped[p]++
		return
	}
	c, err := CorrectO2(m.Value, o2.Value, ref)
	if err != nil {
		pa.skipped[p]++
		return
	}
	pa.add(p+SuffixCalc, t, c, worse(m.Flag, o2.Flag), false)
}

// worse returns the flag that makes a derived value invalid, if either input is invalid.
func worse(a, b reading.Flag) reading.Flag {
	if !a.Valid() {
		return a
	}
	if !b.Valid() {
		return b
	}
	return a
}

func (pa *periodAcc) add(name string, t time.Time, v float64, f reading.Flag, noValue bool) {
	s := pa.seen[name]
	if s == nil {
		s = make(map[time.Time]bool)
		pa.seen[name] = s
	}
	if s[t.UTC()] {
		return // a redelivered message (QoS 1): the first copy already counted
	}
	s[t.UTC()] = true
	fa := pa.fields[name]
	if fa == nil {
		fa = &fieldAcc{min: math.Inf(1), max: math.Inf(-1)}
		pa.fields[name] = fa
	}
	fa.total++
	if noValue || !f.Valid() || math.IsNaN(v) || math.IsInf(v, 0) {
		if !f.Valid() {
			if fa.flags == nil {
				fa.flags = make(map[reading.Flag]int)
			}
			fa.flags[f]++
		}
		return
	}
	fa.valid++
	fa.sum += v
	fa.min = math.Min(fa.min, v)
	fa.max = math.Max(fa.max, v)
}

// Close hands out, sorted by outlet and time, every hour whose end plus the lateness window
// is not after now.
func (a *Aggregator) Close(now time.Time) []Hour {
	return a.close(func(acc *hourAcc) bool {
		return !acc.start.Add(time.Hour + a.cfg.Lateness).After(now)
	})
}

// Crowded reports whether more hours are open than live operation explains (a few per
// registered outlet): a backlog of past hours is being drained, and complete hours should be
// closed now rather than at the next check, or they pile up in memory (several KB each).
func (a *Aggregator) Crowded() bool { return len(a.open) > max(4*len(a.limits), 1024) }

// Flush hands out every open hour (end of a batch).
func (a *Aggregator) Flush() []Hour {
	return a.close(func(*hourAcc) bool { return true })
}

func (a *Aggregator) close(ready func(*hourAcc) bool) []Hour {
	var out []Hour
	for hk, acc := range a.open {
		if !ready(acc) {
			continue
		}
		delete(a.open, hk)
		out = append(out, a.finish(acc))
		if end := acc.start.Add(time.Hour); end.After(a.closed[acc.key]) {
			a.closed[acc.key] = end
		}
	}
	sortHours(out)
	return out
}

func sortHours(hs []Hour) {
	slices.SortFunc(hs, func(x, y Hour) int {
		if c := compareKeys(x.Key(), y.Key()); c != 0 {
			return c
		}
		return x.Start.Compare(y.Start)
	})
}

func (a *Aggregator) finish(acc *hourAcc) Hour {
	var period reading.Period
	var pa *periodAcc
	for _, p := range []reading.Period{reading.Hour, reading.Minute, reading.RealTime} {
		if x := acc.byPeriod[p]; x != nil {
			period, pa = p, x
			break
		}
	}
	h := Hour{
		Source: acc.key.Source, Outlet: acc.key.Outlet, Start: acc.start, Period: period,
		Samples: len(pa.samples), ReferenceO2Pct: a.limits[acc.key].ReferenceO2Pct,
		Fields: make(map[string]FieldStat, len(pa.fields)),
	}
	expected, _ := a.cfg.Expected(acc.key, period)
	for name, fa := range pa.fields {
		h.Fields[name] = fa.stat(max(expected, fa.total), a.cfg.MinValidFraction)
	}
	h.Findings = hourFindings(h, pa.skipped, a.cfg)
	return h
}

func (fa *fieldAcc) stat(expected int, minFrac float64) FieldStat {
	s := FieldStat{Valid: fa.valid, Total: fa.total}
	if fa.valid > 0 {
		s.Mean, s.Min, s.Max = fa.sum/float64(fa.valid), fa.min, fa.max
	}
	// The small epsilon keeps 45 of 60 at exactly 0.75 on the valid side despite rounding.
	need := int(math.Ceil(minFrac*float64(expected) - 1e-9))
	switch {
	case fa.total == 0:
		s.Status = StatusMissing
	case fa.valid >= need && fa.valid > 0:
		s.Status = StatusValid
	case len(fa.flags) > 0:
		s.Status = StatusFlagged
		s.Flag = dominant(fa.flags)
	default:
		s.Status = StatusInsufficient
	}
	return s
}

func dominant(flags map[reading.Flag]int) reading.Flag {
	var best reading.Flag
	for _, f := range slices.Sorted(maps.Keys(flags)) { // sorted: ties resolve the same way every run
		if flags[f] > flags[best] {
			best = f
		}
	}
	return best
}

// hourFindings are the findings an hour shows on its own: converted values that disagree, and
// conversions skipped for lack of a usable O2.
func hourFindings(h Hour, skipped map[string]int, cfg Config) []Finding {
	var out []Finding
	var noO2 []string
	n := 0
	for _, p := range Pollutants() {
		if skipped[p] > 0 {
			noO2 = append(noO2, p)
			n = max(n, skipped[p])
		}
		dev, calc := h.Field(p+SuffixDevice), h.Field(p+SuffixCalc)
		if dev.Status != StatusValid || calc.Status != StatusValid {
			continue
		}
		if d := Disagreement(dev.Mean, calc.Mean, cfg.ZsMinConc); d > cfg.ZsTolerance {
			out = append(out, Finding{
				Rule: RuleZsMismatch, Source: h.Source, Outlet: h.Outlet, Field: p,
				Start: h.Start, End: h.End(), Hours: 1, Value: d,
				Detail: fmt.Sprintf("analyser %s_zs %.4g vs Lantian %.4g mg/m³ at %g %% O2: %.0f %% apart (tolerance %.0f %%)",
					p, dev.Mean, calc.Mean, h.ReferenceO2Pct, 100*d, 100*cfg.ZsTolerance),
			})
		}
	}
	if len(noO2) > 0 {
		sort.Strings(noO2)
		out = append(out, Finding{
			Rule: RuleO2Unusable, Source: h.Source, Outlet: h.Outlet, Field: FieldO2,
			Start: h.Start, End: h.End(), Hours: 1, Value: float64(n),
			Detail: fmt.Sprintf("%d value(s) of %s not converted: O2 missing, flagged without value, negative or ≥ 21 %%",
				n, strings.Join(noO2, ", ")),
		})
	}
	return out
}

// HoursFromReadings aggregates a batch of outlet readings (for the report): readings are
// sorted by time, daily readings are skipped, and every hour is flushed at the end.
func HoursFromReadings(rs []reading.Reading, limits map[OutletKey]Limits, cfg Config) ([]Hour, error) {
	a, err := NewAggregator(cfg, limits)
	if err != nil {
		return nil, err
	}
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(x, y reading.Reading) int { return cmp.Compare(x.Time.UnixNano(), y.Time.UnixNano()) })
	for _, r := range sorted {
		if r.Period == reading.Day {
			continue
		}
		if err := a.Add(r); err != nil {
			return nil, fmt.Errorf("aggregating readings: %w", err)
		}
	}
	return a.Flush(), nil
}
