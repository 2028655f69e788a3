package source

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"lantian/ingest/registry"
)

// ReportInput is everything `lantian sources report --from --to` needs.
type ReportInput struct {
	// Sources are the registered sources; the report has one row per outlet, and one "*" row
	// per source, in order of source id and outlet id.
	Sources []registry.Source
	// From and To bound the report, [From, To); both must be local midnights (Config.Location)
	// because the data-quality rules judge whole days.
	From, To time.Time
	// Hours of any outlets. Hours before From or from To on are used only as context for
	// drop_after_notice; the other figures count the hours in [From, To).
	Hours   []Hour
	Limits  map[OutletKey]Limits
	Notices []Notice
	Stops   []StopPeriod
	Config  Config
}

// ReportHeader returns the CSV header of Report (docs/sources.md describes each column).
func ReportHeader() []string {
	h := []string{"source", "source_name", "county", "industry", "outlet", "outlet_name", "from", "to",
		"hours", "hours_with_data"}
	for _, p := range Pollutants() {
		h = append(h, p+"_limit", p+"_events", p+"_exceed_hours", p+"_flagged_hours", p+"_kg", p+"_kg_hours")
	}
	return append(h, "qc_days", "qc_findings", "qc_score_mean", "qc_rules", "stagger_hours")
}

type pollRow struct {
	limit                          float64
	hasLimit                       bool
	events, exceedHours, flagHours int
	kg                             float64
	kgHours                        int
}

type row struct {
	hours, withData int
	poll            map[string]*pollRow
	qcDays          int
	qcScoreSum      float64
	qcRules         map[Rule]int
	staggerHours    int
}

func newRow() *row {
	r := &row{poll: make(map[string]*pollRow), qcRules: make(map[Rule]int)}
	for _, p := range Pollutants() {
		r.poll[p] = &pollRow{}
	}
	return r
}

func (r *row) addTo(t *row) {
	t.hours += r.hours
	t.withData += r.withData
	for _, p := range Pollutants() {
		a, b := r.poll[p], t.poll[p]
		b.events += a.events
		b.exceedHours += a.exceedHours
		b.flagHours += a.flagHours
		b.kg += a.kg
		b.kgHours += a.kgHours
		b.hasLimit = b.hasLimit || a.hasLimit
	}
	t.qcDays += r.qcDays
	t.qcScoreSum += r.qcScoreSum
	for k, v := range r.qcRules {
		t.qcRules[k] += v
	}
	t.staggerHours += r.staggerHours
}

