package office

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"lantian/alert/warning"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Compliance (减排核查): while a warning is in force, each source on the emergency list in the
// warning's areas must cut the MASS it emits of each pollutant over the warning by the level's
// ratio (or its 一厂一策 commitment, when higher) against what it would have emitted at its
// baseline rate; each county's list as a whole, and the warning's whole list, must meet the
// level's ratio. Stopped hours count as zero emission, missing hours are filled with the
// baseline rate (no cut is assumed where nothing is known). See docs/warnings.md, "Compliance".

// DefaultBaselinePeriod is how far before the warning start the CEMS baseline is taken.
const DefaultBaselinePeriod = 7 * 24 * time.Hour

// MaxBaselinePeriod bounds the baseline period a request may ask for.
const MaxBaselinePeriod = 60 * 24 * time.Hour

// OutletHour is what the source monitor stored of one outlet in one hour (emission_hourly),
// with the data flags of the raw readings that tell a stop.
type OutletHour struct {
	Source, Outlet string
	Hour           time.Time // hour start
	// KgH are the valid hourly mean emission rates per pollutant field (dust so2 nox nmhc).
	KgH map[string]float64
	// Flow is the hourly mean flue-gas flow (m³/h), when FlowValid.
	Flow      float64
	FlowValid bool
	// StopFlagged: the logger flagged values of the hour F (停运, HJ 212-2017 §6.6.4).
	StopFlagged bool
}

// EmissionSource gives the stored outlet hours of sources for the hours starting in [from,
// to). The service implements it with ingest/influx's Reader.
type EmissionSource interface {
	OutletHours(ctx context.Context, sources []string, from, to time.Time) ([]OutletHour, error)
}

// Compliance states of a row or total.
const (
	ComplianceOK            = "compliant"
	ComplianceNotCompliant  = "not_compliant"
	ComplianceNoBaseline    = "no_baseline"
	ComplianceNoData        = "no_data"
	ComplianceNoRequirement = "no_requirement"
)

// Baseline kinds of a row.
const (
	BaselinePlan = "plan" // the 一厂一策 plan's baseline_kgh
	BaselineCEMS = "cems" // the mean rate measured before the warning
)

// Hour kinds of a source in a warning hour.
const (
	HourRunning = "running"
	HourStopped = "stopped"
	HourMissing = "missing"
)

// ComplianceRow is one source and pollutant of a warning's compliance table.
type ComplianceRow struct {
	Source     string `json:"source"`
	SourceName string `json:"source_name,omitempty"`
	Area       string `json:"area"`
	AreaName   string `json:"area_name,omitempty"`
	Pollutant  string `json:"pollutant"`
	// Group is the pollutant group of the reduction ratios: SO2, NOx, PM (dust) or VOCs (nmhc).
	Group string `json:"group"`
	// BaselineKgH is the rate the source would have emitted at: the plan's, or the mean of
	// BaselineHours measured hours before the warning.
	BaselineKgH   float64 `json:"baseline_kgh"`
	BaselineKind  string  `json:"baseline_kind,omitempty"`
	BaselineHours int     `json:"baseline_hours"`
	// Hours of the warning so far by kind; missing hours are filled with the baseline rate.
	HoursRunning int `json:"hours_running"`
	HoursStopped int `json:"hours_stopped"`
	HoursMissing int `json:"hours_missing"`
	// EmittedKg is the mass over the warning hours; BaselineKg what the baseline rate gives
	// over the same hours.
	EmittedKg  float64 `json:"emitted_kg"`
	BaselineKg float64 `json:"baseline_kg"`
	// ReductionPct is (BaselineKg − EmittedKg) / BaselineKg × 100; meaningful only when both exist.
	ReductionPct float64 `json:"reduction_pct"`
	// RequiredPct is the higher of the level's ratio (FloorPct) and the 一厂一策 commitment.
	RequiredPct float64 `json:"required_pct"`
	FloorPct    int     `json:"floor_pct"`
	Committed   bool    `json:"committed,omitempty"` // RequiredPct comes from the plan
	// PooledPct is the cut of SO2 and NOx together, by which both are judged where the level
	// pools them (Reduction.PooledSO2NOx); nil otherwise.
	PooledPct *float64 `json:"pooled_pct,omitempty"`
	Status    string   `json:"status"`
}

