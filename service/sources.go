package service

import (
	"context"
	"slices"
	"time"

	"lantian/alert/notify"
	"lantian/alert/source"
	"lantian/ingest/influx"
	"lantian/ingest/pipeline"
	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// sourceObservers builds the pollution-source monitor (alert/source.Monitor: hourly means,
// exceedance events, emission rates, data quality) fed by stored outlet readings. Its loop
// runs with the derived components; its alerts go through the service's Alertmanager client,
// which the run group stops after the monitor so the last alerts of a shutdown are sent. At
// start it continues from the state the previous run left in InfluxDB.
func (s *Service) sourceObservers() ([]pipeline.Observer, error) {
	if !s.cfg.SourceMonitoring.Enabled || len(s.cfg.Sources) == 0 {
		return nil, nil
	}
	if err := s.openInspections(); err != nil {
		return nil, err
	}
	m, err := source.NewMonitor(source.MonitorOptions{
		Config: s.cfg.SourceMonitoring, Location: s.cfg.Location(), Sources: s.cfg.Sources, Sink: s.writer,
		Notifier: sourceAlerts{s.notifier},
		// The warning office is built after the monitor; it is asked at check time.
		Notices: s.notices,
		// Its own query API: the client library sets a query API's URL on first use without
		// a lock, so two first queries at once (the assessor's rebuild and this restore) race.
		History: sourceHistory{influx.NewReader(s.influx.QueryAPI(s.cfg.Influx.Org), s.cfg.Influx.Bucket)},
		KeyArea: func(area string) bool {
			return slices.Contains(s.cfg.Registry.RegionsOf(area), s.cfg.SourceMonitoring.Coverage.KeyRegion)
		},
		Registerer: s.Registry, Log: s.log.With("component", "sources"),
	})
	if err != nil {
		s.srcx.close()
		return nil, err
	}
	s.sources = m
	return []pipeline.Observer{m}, nil
}

// sourceAlerts hands the monitor's alerts to Alertmanager.
type sourceAlerts struct{ n notify.Notifier }

func (a sourceAlerts) Notify(x source.Alert) {
	a.n.Notify(notify.Alert{Labels: x.Labels, Annotations: x.Annotations, StartsAt: x.StartsAt, EndsAt: x.EndsAt})
}

// sourceHistory is the monitor's source.History over the query layer.
type sourceHistory struct{ r *influx.Reader }

func (h sourceHistory) OutletReadings(ctx context.Context, src, outlet string, from, to time.Time) ([]reading.Reading, error) {
	return h.r.OutletReadings(ctx, src, outlet, from, to)
}

func (h sourceHistory) JudgedHours(ctx context.Context, from, to time.Time) (map[source.OutletKey]time.Time, error) {
	rows, err := h.r.LastJudgedHours(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make(map[source.OutletKey]time.Time, len(rows))
	for _, r := range rows {
		out[source.OutletKey{Source: r.Source, Outlet: r.Outlet}] = r.Hour
	}
	return out, nil
}

func (h sourceHistory) Exceedances(ctx context.Context, from, to time.Time) ([]source.Event, error) {
	rows, err := h.r.Exceedances(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]source.Event, 0, len(rows))
	for _, e := range rows {
		out = append(out, source.Event{Source: e.Source, Outlet: e.Outlet, Pollutant: e.Pollutant, State: source.EventState(e.State),
			Start: e.Start, End: e.End, Peak: e.Peak, PeakAt: e.PeakAt, Limit: e.Limit, Basis: source.Basis(e.Basis),
			Hours: e.Hours, GapHours: e.GapHours, FlaggedHours: e.FlaggedHours})
	}
	return out, nil
}

func (h sourceHistory) DayFindings(ctx context.Context, from, to time.Time) ([]source.Finding, error) {
	rows, err := h.r.Findings(ctx, schema.ScopeDay, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]source.Finding, 0, len(rows))
	for _, f := range rows {
		out = append(out, source.Finding{Rule: source.Rule(f.Rule), Source: f.Source, Outlet: f.Outlet, Field: f.Field,
			Start: f.Start, End: f.End, Hours: f.Hours, Value: f.Value, Detail: f.Detail})
	}
	return out, nil
}
