package service

import (
	"net/http"

	"lantian/alert/hotspot"
	"lantian/alert/notify"
	"lantian/ingest/pipeline"
)

type hotspotAlerts struct{ n notify.Notifier }

func (a hotspotAlerts) Notify(x hotspot.Alert) {
	a.n.Notify(notify.Alert{Labels: x.Labels, Annotations: x.Annotations, StartsAt: x.StartsAt, EndsAt: x.EndsAt})
}

// hotspotObservers builds the grid-hotspot detector (docs/command-centre.md) unless the
// hotspot section disables it.
func (s *Service) hotspotObservers() ([]pipeline.Observer, error) {
	if s.cfg.Hotspot.Disabled {
		return nil, nil
	}
	d, err := hotspot.New(hotspot.Options{Config: s.cfg.Hotspot, Registry: &s.cfg.Registry, Location: s.cfg.Location(),
		Sink: s.writer, Notifier: hotspotAlerts{s.notifier}, Log: s.log.With("component", "hotspot")})
	if err != nil {
		return nil, err
	}
	s.hotspots = d
	return []pipeline.Observer{d}, nil
}

// hotspotHTTP serves GET /api/v1/hotspots: every judged station's latest hour, per county,
// hotspots first, then by ratio over the neighbours.
func (s *Service) hotspotHTTP(mux *http.ServeMux) {
	if s.hotspots == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/hotspots", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.hotspots.Ranking())
	})
}
