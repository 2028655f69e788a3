package office

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"lantian/alert/warning"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Compliance: while a warning is in force, each source on the emergency list
// in the warning's areas must cut its emission rate of each pollutant by the level's ratio
// against its baseline. The baseline is the mean hourly rate (kg/h) over a period before the
// warning start; the actual rate is the mean over the warning's hours so far (until it was
// lifted). See docs/warnings.md, "Compliance".

// DefaultBaselinePeriod is how far before the warning start the baseline is taken.
const DefaultBaselinePeriod = 7 * 24 * time.Hour

// MaxBaselinePeriod bounds the baseline period a request may ask for.
const MaxBaselinePeriod = 60 * 24 * time.Hour

// EmissionHour is one source's emission rate of one pollutant over one hour: the sum over its
// outlets of the hourly mean rates (emission_hourly <p>_kgh).
type EmissionHour struct {
	Source    string    `json:"source"`
	Pollutant string    `json:"pollutant"` // dust so2 nox nmhc
	Hour      time.Time `json:"hour"`      // hour start
	KgH       float64   `json:"kgh"`
}

// EmissionSource gives the hourly emission rates of sources for the hours starting in
// [from, to). The service implements it with ingest/influx's Reader.
type EmissionSource interface {
	EmissionHours(ctx context.Context, sources []string, from, to time.Time) ([]EmissionHour, error)
}

// Compliance states of a row.
const (
	ComplianceOK            = "compliant"
	ComplianceNotCompliant  = "not_compliant"
	ComplianceNoBaseline    = "no_baseline"
	ComplianceNoData        = "no_data"
	ComplianceNoRequirement = "no_requirement"
)

// ComplianceRow is one source and pollutant of a warning's compliance table.
type ComplianceRow struct {
	Source     string `json:"source"`
	SourceName string `json:"source_name,omitempty"`
	Area       string `json:"area"`
	Pollutant  string `json:"pollutant"`
	// Group is the pollutant group of the reduction ratios: SO2, NOx, PM (dust) or VOCs (nmhc).
	Group         string  `json:"group"`
	BaselineKgH   float64 `json:"baseline_kgh"`
	BaselineHours int     `json:"baseline_hours"`
	ActualKgH     float64 `json:"actual_kgh"`
	ActualHours   int     `json:"actual_hours"`
	// ReductionPct is (baseline − actual) / baseline × 100; meaningful only when both exist.
	ReductionPct float64 `json:"reduction_pct"`
	RequiredPct  int     `json:"required_pct"`
	Status       string  `json:"status"`
}

// ComplianceTable is the compliance of one warning's emergency-list sources.
type ComplianceTable struct {
	WarningID    string          `json:"warning_id"`
	Level        warning.Level   `json:"level"`
	Areas        []string        `json:"areas"`
	BaselineFrom time.Time       `json:"baseline_from"`
	BaselineTo   time.Time       `json:"baseline_to"`
	WarningFrom  time.Time       `json:"warning_from"`
	WarningTo    time.Time       `json:"warning_to"`
	Rows         []ComplianceRow `json:"rows"`
	NotCompliant int             `json:"not_compliant"`
	ComputedAt   time.Time       `json:"computed_at"`
}

// pollutantGroup maps the CEMS pollutant fields (schema.SourcePollutants) to the reduction
// ratio groups.
var pollutantGroup = map[string]string{
	"dust": "PM",
	"so2":  "SO2",
	"nox":  "NOx",
	"nmhc": "VOCs",
}

// requiredPct is the ratio the warning requires for a pollutant group.
func requiredPct(r warning.Reduction, group string) int {
	switch group {
	case "SO2":
		return r.SO2
	case "NOx":
		return r.NOx
	case "PM":
		return r.PM
	case "VOCs":
		return r.VOCs
	}
	return 0
}

// ComplianceWindows returns the baseline window [start − period, start) and the warning window
// [start, end), where end is when the warning was lifted, or now while it is in force.
func ComplianceWindows(w Warning, period time.Duration, now time.Time) (baseFrom, baseTo, from, to time.Time) {
	if period <= 0 {
		period = DefaultBaselinePeriod
	}
	to = now
	if !w.InForce() && !w.LiftedAt.IsZero() && w.LiftedAt.Before(to) {
		to = w.LiftedAt
	}
	if to.Before(w.Start) {
		to = w.Start
	}
	return w.Start.Add(-period), w.Start, w.Start, to
}