// ComplianceTotal is the total of a county's listed sources, or of the warning's whole list,
// for one pollutant, judged against the level's ratio (the plan's floor applies to totals).
type ComplianceTotal struct {
	Scope        string  `json:"scope"` // county or list
	ID           string  `json:"id"`    // county id, or the warning id for the list
	Name         string  `json:"name"`
	Pollutant    string  `json:"pollutant"`
	Group        string  `json:"group"`
	Sources      int     `json:"sources"`  // sources with a baseline, in the total
	Excluded     int     `json:"excluded"` // sources without a baseline or data, left out
	EmittedKg    float64 `json:"emitted_kg"`
	BaselineKg   float64 `json:"baseline_kg"`
	ReductionPct float64 `json:"reduction_pct"`
	RequiredPct  float64 `json:"required_pct"`
	// PooledPct: as ComplianceRow.PooledPct.
	PooledPct *float64 `json:"pooled_pct,omitempty"`
	Status    string   `json:"status"`
}

// Total scopes.
const (
	ScopeSource = "source"
	ScopeCounty = "county"
	ScopeList   = "list"
)

// SourcePlan is a listed source's 一厂一策 commitments for the warning's level.
type SourcePlan struct {
	Source     string             `json:"source"`
	SourceName string             `json:"source_name,omitempty"`
	Document   string             `json:"document,omitempty"`
	Measures   []string           `json:"measures"`
	Committed  map[string]float64 `json:"reduction_pct,omitempty"`
	Baseline   map[string]float64 `json:"baseline_kgh,omitempty"`
}

// ComplianceTable is the compliance of one warning's emergency-list sources.
type ComplianceTable struct {
	WarningID    string        `json:"warning_id"`
	Level        warning.Level `json:"level"`
	Areas        []string      `json:"areas"`
	BaselineFrom time.Time     `json:"baseline_from"`
	BaselineTo   time.Time     `json:"baseline_to"`
	WarningFrom  time.Time     `json:"warning_from"`
	WarningTo    time.Time     `json:"warning_to"`
	// Hours is the number of closed warning hours judged.
	Hours        int               `json:"hours"`
	Rows         []ComplianceRow   `json:"rows"`
	Totals       []ComplianceTotal `json:"totals"`
	Plans        []SourcePlan      `json:"plans"`
	NotCompliant int               `json:"not_compliant"`
	ComputedAt   time.Time         `json:"computed_at"`
}

// pollutantGroup maps the CEMS pollutant fields (schema.SourcePollutants) to the reduction
// ratio groups.
var pollutantGroup = map[string]string{
	"dust": "PM",
	"so2":  "SO2",
	"nox":  "NOx",
	"nmhc": "VOCs",
}

