package office

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/schema"
)

// complianceMetrics are the live gauges of the compliance check.
type complianceMetrics struct {
	reduction *prometheus.GaugeVec
	required  *prometheus.GaugeVec
	below     *prometheus.GaugeVec

	mu     sync.Mutex
	series map[string][]string // label values set by the last check
}

func newComplianceMetrics() *complianceMetrics {
	labels := []string{"warning_id", "scope", "id", "county", "pollutant"}
	return &complianceMetrics{
		reduction: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_warning_compliance_reduction_pct",
			Help: "Mass cut (%) of a listed source, a county's list or the warning's whole list against the baseline, per pollutant, for the warnings in force.",
		}, labels),
		required: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_warning_compliance_required_pct",
			Help: "Cut (%) required: the level's ratio, or a source's 一厂一策 commitment when higher.",
		}, labels),
		below: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_warning_compliance_below",
			Help: "1 when the cut is below the required one and the warning is past its grace period, else 0.",
		}, labels),
	}
}

// retain deletes the series not set in the last check.
func (m *complianceMetrics) retain(seen map[string][]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, lv := range m.series {
		if _, ok := seen[k]; !ok {
			m.reduction.DeleteLabelValues(lv...)
			m.required.DeleteLabelValues(lv...)
			m.below.DeleteLabelValues(lv...)
		}
	}
	m.series = seen
}

func (m *complianceMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.reduction, m.required, m.below}
}

// complianceItem is one judged row or total, flattened for gauges, points and alerts.
type complianceItem struct {
	scope, id, county, name, pollutant, group, status string
	reduction, required, emitted, baseline            float64
	running, stopped, missing                         int
}

func complianceItems(t ComplianceTable) []complianceItem {
	var out []complianceItem
	for _, r := range t.Rows {
		if r.Pollutant == "" {
			continue
		}
		out = append(out, complianceItem{ScopeSource, r.Source, r.Area, r.SourceName, r.Pollutant, r.Group, r.Status,
			r.ReductionPct, r.RequiredPct, r.EmittedKg, r.BaselineKg, r.HoursRunning, r.HoursStopped, r.HoursMissing})
	}
	for _, tt := range t.Totals {
		county := ""
		if tt.Scope == ScopeCounty {
			county = tt.ID
		}
		out = append(out, complianceItem{tt.Scope, tt.ID, county, tt.Name, tt.Pollutant, tt.Group, tt.Status,
			tt.ReductionPct, tt.RequiredPct, tt.EmittedKg, tt.BaselineKg, 0, 0, 0})
	}
	return out
}

