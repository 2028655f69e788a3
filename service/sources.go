package service

import (
	"context"
	"fmt"

	"lantian/alert/notify"
	"lantian/alert/source"
	"lantian/ingest/pipeline"
)

// sourceObservers builds the pollution-source monitor (alert/source.Monitor: hourly means,
// exceedance events, emission rates, data quality) fed by stored outlet readings.
func (s *Service) sourceObservers() ([]pipeline.Observer, error) {
	if !s.cfg.SourceMonitoring.Enabled || len(s.cfg.Sources) == 0 {
		return nil, nil
	}
	log := s.log.With("component", "sources")
	var notifier notify.Notifier = notify.Nop{}
	var runNotifier func(context.Context) error
	if am := s.cfg.Alertmanager; len(am.URLs) > 0 {
		c, err := notify.New(notify.Config{
			URLs: am.URLs, Timeout: am.Timeout, ResendInterval: am.ResendInterval,
			MaxAttempts: am.MaxAttempts, RetryInterval: am.RetryInterval, QueueSize: am.QueueSize,
			Component: "sources",
		}, s.Registry, log.With("component", "alertmanager"))
		if err != nil {
			return nil, fmt.Errorf("source monitoring: alertmanager: %w", err)
		}
		notifier, runNotifier = c, c.Run
	}
	m, err := source.NewMonitor(source.MonitorOptions{
		Config: s.cfg.SourceMonitoring, Location: s.cfg.Location(), Sources: s.cfg.Sources, Sink: s.writer,
		Notifier: sourceAlerts{notifier, s.cfg.Alertmanager.GeneratorURL},
		// The warning office is built after the monitor; it is asked at check time.
		Notices:    s.warningNotices,
		Registerer: s.Registry, Log: log,
	})
	if err != nil {
		return nil, err
	}
	s.background = append(s.background, func(ctx context.Context) error {
		// The notifier outlives the monitor's loop, which raises its last alerts at shutdown.
		if runNotifier != nil {
			notifyCtx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = runNotifier(notifyCtx) }()
			defer func() { stop(); <-done }()
		}
		return m.Run(ctx)
	})
	return []pipeline.Observer{m}, nil
}

// sourceAlerts hands the monitor's alerts to Alertmanager.
type sourceAlerts struct {
	n            notify.Notifier
	generatorURL string
}

func (a sourceAlerts) Notify(x source.Alert) {
	a.n.Notify(notify.Alert{Labels: x.Labels, Annotations: x.Annotations, StartsAt: x.StartsAt, EndsAt: x.EndsAt,
		GeneratorURL: a.generatorURL})
}
