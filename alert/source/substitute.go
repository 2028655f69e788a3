package source

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// Substitution of missing and invalid hours in emission totals, after HJ 75-2017's treatment
// of missing CEMS data (固定污染源烟气排放连续监测技术规范, 数据缺失处理). As Lantian applies it
// (the rule as remembered, U: check it against HJ 75-2017 before relying on it):
//   - an hour with a valid hourly emission rate counts as measured;
//   - an hour declared stopped (flag F on flow or on the pollutant) emits nothing;
//   - a run of at most SubstShortHours (24) missing or invalid hours: each hour takes the mean
//     of the hourly masses of the valid hour before and the valid hour after the run (one of
//     them when the other is unknown);
//   - a longer run: each hour takes the largest hourly mass of the SubstLookbackHours (720)
//     valid hours before the run (the valid hour after it when there is none before).
//
// The measured total is a lower bound; the substituted total is the figure HJ 75 reports, an
// upper estimate for long outages. Both are kept, labelled.
const (
	SubstShortHours    = 24
	SubstLookbackHours = 720
)

// MassBasis says how an hour's mass was obtained.
type MassBasis string

// Bases of an hour's mass.
const (
	MassMeasured MassBasis = "measured"
	MassStopped  MassBasis = "stopped"
	MassShortGap MassBasis = "short_gap" // ≤ 24 h: mean of the neighbours
	MassLongGap  MassBasis = "long_gap"  // > 24 h: largest of the 720 valid hours before
	MassUnknown  MassBasis = "unknown"   // no valid hour to substitute from
)

// HourMass is one outlet-hour's mass of a pollutant.
type HourMass struct {
	Start time.Time
	Kg    float64
	Basis MassBasis
}

// SubstitutedMasses returns, per pollutant with any valid rate in hours, the mass of every
// hour of one outlet in [from, to), substituting missing and invalid hours. hours are the
// outlet's hours (any order); those before from (up to 720 valid ones) and after to serve as
// the neighbours and the look-back of the rule.
func SubstitutedMasses(hours []Hour, k OutletKey, from, to time.Time) map[string][]HourMass {
	mine := make(map[time.Time]Hour)
	var first, last time.Time
	polls := make(map[string]bool)
	for _, h := range hours {
		if h.Key() != k {
			continue
		}
		mine[h.Start.UTC()] = h
		if first.IsZero() || h.Start.Before(first) {
			first = h.Start
		}
		if h.Start.After(last) {
			last = h.Start
		}
		for p := range HourEmissions(h) {
			polls[p] = true
		}
	}
	if first.After(from) {
		first = from
	}
	out := make(map[string][]HourMass)
	for _, p := range slices.Sorted(maps.Keys(polls)) {
		// One slot per hour from the earliest known hour to the later of to and the last hour.
		end := to
		if last.Add(time.Hour).After(end) {
			end = last.Add(time.Hour)
		}
		var slots []HourMass
		for t := first.UTC().Truncate(time.Hour); t.Before(end); t = t.Add(time.Hour) {
			slots = append(slots, massOf(mine, t, p))
		}
		substitute(slots)
		var in []HourMass
		for _, s := range slots {
			if !s.Start.Before(from) && s.Start.Before(to) {
				in = append(in, s)
			}
		}
		out[p] = in
	}
	return out
}

func massOf(hours map[time.Time]Hour, t time.Time, p string) HourMass {
	h, ok := hours[t]
	if !ok {
		return HourMass{Start: t, Basis: MassUnknown}
	}
	if e, ok := HourEmissions(h)[p]; ok {
		return HourMass{Start: h.Start, Kg: e.Kg, Basis: MassMeasured}
	}
	if h.Field(FieldFlow).Flag == reading.FlagStopped || h.Field(p).Flag == reading.FlagStopped {
		return HourMass{Start: h.Start, Basis: MassStopped}
	}
	return HourMass{Start: h.Start, Basis: MassUnknown}
}

// substitute fills the unknown slots in place.
func substitute(s []HourMass) {
	for i := 0; i < len(s); {
		if s[i].Basis != MassUnknown {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j].Basis == MassUnknown {
			j++
		}
		// Run [i, j). Neighbours are the measured hours next to it (a stopped hour is not a
		// measurement of the source running).
		var before, after *HourMass
		if i > 0 && s[i-1].Basis == MassMeasured {
			before = &s[i-1]
		}
		if j < len(s) && s[j].Basis == MassMeasured {
			after = &s[j]
		}
		var v float64
		basis := MassShortGap
		known := true
		if j-i <= SubstShortHours {
			switch {
			case before != nil && after != nil:
				v = (before.Kg + after.Kg) / 2
			case before != nil:
				v = before.Kg
			case after != nil:
				v = after.Kg
			default:
				known = false
			}
		} else {
			basis = MassLongGap
			n, found := 0, false
			for x := i - 1; x >= 0 && n < SubstLookbackHours; x-- {
				if s[x].Basis == MassMeasured {
					n++
					if !found || s[x].Kg > v {
						v, found = s[x].Kg, true
					}
				}
			}
			if !found && after != nil {
				v, found = after.Kg, true
			}
			known = found
		}
		if known {
			for x := i; x < j; x++ {
				s[x].Kg, s[x].Basis = v, basis
			}
		}
		i = j
	}
}

