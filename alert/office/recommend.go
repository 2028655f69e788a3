package office

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"lantian/alert/aqi"
	"lantian/alert/warning"
	"lantian/ingest/schema"
)

// AreaRecommendation is the current recommendation for an area or region, as the API and the
// console show it.
type AreaRecommendation struct {
	Area   string `json:"area"`
	Name   string `json:"name"`
	Scheme string `json:"scheme"`
	// Region is set when a unified regional warning decides the level; IsRegion marks the
	// recommendation of a region itself.
	Region   string         `json:"region,omitempty"`
	IsRegion bool           `json:"is_region,omitempty"`
	Action   warning.Action `json:"action"`
	// Level is the level recommended to be in force; Current the level in force.
	Level    warning.Level `json:"level"`
	Current  warning.Level `json:"current"`
	Forecast warning.Level `json:"forecast_level"`
	Reason   string        `json:"reason"`
	// ReasonZH is the reason in Chinese, what the console, the alerts and the board show first.
	ReasonZH  string            `json:"reason_zh"`
	Lift      string            `json:"lift,omitempty"`
	LiftZH    string            `json:"lift_zh,omitempty"`
	LiftMet   bool              `json:"lift_met"`
	Reduction warning.Reduction `json:"reduction"`
	// Episode is the kind of the due episode (pm, sand_dust, o3), Advice what it calls for.
	Episode string `json:"episode,omitempty"`
	Advice  string `json:"advice,omitempty"`
	// Observed counts the observed days graded with the forecast.
	Observed       int       `json:"observed_days"`
	ForecastIssued time.Time `json:"forecast_issued,omitzero"`
	ForecastSource string    `json:"forecast_source,omitempty"`
	Evaluated      time.Time `json:"evaluated"`
}

// Recommendations returns the current recommendations, regions first, then by area.
func (o *Office) Recommendations() []AreaRecommendation {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := slices.Collect(maps.Values(o.recs))
	slices.SortFunc(out, func(a, b AreaRecommendation) int {
		if a.IsRegion != b.IsRegion {
			if a.IsRegion {
				return -1
			}
			return 1
		}
		if a.Area < b.Area {
			return -1
		}
		if a.Area > b.Area {
			return 1
		}
		return 0
	})
	return out
}

// inForce maps each area (and region with a unified warning) to its warning in force.
func (o *Office) inForce() (map[string]Warning, error) {
	ws, err := o.opts.Store.List(false)
	if err != nil {
		return nil, err
	}
	out := map[string]Warning{}
	for _, w := range ws {
		for _, a := range w.Areas {
			out[a] = w
		}
		if w.Region != "" {
			out[w.Region] = w
		}
	}
	return out, nil
}

