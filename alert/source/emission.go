package source

import (
	"slices"
	"strings"
	"time"
)

// mgToKg converts mg/m³ × m³/h (= mg/h) to kg/h.
const mgToKg = 1e-6

// EmissionRateKgPerH is concentration (mg/m³) × flow (m³/h) × 10⁻⁶ = kg/h. The concentration
// must be the measured one, not the O2-corrected one: correction scales the concentration to a
// reference dilution that the gas in the stack does not have, while the flow is the real flow,
// so only measured × real flow gives the mass that left the stack (HJ 75 computes emissions
// from the measured concentration and the standard-state dry flow).
func EmissionRateKgPerH(concMgM3, flowM3h float64) float64 {
	return concMgM3 * flowM3h * mgToKg
}

// Emission is the mass of one pollutant emitted by an outlet in one hour.
type Emission struct {
	RateKgH float64 // hourly mean of the per-sample rates
	Kg      float64 // RateKgH × 1 h
}

// HourEmissions returns the emissions of an hour per pollutant, for pollutants whose rate
// (measured concentration and flow both valid) is a valid hourly mean. Invalid hours emit
// nothing here: HJ 75 substitutes missing hours, Lantian does not (docs/sources.md), so
// totals are lower bounds and come with their hour counts.
func HourEmissions(h Hour) map[string]Emission {
	out := make(map[string]Emission)
	for _, p := range Pollutants() {
		r := h.Field(p + SuffixRate)
		if r.Status != StatusValid {
			continue
		}
		out[p] = Emission{RateKgH: r.Mean, Kg: r.Mean}
	}
	return out
}

// Total is the emission of one pollutant in one day, for a source or a county.
type Total struct {
	Day time.Time // local midnight
	// Source is empty in county totals.
	Source, County, Pollutant string
	Kg                        float64
	// Hours is the number of outlet-hours that contributed.
	Hours int
}

// DailyTotals sums HourEmissions per local day, pollutant and source, and per county.
// countyOf maps a source id to its county or park (registry Source.Area); sources missing from
// it are summed under "unknown". Results are sorted by day, source or county, pollutant.
func DailyTotals(hours []Hour, countyOf map[string]string, cfg Config) (bySource, byCounty []Total) {
	loc := cfg.location()
	type key struct {
		day               time.Time
		source, pollutant string
	}
	src := make(map[key]*Total)
	cty := make(map[key]*Total)
	for _, h := range hours {
		l := h.Start.In(loc)
		day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		county, ok := countyOf[h.Source]
		if !ok {
			county = "unknown"
		}
		for p, e := range HourEmissions(h) {
			sk := key{day.UTC(), h.Source, p}
			if src[sk] == nil {
				src[sk] = &Total{Day: day, Source: h.Source, County: county, Pollutant: p}
			}
			src[sk].Kg += e.Kg
			src[sk].Hours++
			ck := key{day.UTC(), county, p}
			if cty[ck] == nil {
				cty[ck] = &Total{Day: day, County: county, Pollutant: p}
			}
			cty[ck].Kg += e.Kg
			cty[ck].Hours++
		}
	}
	return sortedTotals(src), sortedTotals(cty)
}

func sortedTotals[K comparable](m map[K]*Total) []Total {
	out := make([]Total, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(x, y Total) int {
		if c := x.Day.Compare(y.Day); c != 0 {
			return c
		}
		if c := strings.Compare(x.Source, y.Source); c != 0 {
			return c
		}
		if c := strings.Compare(x.County, y.County); c != 0 {
			return c
		}
		return strings.Compare(x.Pollutant, y.Pollutant)
	})
	return out
}