// Report writes the per-outlet report as CSV: exceedance events and hours, emissions and
// data-quality findings for [From, To).
func Report(w io.Writer, in ReportInput) error {
	cfg := in.Config
	chk, err := NewChecker(cfg)
	if err != nil {
		return err
	}
	loc := chk.loc
	for _, t := range []time.Time{in.From, in.To} {
		l := t.In(loc)
		if l.Hour() != 0 || l.Minute() != 0 || l.Second() != 0 || l.Nanosecond() != 0 {
			return fmt.Errorf("report bounds must be local midnights in %s, got %s", loc, l.Format(time.RFC3339))
		}
	}
	if !in.To.After(in.From) {
		return fmt.Errorf("report end %s is not after its start %s", in.To.Format(time.RFC3339), in.From.Format(time.RFC3339))
	}
	var errs []error
	for _, sp := range in.Stops {
		if err := sp.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("report: %w", err)
	}

	byOutlet := make(map[OutletKey][]Hour)
	for _, h := range in.Hours {
		byOutlet[h.Key()] = append(byOutlet[h.Key()], h)
	}
	for _, hs := range byOutlet {
		sortHours(hs)
	}
	stagger := make(map[OutletKey]int)
	var inRange []Hour
	for _, h := range in.Hours {
		if inside(h.Start, in.From, in.To) {
			inRange = append(inRange, h)
		}
	}
	for _, f := range chk.Staggered(in.Stops, inRange) {
		stagger[f.Key()] += f.Hours
	}

	sources := slices.Clone(in.Sources)
	slices.SortFunc(sources, func(a, b registry.Source) int { return strings.Compare(a.ID, b.ID) })
	cw := csv.NewWriter(w)
	if err := cw.Write(ReportHeader()); err != nil {
		return fmt.Errorf("writing report header: %w", err)
	}
	from, to := in.From.In(loc).Format(time.RFC3339), in.To.In(loc).Format(time.RFC3339)
	for _, s := range sources {
		outlets := slices.Clone(s.Outlets)
		slices.SortFunc(outlets, func(a, b registry.Outlet) int { return strings.Compare(a.ID, b.ID) })
		total := newRow()
		for _, o := range outlets {
			k := OutletKey{s.ID, o.ID}
			r, err := outletRow(chk, in, k, byOutlet[k])
			if err != nil {
				return err
			}
			r.staggerHours = stagger[k]
			r.addTo(total)
			rec := append([]string{s.ID, s.Name, s.Area, s.Industry, o.ID, o.Name, from, to}, r.fields()...)
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("writing report row %s: %w", k, err)
			}
		}
		for _, p := range Pollutants() {
			total.poll[p].limit = 0 // limits differ by outlet; the total row shows none
		}
		rec := append([]string{s.ID, s.Name, s.Area, s.Industry, "*", "", from, to}, total.fields()...)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("writing report total of %s: %w", s.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

func inside(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

func outletRow(chk *Checker, in ReportInput, k OutletKey, hours []Hour) (*row, error) {
	r := newRow()
	r.hours = int(in.To.Sub(in.From) / time.Hour)
	lim := in.Limits[k]
	for p, v := range lim.Values {
		if pr := r.poll[p]; pr != nil {
			pr.limit, pr.hasLimit = v, true
		}
	}
	tr, err := NewTracker(in.Config)
	if err != nil {
		return nil, err
	}
	for _, h := range hours {
		if !inside(h.Start, in.From, in.To) {
			continue
		}
		if h.Samples > 0 {
			r.withData++
		}
		if _, _, err := tr.Observe(h, lim); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		for p, e := range HourEmissions(h) {
			r.poll[p].kg += e.Kg
			r.poll[p].kgHours++
		}
	}
	for p := range lim.Values {
		if pr := r.poll[p]; pr != nil {
			c := tr.Counters(k, p)
			pr.events, pr.exceedHours, pr.flagHours = c.Events, c.ExceedingHours, c.FlaggedHours
		}
	}
	for d := in.From; d.Before(in.To); d = nextDay(d, chk.loc) {
		dq := chk.Day(DayInput{Source: k.Source, Outlet: k.Outlet, Day: d, Hours: hours, Limits: lim, Notices: in.Notices})
		r.qcDays++
		r.qcScoreSum += dq.Score
		for _, f := range dq.Findings {
			r.qcRules[f.Rule]++
		}
	}
	return r, nil
}

func nextDay(d time.Time, loc *time.Location) time.Time {
	l := d.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

func (r *row) fields() []string {
	out := []string{strconv.Itoa(r.hours), strconv.Itoa(r.withData)}
	for _, p := range Pollutants() {
		pr := r.poll[p]
		limit, ev, ex, fl := "", "", "", ""
		if pr.limit > 0 {
			limit = strconv.FormatFloat(pr.limit, 'f', -1, 64)
		}
		if pr.hasLimit {
			ev, ex, fl = strconv.Itoa(pr.events), strconv.Itoa(pr.exceedHours), strconv.Itoa(pr.flagHours)
		}
		out = append(out, limit, ev, ex, fl, strconv.FormatFloat(pr.kg, 'f', 3, 64), strconv.Itoa(pr.kgHours))
	}
	findings := 0
	var rules []string
	for _, rule := range slices.Sorted(maps.Keys(r.qcRules)) {
		findings += r.qcRules[rule]
		rules = append(rules, fmt.Sprintf("%s:%d", rule, r.qcRules[rule]))
	}
	score := ""
	if r.qcDays > 0 {
		score = strconv.FormatFloat(r.qcScoreSum/float64(r.qcDays), 'f', 1, 64)
	}
	return append(out, strconv.Itoa(r.qcDays), strconv.Itoa(findings), score, strings.Join(rules, ";"), strconv.Itoa(r.staggerHours))
}