// recompute evaluates every area with a current forecast: regions first (a unified warning
// applies to every member), then the other areas. Days of a forecast that have passed are
// dropped (they are observed now), so a forecast ages out by itself.
func (o *Office) recompute(ctx context.Context) {
	o.runMu.Lock()
	defer o.runMu.Unlock()
	now := o.now()
	loc := o.opts.Location
	today := aqi.DateOf(now.In(loc))
	inForce, err := o.inForce()
	if err != nil {
		o.opts.Log.Error("recommendations not evaluated: cannot read the warning store", "err", err)
		return
	}
	o.mu.Lock()
	forecasts := maps.Clone(o.forecasts)
	o.mu.Unlock()

	inputs := map[string]warning.Input{}
	for area, f := range forecasts {
		in, ok := f.input(today, now.Truncate(time.Hour))
		if !ok {
			continue
		}
		in.Observed = o.observed(ctx, area, in.Days[0].Date)
		inputs[area] = in
	}
	s := o.opts.Scheme
	recs := map[string]AreaRecommendation{}
	add := func(r warning.Recommendation, isRegion bool) {
		ar := AreaRecommendation{
			Area: r.Area, Name: o.areaName(r.Area), Scheme: r.Scheme, Region: r.Region, IsRegion: isRegion,
			Action: r.Action, Level: r.Level, Current: r.Current, Forecast: r.Due.Level, Reason: r.Reason, ReasonZH: r.ReasonZH,
			Lift: r.Lift.Text, LiftZH: r.Lift.TextZH, LiftMet: r.Lift.Met, Reduction: r.Reduction, Evaluated: now,
			Episode: r.Episode, Advice: r.Advice,
		}
		if in, ok := inputs[r.Area]; ok {
			ar.Observed = len(in.Observed)
			ar.ForecastIssued, ar.ForecastSource = forecasts[r.Area].Issued, forecasts[r.Area].Source
		}
		recs[r.Area] = ar
	}
	level := func(area string) warning.Level { return inForce[area].Level }

	inRegion := map[string]bool{}
	for _, r := range o.opts.Regions {
		var rin []warning.Input
		for _, m := range r.Members {
			inRegion[m] = true
			if in, ok := inputs[m]; ok {
				rin = append(rin, in)
			}
		}
		if len(rin) == 0 {
			continue
		}
		// The regional level in force is that of a unified warning for the region, not of a
		// member's own warning.
		regCurrent := warning.None
		if w, ok := inForce[r.ID]; ok && w.Region == r.ID {
			regCurrent = w.Level
		}
		rr, err := s.RecommendRegion(r, rin, regCurrent)
		if err != nil {
			o.opts.Log.Warn("regional recommendation failed", "region", r.ID, "err", err)
			continue
		}
		add(rr.Region, true)
		for _, m := range r.Members {
			cur := level(m)
			var rec warning.Recommendation
			if in, ok := inputs[m]; ok {
				// Each member is graded against its own level in force: RecommendRegion assumes
				// the members share the regional level, which is not so when a county warned alone.
				rec, err = s.Recommend(in, cur)
				if err != nil {
					o.opts.Log.Warn("recommendation failed", "area", m, "err", err)
					continue
				}
			} else if rr.Region.Level > warning.None {
				rec = warning.Recommendation{Area: m, Scheme: s.Name, Current: cur, Level: cur}
			} else {
				continue
			}
			if rr.Region.Level > rec.Level {
				own := "no forecast"
				if _, ok := inputs[m]; ok {
					own = rec.Due.Reason()
				}
				rec.Level, rec.Region = rr.Region.Level, r.ID
				rec.Action = actionTo(cur, rec.Level)
				rec.Reason = fmt.Sprintf("regional %s warning for %s applies (区域统一预警): %s; own forecast: %s", rec.Level, r.ID, rr.Region.Reason, own)
				ownZH := "无预报"
				if _, ok := inputs[m]; ok {
					ownZH = rec.Due.ReasonChinese()
				}
				rec.ReasonZH = fmt.Sprintf("区域统一预警：%s 执行区域%s（%s）；本地预报：%s", o.areaName(r.ID), rec.Level.Chinese(), rr.Region.ReasonZH, ownZH)
				rec.Reduction, _ = s.Reduction(rec.Level)
			}
			add(rec, false)
		}
	}
	for area, in := range inputs {
		if inRegion[area] {
			continue
		}
		rec, err := s.Recommend(in, level(area))
		if err != nil {
			o.opts.Log.Warn("recommendation failed", "area", area, "err", err)
			continue
		}
		add(rec, false)
	}

	o.mu.Lock()
	old := o.recs
	o.recs = recs
	o.mu.Unlock()
	o.publishRecommendations(ctx, old, recs, now)
}

// actionTo is the action that moves current to target when the target is imposed (a regional
// warning applied to a member).
func actionTo(current, target warning.Level) warning.Action {
	switch {
	case target == current && target == warning.None:
		return warning.NoAction
	case target == current:
		return warning.Keep
	case current == warning.None:
		return warning.Issue
	case target == warning.None:
		return warning.Lift
	case target > current:
		return warning.Upgrade
	}
	return warning.Downgrade
}