// checkCompliance computes the table of every warning in force (and of warnings lifted since
// the last check, for their final figures), writes warning_compliance points, sets the gauges
// and fires or resolves the EmergencyReductionNotMet alerts.
func (o *Office) checkCompliance(ctx context.Context) {
	if o.opts.Emissions == nil {
		return
	}
	now := o.now()
	all, err := o.opts.Store.List(true)
	if err != nil {
		o.opts.Log.Warn("compliance: list warnings", "err", err)
		return
	}
	cfg := o.opts.Compliance
	var lines [][]byte
	firing := map[string]Alert{}
	// Series are replaced, not reset first: a scrape in the middle of a check must not miss a
	// series (that would restart the "for" of the Prometheus rule).
	seen := map[string][]string{}
	for _, w := range all {
		if !w.InForce() && (w.LiftedAt.IsZero() || now.Sub(w.LiftedAt) > 2*cfg.Interval) {
			continue
		}
		t, err := o.computeCompliance(ctx, w, cfg.BaselinePeriod())
		if err != nil {
			if ctx.Err() == nil {
				o.opts.Log.Warn("compliance not computed", "warning", w.ID, "err", err)
			}
			continue
		}
		pastGrace := w.InForce() && now.Sub(w.Start) >= cfg.Grace
		at := now.Truncate(time.Minute)
		for _, it := range complianceItems(t) {
			below := pastGrace && it.status == ComplianceNotCompliant
			if w.InForce() {
				lv := []string{w.ID, it.scope, it.id, it.county, it.pollutant}
				o.cm.reduction.WithLabelValues(lv...).Set(it.reduction)
				o.cm.required.WithLabelValues(lv...).Set(it.required)
				o.cm.below.WithLabelValues(lv...).Set(b2f(below))
				seen[strings.Join(lv, "\x00")] = lv
			}
			county := it.county
			if it.scope == ScopeList {
				county = listCounty(w)
			}
			// Every field on every point: the board pivots them into one table, and InfluxDB
			// 1.8's Flux fails on a column one table lacks.
			l := newLine(schema.WarningCompliance).Tag(schema.TagCounty, county).Tag(schema.TagID, it.id).
				Tag(schema.TagPollutant, it.pollutant).Tag(schema.TagScope, it.scope).Tag(schema.TagWarningID, w.ID)
			l.String(schema.FieldStatus, it.status).String(schema.FieldName, it.name).
				Float(schema.FieldReductionPct, it.reduction).Float(schema.FieldRequiredPct, it.required).
				Float(schema.FieldEmittedKg, it.emitted).Float(schema.FieldBaselineKg, it.baseline).
				Int(schema.FieldHoursRunning, int64(it.running)).Int(schema.FieldHoursStopped, int64(it.stopped)).
				Int(schema.FieldHoursMissing, int64(it.missing)).Int(schema.FieldWarningHours, int64(t.Hours)).
				Bool(schema.FieldBelowAfterGrace, below)
			lines = append(lines, l.At(at))
			if below {
				a := complianceAlert(w, it, now)
				firing[alertKey(a)] = a
			}
		}
	}
	o.cm.retain(seen)
	var alerts []Alert
	o.mu.Lock()
	for k, a := range o.compAlerts {
		if _, ok := firing[k]; !ok {
			a.EndsAt = now
			alerts = append(alerts, a)
			delete(o.compAlerts, k)
		}
	}
	for _, k := range slices.Sorted(mapsKeys(firing)) {
		alerts = append(alerts, firing[k])
		o.compAlerts[k] = firing[k]
	}
	o.mu.Unlock()
	o.opts.Notifier.Notify(alerts...)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := o.submitAll(wctx, lines); err != nil {
		o.opts.Log.Warn("compliance points not written to InfluxDB", "err", err)
	}
}

// listCounty is the county tag of a warning's list total: its region, or its one area, so that
// the board's area variable selects it.
func listCounty(w Warning) string {
	switch {
	case w.Region != "":
		return w.Region
	case len(w.Areas) == 1:
		return w.Areas[0]
	}
	return strings.Join(w.Areas, "+")
}

func mapsKeys(m map[string]Alert) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func alertKey(a Alert) string {
	return a.Labels["warning_id"] + "|" + a.Labels["scope"] + "|" + a.Labels["id"] + "|" + a.Labels["pollutant"]
}

// scopeZH names a scope in Chinese for alert texts.
var scopeZH = map[string]string{ScopeSource: "企业", ScopeCounty: "县市清单合计", ScopeList: "应急减排清单合计"}

var pollutantZH = map[string]string{"dust": "颗粒物", "so2": "二氧化硫", "nox": "氮氧化物", "nmhc": "挥发性有机物(非甲烷总烃)"}

func complianceAlert(w Warning, it complianceItem, now time.Time) Alert {
	return Alert{
		Labels: map[string]string{"alertname": "EmergencyReductionNotMet", "warning_id": w.ID, "scope": it.scope,
			"id": it.id, "county": it.county, "pollutant": it.pollutant, "level": w.Level.String(), "severity": "warning"},
		Annotations: map[string]string{
			"summary": fmt.Sprintf("%s %s %s 减排未达标: %.1f%% < %.0f%% (%s %s)", scopeZH[it.scope], it.name, pollutantZH[it.pollutant],
				it.reduction, it.required, w.Level.Chinese(), w.ID),
			"description": fmt.Sprintf("预警 %s 期间 %s 排放 %.1f kg, 基准 %.1f kg, 减排 %.1f%%, 要求不低于 %.0f%%。", w.ID, it.name,
				it.emitted, it.baseline, it.reduction, it.required),
		},
		StartsAt: now,
	}
}