// floorPct is the ratio the warning's level requires of a pollutant group.
func floorPct(r warning.Reduction, group string) int {
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

// Span is a time span [From, To).
type Span struct{ From, To time.Time }

func (s Span) covers(t time.Time) bool { return !t.Before(s.From) && t.Before(s.To) }

// ComplianceInput is what ComputeCompliance needs besides the warning and the hours.
type ComplianceInput struct {
	// Period is the CEMS baseline period before the start (DefaultBaselinePeriod when 0).
	Period time.Duration
	Now    time.Time
	// IdleFlow gives an outlet's idle flow (m³/h): an hour at or below it is a stop.
	IdleFlow func(source, outlet string) float64
	// Excluded are earlier warnings in the source's area (by area id) left out of a CEMS baseline.
	Excluded map[string][]Span
	// AreaName names areas (optional).
	AreaName func(id string) string
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
	slices.SortFunc(out, func(a, b registry.Source) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ceilHour is the first hour start at or after t.
func ceilHour(t time.Time) time.Time {
	h := t.Truncate(time.Hour)
	if h.Before(t) {
		h = h.Add(time.Hour)
	}
	return h
}

type outletKey struct{ src, outlet string }

// sourceHours holds one source's stored outlet hours.
type sourceHours struct {
	src   registry.Source
	hours map[outletKey]map[time.Time]OutletHour
	// measures[p] are the outlets that ever gave p or are limited for it: an outlet without an
	// analyser for p does not make every hour of p missing.
	measures map[string][]string
}

// kindAt classifies the source's hour h for pollutant p and gives its rate (kg/h) when running.
func (sh *sourceHours) kindAt(p string, h time.Time, idle func(string, string) float64) (string, float64) {
	outlets := sh.measures[p]
	if len(outlets) == 0 {
		return HourMissing, 0
	}
	stopped, sum, missing := 0, 0.0, false
	for _, o := range outlets {
		oh, ok := sh.hours[outletKey{sh.src.ID, o}][h.UTC()]
		v, valid := oh.KgH[p]
		switch {
		case sh.src.EmergencyPlan.StoppedAt(o, h):
			stopped++
		case ok && oh.FlowValid && oh.Flow <= idle(sh.src.ID, o):
			stopped++
		case ok && valid:
			sum += v
		case ok && oh.StopFlagged:
			stopped++
		default:
			missing = true
		}
	}
	switch {
	case missing:
		return HourMissing, 0
	case stopped == len(outlets):
		return HourStopped, 0
	}
	return HourRunning, sum
}

// declaredStopAt reports whether any outlet of the source is under a declared stop at h.
func declaredStopAt(s registry.Source, h time.Time) bool {
	for _, o := range s.Outlets {
		if s.EmergencyPlan.StoppedAt(o.ID, h) {
			return true
		}
	}
	return false
}

// ComputeCompliance builds the table of a warning from the stored outlet hours of its
// sources. It never fails: missing data gives the no_baseline and no_data states.
func ComputeCompliance(w Warning, sources []registry.Source, hours []OutletHour, in ComplianceInput) ComplianceTable {
	baseFrom, baseTo, from, to := ComplianceWindows(w, in.Period, in.Now)
	idle := in.IdleFlow
	if idle == nil {
		idle = func(string, string) float64 { return 0 }
	}
	name := in.AreaName
	if name == nil {
		name = func(id string) string { return id }
	}
	t := ComplianceTable{WarningID: w.ID, Level: w.Level, Areas: slices.Clone(w.Areas),
		BaselineFrom: baseFrom, BaselineTo: baseTo, WarningFrom: from, WarningTo: to, ComputedAt: in.Now,
		Rows: []ComplianceRow{}, Totals: []ComplianceTotal{}, Plans: []SourcePlan{}}

	bySource := map[string]*sourceHours{}
	for _, s := range sources {
		sh := &sourceHours{src: s, hours: map[outletKey]map[time.Time]OutletHour{}, measures: map[string][]string{}}
		bySource[s.ID] = sh
		for _, o := range s.Outlets {
			for p := range o.Limits {
				sh.addMeasure(p, o.ID)
			}
		}
	}
	// The warning hours end at the last hour any listed source has stored: later hours are not
	// closed yet by the source monitor, and are not judged missing.
	var last time.Time
	for _, h := range hours {
		sh := bySource[h.Source]
		if sh == nil || h.Hour.Before(baseFrom) || !h.Hour.Before(to) {
			continue
		}
		k := outletKey{h.Source, h.Outlet}
		if sh.hours[k] == nil {
			sh.hours[k] = map[time.Time]OutletHour{}
		}
		// Rows of one outlet hour may come apart (one per field); they are merged.
		clean, seen := sh.hours[k][h.Hour.UTC()]
		if !seen {
			clean = OutletHour{Source: h.Source, Outlet: h.Outlet, Hour: h.Hour, KgH: map[string]float64{}}
		}
		clean.StopFlagged = clean.StopFlagged || h.StopFlagged
		if h.FlowValid {
			clean.Flow, clean.FlowValid = h.Flow, true
		}
		for p, v := range h.KgH {
			if _, ok := pollutantGroup[p]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 {
				clean.KgH[p] = v
				sh.addMeasure(p, h.Outlet)
			}
		}
		sh.hours[k][h.Hour.UTC()] = clean
		if !h.Hour.Before(from) && h.Hour.After(last) {
			last = h.Hour
		}
	}
	var warnHours []time.Time
	for h := ceilHour(from); !h.Add(time.Hour).After(to) && !h.After(last); h = h.Add(time.Hour) {
		warnHours = append(warnHours, h)
	}
	t.Hours = len(warnHours)

	type totKey struct{ scope, id, p string }
	totals := map[totKey]*ComplianceTotal{}
	var totOrder []totKey
	addTotal := func(scope, id, nm, p string, r ComplianceRow) {
		k := totKey{scope, id, p}
		tot := totals[k]
		if tot == nil {
			g := pollutantGroup[p]
			tot = &ComplianceTotal{Scope: scope, ID: id, Name: nm, Pollutant: p, Group: g, RequiredPct: float64(floorPct(w.Reduction, g))}
			totals[k] = tot
			totOrder = append(totOrder, k)
		}
		if r.Status != ComplianceOK && r.Status != ComplianceNotCompliant && r.Status != ComplianceNoRequirement {
			tot.Excluded++
			return
		}
		tot.Sources++
		tot.EmittedKg += r.EmittedKg
		tot.BaselineKg += r.BaselineKg
	}

	level := w.Level.String()
	var firsts []int // index of each source's first row
	for _, s := range sources {
		sh := bySource[s.ID]
		plan := s.EmergencyPlan
		meas, hasMeas := plan.Measures(level)
		if plan != nil {
			if !hasMeas {
				meas.Measures = []string{}
			}
			sp := SourcePlan{Source: s.ID, SourceName: s.Name, Document: plan.Document, Measures: meas.Measures,
				Committed: meas.ReductionPct, Baseline: plan.BaselineKgH}
			t.Plans = append(t.Plans, sp)
		}
		pols := slices.Sorted(func(yield func(string) bool) {
			for p := range sh.measures {
				if !yield(p) {
					return
				}
			}
		})
		for p := range planBaseline(plan) {
			if !slices.Contains(pols, p) {
				pols = append(pols, p)
			}
		}
		if len(pols) == 0 {
			t.Rows = append(t.Rows, ComplianceRow{Source: s.ID, SourceName: s.Name, Area: s.Area, AreaName: name(s.Area), Status: ComplianceNoData})
			continue
		}
		firsts = append(firsts, len(t.Rows))
		for _, p := range schema.SourcePollutants {
			if !slices.Contains(pols, p) {
				continue
			}
			g := pollutantGroup[p]
			floor := floorPct(w.Reduction, g)
			row := ComplianceRow{Source: s.ID, SourceName: s.Name, Area: s.Area, AreaName: name(s.Area), Pollutant: p, Group: g,
				FloorPct: floor, RequiredPct: float64(floor)}
			if c, ok := meas.ReductionPct[p]; hasMeas && ok && c > row.RequiredPct {
				row.RequiredPct, row.Committed = c, true
			}
			// Baseline: the plan's, else the CEMS mean over the period, leaving out earlier
			// warnings and declared stops; an undeclared stop counts as zero, missing hours not.
			if v, ok := planBaseline(plan)[p]; ok {
				row.BaselineKgH, row.BaselineKind = v, BaselinePlan
			} else {
				sum, n := 0.0, 0
			hours:
				for h := ceilHour(baseFrom); h.Before(baseTo); h = h.Add(time.Hour) {
					for _, sp := range in.Excluded[s.Area] {
						if sp.covers(h) {
							continue hours
						}
					}
					if declaredStopAt(s, h) {
						continue
					}
					kind, v := sh.kindAt(p, h, idle)
					if kind == HourMissing {
						continue
					}
					sum += v
					n++
				}
				if n > 0 {
					row.BaselineKgH, row.BaselineKind, row.BaselineHours = sum/float64(n), BaselineCEMS, n
				}
			}
			for _, h := range warnHours {
				kind, v := sh.kindAt(p, h, idle)
				switch kind {
				case HourRunning:
					row.HoursRunning++
					row.EmittedKg += v
				case HourStopped:
					row.HoursStopped++
				default:
					row.HoursMissing++
					row.EmittedKg += row.BaselineKgH
				}
			}
			row.BaselineKg = row.BaselineKgH * float64(len(warnHours))
			row.Status = judge(&row)
			t.Rows = append(t.Rows, row)
			addTotal(ScopeCounty, s.Area, name(s.Area), p, row)
			addTotal(ScopeList, w.ID, "应急减排清单 "+w.ID, p, row)
		}
	}
	// Counties first (by id), then the list; pollutants in schema order.
	slices.SortStableFunc(totOrder, func(a, b totKey) int {
		if a.scope != b.scope {
			return strings.Compare(scopeRank(a.scope), scopeRank(b.scope))
		}
		if a.id != b.id {
			return strings.Compare(a.id, b.id)
		}
		return slices.Index(schema.SourcePollutants[:], a.p) - slices.Index(schema.SourcePollutants[:], b.p)
	})
	for _, k := range totOrder {
		tot := totals[k]
		tot.Status = judgeTotal(tot)
		t.Totals = append(t.Totals, *tot)
	}
	if w.Reduction.PooledSO2NOx {
		for i, f := range firsts {
			end := len(t.Rows)
			if i+1 < len(firsts) {
				end = firsts[i+1]
			}
			poolRows(t.Rows[f:end])
		}
		poolTotals(t.Totals)
	}
	for _, r := range t.Rows {
		if r.Status == ComplianceNotCompliant {
			t.NotCompliant++
		}
	}
	for _, tt := range t.Totals {
		if tt.Status == ComplianceNotCompliant {
			t.NotCompliant++
		}
	}
	return t
}

// pooledJudge judges SO2 and NOx together where the level pools them (the 乌-昌-石 regional
// announcements: "SO2、NOx 可统筹"): their summed mass must be cut by the required ratio, and
// each of the two is judged by that pooled cut.
func pooledJudge(so2, nox *float64, e1, b1, e2, b2 float64, st1, st2 *string, req1, req2 float64) {
	if b1+b2 <= 0 {
		return
	}
	pct := (b1 + b2 - e1 - e2) / (b1 + b2) * 100
	req := math.Max(req1, req2)
	status := ComplianceNotCompliant
	if pct+reductionTolerance >= req {
		status = ComplianceOK
	}
	*so2, *nox, *st1, *st2 = pct, pct, status, status
}

func judged(status string) bool { return status == ComplianceOK || status == ComplianceNotCompliant }

// poolRows pools the SO2 and NOx rows of one source, when both are judged.
func poolRows(rows []ComplianceRow) {
	i := slices.IndexFunc(rows, func(r ComplianceRow) bool { return r.Pollutant == "so2" })
	j := slices.IndexFunc(rows, func(r ComplianceRow) bool { return r.Pollutant == "nox" })
	if i < 0 || j < 0 || !judged(rows[i].Status) || !judged(rows[j].Status) {
		return
	}
	a, b := &rows[i], &rows[j]
	var p1, p2 float64
	pooledJudge(&p1, &p2, a.EmittedKg, a.BaselineKg, b.EmittedKg, b.BaselineKg, &a.Status, &b.Status, a.RequiredPct, b.RequiredPct)
	a.PooledPct, b.PooledPct = &p1, &p2
}

// poolTotals pools the SO2 and NOx totals of each county and of the list.
func poolTotals(tots []ComplianceTotal) {
	for i := range tots {
		if tots[i].Pollutant != "so2" || !judged(tots[i].Status) {
			continue
		}
		j := slices.IndexFunc(tots, func(x ComplianceTotal) bool {
			return x.Scope == tots[i].Scope && x.ID == tots[i].ID && x.Pollutant == "nox"
		})
		if j < 0 || !judged(tots[j].Status) {
			continue
		}
		a, b := &tots[i], &tots[j]
		var p1, p2 float64
		pooledJudge(&p1, &p2, a.EmittedKg, a.BaselineKg, b.EmittedKg, b.BaselineKg, &a.Status, &b.Status, a.RequiredPct, b.RequiredPct)
		a.PooledPct, b.PooledPct = &p1, &p2
	}
}

func scopeRank(s string) string {
	if s == ScopeCounty {
		return "0"
	}
	return "1"
}

func (sh *sourceHours) addMeasure(p, outlet string) {
	if _, ok := pollutantGroup[p]; ok && !slices.Contains(sh.measures[p], outlet) {
		sh.measures[p] = append(sh.measures[p], outlet)
	}
}

// planBaseline is the plan's baseline per pollutant (none without a plan).
func planBaseline(p *registry.EmergencyPlan) map[string]float64 {
	if p == nil {
		return nil
	}
	return p.BaselineKgH
}

// reductionTolerance absorbs float rounding, so that a cut of exactly the ratio is compliant.
const reductionTolerance = 1e-9

func judge(r *ComplianceRow) string {
	switch {
	case r.HoursRunning+r.HoursStopped == 0:
		return ComplianceNoData
	case r.BaselineKgH <= 0:
		return ComplianceNoBaseline
	}
	r.ReductionPct = (r.BaselineKg - r.EmittedKg) / r.BaselineKg * 100
	switch {
	case r.RequiredPct <= 0:
		return ComplianceNoRequirement
	case r.ReductionPct+reductionTolerance >= r.RequiredPct:
		return ComplianceOK
	default:
		return ComplianceNotCompliant
	}
}

func judgeTotal(t *ComplianceTotal) string {
	switch {
	case t.Sources == 0:
		return ComplianceNoData
	case t.BaselineKg <= 0:
		return ComplianceNoBaseline
	}
	t.ReductionPct = (t.BaselineKg - t.EmittedKg) / t.BaselineKg * 100
	switch {
	case t.RequiredPct <= 0:
		return ComplianceNoRequirement
	case t.ReductionPct+reductionTolerance >= t.RequiredPct:
		return ComplianceOK
	default:
		return ComplianceNotCompliant
	}
}

// ErrNoEmissionSource means the office has no emission data to compute compliance from.
var ErrNoEmissionSource = errors.New("compliance is not available: no emission data source")

// Compliance computes the compliance table of a warning now, with the CEMS baseline taken over
// period before its start (the configured period when 0).
func (o *Office) Compliance(ctx context.Context, id string, period time.Duration) (ComplianceTable, error) {
	if period <= 0 {
		period = o.opts.Compliance.BaselinePeriod()
	}
	if period > MaxBaselinePeriod {
		return ComplianceTable{}, badRequest("baseline period %s is longer than %s", period, MaxBaselinePeriod)
	}
	w, err := o.opts.Store.Get(id)
	if err != nil {
		return ComplianceTable{}, err
	}
	return o.computeCompliance(ctx, w, period)
}

func (o *Office) computeCompliance(ctx context.Context, w Warning, period time.Duration) (ComplianceTable, error) {
	es := o.opts.Emissions
	if es == nil {
		return ComplianceTable{}, ErrNoEmissionSource
	}
	now := o.now()
	srcs := EmergencySources(o.opts.Registry, w)
	in := ComplianceInput{Period: period, Now: now, IdleFlow: o.opts.IdleFlow, AreaName: o.areaName, Excluded: map[string][]Span{}}
	var hours []OutletHour
	if len(srcs) > 0 {
		ids := make([]string, len(srcs))
		for i, s := range srcs {
			ids[i] = s.ID
		}
		baseFrom, _, _, to := ComplianceWindows(w, period, now)
		var err error
		hours, err = es.OutletHours(ctx, ids, baseFrom, to)
		if err != nil {
			return ComplianceTable{}, fmt.Errorf("compliance of warning %s: %w", w.ID, err)
		}
		all, err := o.opts.Store.List(true)
		if err != nil {
			return ComplianceTable{}, fmt.Errorf("compliance of warning %s: earlier warnings: %w", w.ID, err)
		}
		for _, e := range all {
			if e.ID == w.ID || !e.Start.Before(w.Start) {
				continue
			}
			end := now
			if !e.InForce() && !e.LiftedAt.IsZero() {
				end = e.LiftedAt
			}
			for _, a := range e.Areas {
				in.Excluded[a] = append(in.Excluded[a], Span{e.Start, end})
			}
		}
	}
	return ComputeCompliance(w, srcs, hours, in), nil
}
