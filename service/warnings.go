package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"lantian/alert/notify"
	"lantian/alert/office"
	"lantian/alert/source"
	"lantian/ingest/mqtt"
	"lantian/ingest/pipeline"
)

// warningRoutes builds the heavy-pollution warning office (docs/warnings.md) and returns its
// MQTT route: forecasts on <prefix>/forecast/<area>. Its loop and the MQTT publisher of
// retained warnings run with the derived components (runWarnings); its alerts go through the
// service's Alertmanager client.
func (s *Service) warningRoutes() (map[string]pipeline.Route, error) {
	wcfg := s.cfg.WarningsConfig()
	if err := s.cfg.ValidateWarnings(); err != nil {
		return nil, fmt.Errorf("warnings config: %w", err)
	}
	scheme, err := wcfg.BuildScheme()
	if err != nil {
		return nil, err
	}
	regions, err := wcfg.WarningRegions(&s.cfg.Registry)
	if err != nil {
		return nil, err
	}
	resolved, err := wcfg.ResolveTokens()
	if err != nil {
		return nil, err
	}
	tokens := make([]office.Token, len(resolved))
	for i, t := range resolved {
		tokens[i] = office.Token{Name: t.Name, Role: t.Role, Secret: t.Token.Reveal()}
	}
	log := s.log.With("component", "warnings")
	pub, err := mqtt.NewPublisher(s.cfg.MQTT, s.cfg.MQTT.ClientID+"-warnings", log)
	if err != nil {
		return nil, err
	}
	stored := officeReader{r: s.query, loc: s.cfg.Location()}
	var observed office.ObservedSource
	if wcfg.Observed {
		observed = stored
	}
	store, err := office.OpenStore(filepath.Join(s.cfg.DataDir, "warnings.db"))
	if err != nil {
		return nil, err
	}
	o, err := office.New(office.Options{
		Scheme: scheme, Regions: regions, Registry: &s.cfg.Registry, Location: s.cfg.Location(),
		Store: store, Sink: s.writer, Publisher: pub, TopicPrefix: s.cfg.MQTT.TopicPrefix,
		Notifier: officeAlerts{s.notifier}, Observed: observed, Tokens: tokens,
		Emissions: stored, IdleFlow: s.idleFlow(), Compliance: wcfg.Compliance,
		SessionTTL: wcfg.SessionTTL, RecomputeInterval: wcfg.RecomputeInterval, MaxFuture: s.cfg.Ingest.MaxFuture,
		Registerer: s.Registry, Log: log,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	s.warnings, s.warningStore, s.warnPub = o, store, pub
	return map[string]pipeline.Route{"forecast": {Handle: o.HandleForecast}}, nil
}

// idleFlow gives the warning office source monitoring's idle flow per outlet, below which an
// hour counts as a stop in the compliance check.
func (s *Service) idleFlow() func(source, outlet string) float64 {
	rules, err := s.cfg.SourceMonitoring.RuleConfig(s.cfg.Location())
	if err != nil {
		rules = s.cfg.SourceMonitoring.Rules
	}
	return func(src, outlet string) float64 {
		return rules.IdleFor(source.OutletKey{Source: src, Outlet: outlet}).FlowM3h
	}
}

// runWarnings runs the warning office's loop with its MQTT publisher until ctx is cancelled,
// then closes its store.
func (s *Service) runWarnings(ctx context.Context) error {
	s.warnPub.Start()
	defer s.warnPub.Stop()
	defer func() {
		if err := s.warningStore.Close(); err != nil {
			s.log.Error("close warning store", "component", "warnings", "err", err)
		}
	}()
	err := s.warnings.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// officeAlerts hands the warning office's alerts to the service's Alertmanager client.
type officeAlerts struct {
	n notify.Notifier
}

func (a officeAlerts) Notify(alerts ...office.Alert) {
	out := make([]notify.Alert, len(alerts))
	for i, al := range alerts {
		out[i] = notify.Alert{Labels: al.Labels, Annotations: al.Annotations, StartsAt: al.StartsAt, EndsAt: al.EndsAt}
	}
	a.n.Notify(out...)
}

// warningNotices turns the warnings issued (and changed) into notices for the sources in their
// areas, so that the data-quality rule drop_after_notice can spot a CEMS whose readings fall
// right after a warning, as faked data would.
func (s *Service) warningNotices() []source.Notice {
	if s.warningStore == nil {
		return nil
	}
	list, err := s.warningStore.List(true)
	if err != nil {
		s.log.Warn("cannot list warnings for the source-data checks", "err", err)
		return nil
	}
	var out []source.Notice
	for _, w := range list {
		areas := make(map[string]bool, len(w.Areas))
		for _, a := range w.Areas {
			areas[a] = true
		}
		for _, src := range s.cfg.Sources {
			if areas[src.Area] {
				out = append(out, source.Notice{Kind: source.NoticeWarning, Time: w.IssuedAt, Source: src.ID,
					Note: fmt.Sprintf("%s warning %s", w.Level, w.ID)})
			}
		}
	}
	return out
}

// warningHTTP adds the warning office's API (/api/v1/forecasts, /api/v1/recommendations,
// /api/v1/warnings) and its console (/warnings).
func (s *Service) warningHTTP(mux *http.ServeMux) {
	if s.warnings != nil {
		s.warnings.Routes(mux)
	}
}
