package source

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// StopPeriod is a heating-season staggered-production (错峰生产) order: the source (or the
// listed outlets) must not produce in [From, To).
type StopPeriod struct {
	Source string
	// Outlets limits the order to these outlets; empty means every outlet of the source.
	Outlets  []string
	From, To time.Time
	// Reference is the order's document number, copied into the finding.
	Reference string
}

// Producing reports whether an hour shows production: flow above the idle flow and at least one
// pollutant with an idle threshold above it, all as valid hourly means. Both are required,
// because flow alone may be a fan kept running and a concentration alone an analyser drifting.
func Producing(h Hour, idle Idle) bool {
	f := h.Field(FieldFlow)
	if f.Status != StatusValid || f.Mean <= idle.FlowM3h {
		return false
	}
	for _, p := range Pollutants() {
		lim, ok := idle.Conc[p]
		if s := h.Field(p); ok && s.Status == StatusValid && s.Mean > lim {
			return true
		}
	}
	return false
}

// Staggered returns a finding for every run of at least StaggerMinHours consecutive producing
// hours of an outlet inside a stop period that covers it. Hours may come in any order.
func (c *Checker) Staggered(stops []StopPeriod, hours []Hour) []Finding {
	hs := slices.Clone(hours)
	sortHours(hs)
	var out []Finding
	for _, sp := range stops {
		var run []Hour
		flush := func() {
			if len(run) >= c.cfg.StaggerMinHours {
				first, last := run[0], run[len(run)-1]
				ref := sp.Reference
				if ref == "" {
					ref = "stop order"
				}
				out = append(out, Finding{
					Rule: RuleStaggeredProd, Source: first.Source, Outlet: first.Outlet,
					Start: first.Start, End: last.End(), Hours: len(run), Value: float64(len(run)),
					Detail: fmt.Sprintf("production for %d hours during the stop period %s – %s (%s)",
						len(run), sp.From.In(c.loc).Format("2006-01-02 15:04"), sp.To.In(c.loc).Format("2006-01-02 15:04"), ref),
				})
			}
			run = run[:0]
		}
		for _, h := range hs {
			if h.Source != sp.Source || (len(sp.Outlets) > 0 && !slices.Contains(sp.Outlets, h.Outlet)) ||
				h.Start.Before(sp.From) || !h.Start.Before(sp.To) {
				continue
			}
			if len(run) > 0 {
				prev := run[len(run)-1]
				if prev.Key() != h.Key() || !prev.End().Equal(h.Start) {
					flush()
				}
			}
			if Producing(h, c.cfg.IdleFor(h.Key())) {
				run = append(run, h)
			} else {
				flush()
			}
		}
		flush()
	}
	sortFindings(out)
	return out
}

// Validate checks that the order names a source and a non-empty period.
func (sp StopPeriod) Validate() error {
	if sp.Source == "" {
		return fmt.Errorf("stop period %s – %s: no source", sp.From.Format(time.RFC3339), sp.To.Format(time.RFC3339))
	}
	if !sp.To.After(sp.From) {
		label := sp.Source
		if len(sp.Outlets) > 0 {
			label += "/" + strings.Join(sp.Outlets, ",")
		}
		return fmt.Errorf("stop period of %s: end %s is not after start %s", label,
			sp.To.Format(time.RFC3339), sp.From.Format(time.RFC3339))
	}
	return nil
}