// EmergencySources are the emergency-list sources in the warning's areas, by id.
func EmergencySources(reg *registry.Registry, w Warning) []registry.Source {
	var out []registry.Source
	if reg == nil {
		return nil
	}
	for _, s := range reg.Sources {
		if s.EmergencyList && w.Covers(s.Area) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b registry.Source) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// ComputeCompliance builds the table of a warning from the hourly rates of its sources. Hours
// outside the two windows are ignored; a row is made per source and pollutant that has data in
// either window or an emission limit on one of its outlets (a source with neither gets one
// no_data row). It never fails: missing data gives the no_baseline and no_data states.
func ComputeCompliance(w Warning, sources []registry.Source, hours []EmissionHour, period time.Duration, now time.Time) ComplianceTable {
	baseFrom, baseTo, from, to := ComplianceWindows(w, period, now)
	t := ComplianceTable{WarningID: w.ID, Level: w.Level, Areas: slices.Clone(w.Areas),
		BaselineFrom: baseFrom, BaselineTo: baseTo, WarningFrom: from, WarningTo: to, ComputedAt: now, Rows: []ComplianceRow{}}

	type acc struct {
		sum float64
		n   int
	}
	type key struct{ src, pol string }
	base, act := map[key]*acc{}, map[key]*acc{}
	add := func(m map[key]*acc, k key, v float64) {
		a := m[k]
		if a == nil {
			a = &acc{}
			m[k] = a
		}
		a.sum += v
		a.n++
	}
	seen := map[string]map[string]bool{}
	for _, h := range hours {
		if _, ok := pollutantGroup[h.Pollutant]; !ok || math.IsNaN(h.KgH) || math.IsInf(h.KgH, 0) || h.KgH < 0 {
			continue
		}
		k := key{h.Source, h.Pollutant}
		switch {
		case !h.Hour.Before(baseFrom) && h.Hour.Before(baseTo):
			add(base, k, h.KgH)
		case !h.Hour.Before(from) && h.Hour.Before(to):
			add(act, k, h.KgH)
		default:
			continue
		}
		if seen[h.Source] == nil {
			seen[h.Source] = map[string]bool{}
		}
		seen[h.Source][h.Pollutant] = true
	}

	for _, s := range sources {
		pols := maps.Clone(seen[s.ID])
		if pols == nil {
			pols = map[string]bool{}
		}
		for _, o := range s.Outlets {
			for p := range o.Limits {
				if _, ok := pollutantGroup[p]; ok {
					pols[p] = true
				}
			}
		}
		if len(pols) == 0 {
			t.Rows = append(t.Rows, ComplianceRow{Source: s.ID, SourceName: s.Name, Area: s.Area, Status: ComplianceNoData})
			continue
		}
		for _, p := range schema.SourcePollutants {
			if !pols[p] {
				continue
			}
			g := pollutantGroup[p]
			row := ComplianceRow{Source: s.ID, SourceName: s.Name, Area: s.Area, Pollutant: p, Group: g,
				RequiredPct: requiredPct(w.Reduction, g)}
			if a := base[key{s.ID, p}]; a != nil {
				row.BaselineKgH, row.BaselineHours = a.sum/float64(a.n), a.n
			}
			if a := act[key{s.ID, p}]; a != nil {
				row.ActualKgH, row.ActualHours = a.sum/float64(a.n), a.n
			}
			row.Status = judge(&row)
			if row.Status == ComplianceNotCompliant {
				t.NotCompliant++
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// reductionTolerance absorbs float rounding, so that a cut of exactly the ratio is compliant.
const reductionTolerance = 1e-9

func judge(r *ComplianceRow) string {
	switch {
	case r.ActualHours == 0:
		return ComplianceNoData
	case r.BaselineHours == 0 || r.BaselineKgH <= 0:
		return ComplianceNoBaseline
	}
	r.ReductionPct = (r.BaselineKgH - r.ActualKgH) / r.BaselineKgH * 100
	switch {
	case r.RequiredPct <= 0:
		return ComplianceNoRequirement
	case r.ReductionPct+reductionTolerance >= float64(r.RequiredPct):
		return ComplianceOK
	default:
		return ComplianceNotCompliant
	}
}

// ErrNoEmissionSource means the office has no emission data to compute compliance from.
var ErrNoEmissionSource = errors.New("compliance is not available: no emission data source")

// emissionSource is where the office reads emission rates (Options.Emissions).
func (o *Office) emissionSource() (EmissionSource, bool) {
	return o.opts.Emissions, o.opts.Emissions != nil
}

// Compliance computes the compliance table of a warning now, with the baseline taken over
// period before its start (DefaultBaselinePeriod when 0).
func (o *Office) Compliance(ctx context.Context, id string, period time.Duration) (ComplianceTable, error) {
	if period <= 0 {
		period = DefaultBaselinePeriod
	}
	if period > MaxBaselinePeriod {
		return ComplianceTable{}, badRequest("baseline period %s is longer than %s", period, MaxBaselinePeriod)
	}
	w, err := o.opts.Store.Get(id)
	if err != nil {
		return ComplianceTable{}, err
	}
	es, ok := o.emissionSource()
	if !ok {
		return ComplianceTable{}, ErrNoEmissionSource
	}
	now := o.now()
	srcs := EmergencySources(o.opts.Registry, w)
	var hours []EmissionHour
	if len(srcs) > 0 {
		ids := make([]string, len(srcs))
		for i, s := range srcs {
			ids[i] = s.ID
		}
		baseFrom, _, _, to := ComplianceWindows(w, period, now)
		hours, err = es.EmissionHours(ctx, ids, baseFrom, to)
		if err != nil {
			return ComplianceTable{}, fmt.Errorf("compliance of warning %s: %w", id, err)
		}
	}
	return ComputeCompliance(w, srcs, hours, period, now), nil
}
