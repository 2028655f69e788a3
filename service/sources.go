package service

import (
	"lantian/alert/notify"
	"lantian/alert/source"
	"lantian/ingest/pipeline"
)

// sourceObservers builds the pollution-source monitor (alert/source.Monitor: hourly means,
// exceedance events, emission rates, data quality) fed by stored outlet readings. Its loop
// runs with the derived components; its alerts go through the service's Alertmanager client,
// which the run group stops after the monitor so the last alerts of a shutdown are sent.
func (s *Service) sourceObservers() ([]pipeline.Observer, error) {
	if !s.cfg.SourceMonitoring.Enabled || len(s.cfg.Sources) == 0 {
		return nil, nil
	}
	m, err := source.NewMonitor(source.MonitorOptions{
		Config: s.cfg.SourceMonitoring, Location: s.cfg.Location(), Sources: s.cfg.Sources, Sink: s.writer,
		Notifier: sourceAlerts{s.notifier},
		// The warning office is built after the monitor; it is asked at check time.
		Notices:    s.warningNotices,
		Registerer: s.Registry, Log: s.log.With("component", "sources"),
	})
	if err != nil {
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
