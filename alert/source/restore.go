package source

import (
	"context"
	"fmt"
	"slices"
	"time"

	"lantian/ingest/reading"
)

// History is what the Monitor reads back at start to continue where the previous run
// stopped; the service implements it with the InfluxDB query layer.
type History interface {
	// OutletReadings are one outlet's stored readings (rt, 1m, 1h) of [from, to).
	OutletReadings(ctx context.Context, src, outlet string, from, to time.Time) ([]reading.Reading, error)
	// JudgedHours gives per outlet the start of the latest hour written to emission_hourly in
	// [from, to): the hours the previous run judged.
	JudgedHours(ctx context.Context, from, to time.Time) (map[OutletKey]time.Time, error)
	// Exceedances are the latest recorded state of each event that started in [from, to).
	Exceedances(ctx context.Context, from, to time.Time) ([]Event, error)
	// DayFindings are the day-scope findings that start in [from, to), as last written.
	DayFindings(ctx context.Context, from, to time.Time) ([]Finding, error)
}

// RestoreLookback is how far back open exceedance events are looked for at start: an event
// open longer than this before a restart is continued as a new one.
const RestoreLookback = 7 * 24 * time.Hour

// restore rebuilds the state a previous run left in InfluxDB: the hours of yesterday and
// today (judged ones for the daily rules, open ones to be completed by the readings still to
// come), the open exceedance events, and today's findings, so that an event spanning a
// restart continues as one, with one alert, and a finding is not raised twice. Hours that
// closed while the service was down are judged now.
func (m *Monitor) restore(ctx context.Context, now time.Time) error {
	h := m.history
	today := m.midnight(now)
	from := today.AddDate(0, 0, -1)
	judged, err := h.JudgedHours(ctx, now.Add(-RestoreLookback), now)
	if err != nil {
		return fmt.Errorf("restore judged hours: %w", err)
	}
	events, err := h.Exceedances(ctx, now.Add(-RestoreLookback), now)
	if err != nil {
		return fmt.Errorf("restore exceedance events: %w", err)
	}
	findings, err := h.DayFindings(ctx, from, now)
	if err != nil {
		return fmt.Errorf("restore findings: %w", err)
	}
	readings, skipped := 0, 0
	for _, k := range m.order {
		rs, err := h.OutletReadings(ctx, k.Source, k.Outlet, from, now)
		if err != nil {
			return fmt.Errorf("restore readings of %s: %w", k, err)
		}
		slices.SortStableFunc(rs, func(x, y reading.Reading) int { return x.Time.Compare(y.Time) })
		for _, r := range rs {
			// Not counted in lantian_source_readings_total: those count readings handed over
			// by the pipeline. Readings the aggregator refuses (daily data) are counted in the log.
			if err := m.agg.Add(r); err != nil {
				skipped++
			}
			if end := r.Time.Add(r.Period.Length()); end.After(m.lastSeen[k]) {
				m.lastSeen[k] = end
			}
		}
		readings += len(rs)
	}
	// The tracker continues after the last judged hour, with the events still open then.
	for k, last := range judged {
		if _, ok := m.outlets[k]; ok {
			m.tracker.last[k] = last
		}
	}
	open := 0
	for _, e := range events {
		if e.State == EventClosed {
			continue
		}
		k := e.Key()
		last, ok := m.tracker.last[k]
		if _, known := m.outlets[k]; !known || !ok || last.Before(e.End.Add(-time.Hour)) {
			continue
		}
		if _, limited := m.limits[k].Values[e.Pollutant]; !limited {
			continue
		}
		e.State = EventExtended
		e.Start, e.End, e.PeakAt = e.Start.In(m.loc), e.End.In(m.loc), e.PeakAt.In(m.loc)
		m.tracker.state[pollKey{k, e.Pollutant}] = &pollState{open: &e, gap: int(last.Add(time.Hour).Sub(e.End) / time.Hour)}
		m.m.open.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Set(1)
		open++
	}
	for _, f := range findings {
		f.Start, f.End = f.Start.In(m.loc), f.End.In(m.loc)
		m.findings[findingKey{f.Rule, f.Source, f.Outlet, f.Field, f.Start.UTC()}] = f
	}
	// Hours the previous run judged serve the daily rules; the others are judged now.
	var pending []Hour
	for _, hr := range m.agg.Close(now) {
		k := hr.Key()
		if last, ok := judged[k]; ok && !hr.Start.After(last) {
			m.hours[k] = append(m.hours[k], hr)
			continue
		}
		pending = append(pending, hr)
	}
	// After a previous run that judged hours since yesterday, today's earlier hours are known
	// and today is judged whole at its end (yesterday too, if it was not yet due at the
	// restart). Without one (a first start, or one after a long outage) the day of the start
	// is not judged whole, as its earlier hours were never collected.
	previous := false
	for _, last := range judged {
		previous = previous || !last.Before(from)
	}
	if previous {
		m.nextDay = today
		if now.Before(today.Add(m.lateness())) {
			m.nextDay = from
		}
	}
	for _, hr := range pending {
		m.hour(ctx, hr)
	}
	// The alerts of the events still open go out again: the Alertmanager client of this run
	// does not know them, and Alertmanager merges them with the firing ones by their labels.
	for _, e := range m.tracker.Open() {
		m.notifier.Notify(m.exceedanceAlert(e))
	}
	m.log.Info("source monitoring state restored", "readings", readings, "readings_not_aggregated", skipped, "hours_judged_now", len(pending),
		"open_events", open, "findings", len(findings))
	return nil
}