// MassTotal sums hour masses: the measured lower bound and the substituted total.
type MassTotal struct {
	MeasuredKg, SubstitutedKg float64
	// MeasuredHours had a valid rate; SubstitutedHours were filled by the rule; UnknownHours
	// could not be (no valid hour to take a value from).
	MeasuredHours, SubstitutedHours, StoppedHours, UnknownHours int
}

// Add counts one hour.
func (t *MassTotal) Add(m HourMass) {
	switch m.Basis {
	case MassMeasured:
		t.MeasuredKg += m.Kg
		t.SubstitutedKg += m.Kg
		t.MeasuredHours++
	case MassShortGap, MassLongGap:
		t.SubstitutedKg += m.Kg
		t.SubstitutedHours++
	case MassStopped:
		t.StoppedHours++
	default:
		t.UnknownHours++
	}
}

// Quota is a county's emission quota of one pollutant (source_monitoring.county_quotas).
type Quota struct {
	DayKg   float64 `yaml:"day_kg"`
	MonthKg float64 `yaml:"month_kg"`
}

// validateQuotas checks county quotas: known pollutants, non-negative values.
func validateQuotas(q map[string]map[string]Quota, isArea func(string) bool) []error {
	var errs []error
	for _, c := range slices.Sorted(maps.Keys(q)) {
		if isArea != nil && !isArea(c) {
			errs = append(errs, fmt.Errorf("source_monitoring.county_quotas: %q is not the area of any registered source", c))
		}
		for _, p := range slices.Sorted(maps.Keys(q[c])) {
			if !isPollutant(p) {
				errs = append(errs, fmt.Errorf("source_monitoring.county_quotas[%s]: %q is not dust, so2, nox or nmhc", c, p))
			}
			if v := q[c][p]; v.DayKg < 0 || v.MonthKg < 0 {
				errs = append(errs, fmt.Errorf("source_monitoring.county_quotas[%s][%s]: negative quota", c, p))
			}
		}
	}
	return errs
}

// substitutedTotals writes the day's substituted totals beside the measured ones (fields
// kg_substituted, substituted_hours, unknown_hours of emission_daily, per source and county),
// and the county's daily quota and its share. The look-back of the long-gap rule is limited to
// the hours the monitor holds (the day before); `lantian sources totals` applies it in full.
func (m *Monitor) substitutedTotals(ctx context.Context, day time.Time) {
	next := day.AddDate(0, 0, 1)
	type key struct{ scope, source, county, pollutant string }
	totals := make(map[key]*MassTotal)
	add := func(k key, hm HourMass) {
		if totals[k] == nil {
			totals[k] = &MassTotal{}
		}
		totals[k].Add(hm)
	}
	for _, k := range m.order {
		county := m.outlets[k].county
		for p, hs := range SubstitutedMasses(m.hours[k], k, day, next) {
			for _, hm := range hs {
				add(key{schema.ScopeSource, k.Source, county, p}, hm)
				add(key{schema.ScopeCounty, "", county, p}, hm)
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(totals), func(a, b key) int {
		return strings.Compare(a.scope+a.source+a.county+a.pollutant, b.scope+b.source+b.county+b.pollutant)
	})
	for _, k := range keys {
		t := totals[k]
		l := newPointLine(schema.EmissionDaily)
		l.tag(schema.TagCounty, k.county).tag(schema.TagPollutant, k.pollutant).tag(schema.TagScope, k.scope).tag(schema.TagSource, k.source)
		l.float(schema.FieldKgSubstituted, t.SubstitutedKg).int(schema.FieldSubstitutedHours, t.SubstitutedHours).
			int(schema.FieldUnknownHours, t.UnknownHours)
		if q := m.cfg.CountyQuotas[k.county][k.pollutant]; k.scope == schema.ScopeCounty && q.DayKg > 0 {
			ratio := t.SubstitutedKg / q.DayKg
			l.float(schema.FieldQuotaKg, q.DayKg).float(schema.FieldQuotaRatio, ratio)
			m.m.quotaRatio.WithLabelValues(k.county, k.pollutant).Set(ratio)
		}
		m.write(ctx, l.at(day))
	}
}