// observed returns the run of observed days ending the day before first (at most 7), or none:
// the grading needs them consecutive and adjacent to the forecast, and a gap means the running
// episode's length is unknown.
func (o *Office) observed(ctx context.Context, area string, first aqi.Date) []warning.DayAQI {
	if o.opts.Observed == nil {
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	days, err := o.opts.Observed.ObservedDays(qctx, area, first.AddDays(-7), first.AddDays(-1))
	if err != nil {
		o.opts.Log.Debug("no observed AQI for the recommendation", "area", area, "err", err)
		return nil
	}
	want := first.AddDays(-1)
	var run []warning.DayAQI
	for i := len(days) - 1; i >= 0; i-- {
		d := days[i]
		if d.Date != want || d.AQI < 0 || d.AQI > 500 {
			break
		}
		run = append(run, d)
		want = want.AddDays(-1)
	}
	slices.Reverse(run)
	return run
}

// severity of the alerts: "critical" is kept for pipeline failures that page the duty engineer
// (deploy/alertmanager.yml), so warnings are "warning", the blue tier "info".
func severity(l warning.Level) string {
	if l <= warning.Blue {
		return "info"
	}
	return "warning"
}

// publishRecommendations sets the gauges, writes warning_recommendation points and fires or
// resolves the HeavyPollutionRecommended alerts.
func (o *Office) publishRecommendations(ctx context.Context, old, recs map[string]AreaRecommendation, now time.Time) {
	for area := range old {
		if _, ok := recs[area]; !ok {
			o.m.recommended.DeleteLabelValues(area)
		}
	}
	var lines [][]byte
	var alerts []Alert
	for _, area := range slices.Sorted(maps.Keys(recs)) {
		r := recs[area]
		o.m.recommended.WithLabelValues(area).Set(float64(r.Level))
		l := newLine(schema.WarningRecommendation).Tag(schema.TagAction, r.Action.String()).Tag(schema.TagArea, area).
			Tag(schema.TagLevel, r.Level.String()).Tag(schema.TagRegion, r.Region).Tag(schema.TagScheme, r.Scheme)
		l.Int(schema.FieldLevelNum, int64(r.Level)).Int(schema.FieldCurrentNum, int64(r.Current)).
			Int(schema.FieldForecastNum, int64(r.Forecast)).Bool(schema.FieldLiftMet, r.LiftMet).String(schema.FieldReason, r.reasonText())
		if !r.ForecastIssued.IsZero() {
			l.Int(schema.FieldForecastIssued, r.ForecastIssued.Unix())
		}
		lines = append(lines, l.At(now))
	}
	o.mu.Lock()
	for _, area := range slices.Sorted(maps.Keys(recs)) {
		r := recs[area]
		prev := o.recAlerts[area]
		if prev > warning.None && prev != r.Level {
			alerts = append(alerts, recAlert(area, prev, "", now, true))
		}
		if r.Level > warning.None {
			a := recAlert(area, r.Level, r.Name, now, false)
			a.Annotations["action"] = r.Action.String()
			a.Annotations["description"] = r.reasonText()
			a.Annotations["summary"] = fmt.Sprintf("%s: %s%s (当前 %s)", r.Name, r.Action.Chinese(), r.Level.Chinese(), r.Current.Chinese())
			alerts = append(alerts, a)
			o.recAlerts[area] = r.Level
		} else {
			delete(o.recAlerts, area)
		}
	}
	for area, prev := range o.recAlerts {
		if _, ok := recs[area]; !ok {
			alerts = append(alerts, recAlert(area, prev, "", now, true))
			delete(o.recAlerts, area)
		}
	}
	o.mu.Unlock()
	o.opts.Notifier.Notify(alerts...)
	// Not cancelled with ctx: at shutdown the writer outlives the office and takes the last run.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := o.submitAll(wctx, lines); err != nil {
		o.opts.Log.Warn("recommendations not written to InfluxDB", "err", err)
	}
}

// reasonText is the Chinese reason, or the English one where none was made.
func (r AreaRecommendation) reasonText() string {
	if r.ReasonZH != "" {
		return r.ReasonZH
	}
	return r.Reason
}

// liftText is the lift check in Chinese, or in English where none was made.
func (r AreaRecommendation) liftText() string {
	if r.LiftZH != "" {
		return r.LiftZH
	}
	return r.Lift
}

func recAlert(area string, l warning.Level, name string, now time.Time, resolved bool) Alert {
	a := Alert{
		Labels: map[string]string{"alertname": "HeavyPollutionRecommended", "area": area,
			"level": l.String(), "severity": severity(l)},
		Annotations: map[string]string{"area_name": name},
	}
	if resolved {
		a.EndsAt = now
	}
	return a
}
