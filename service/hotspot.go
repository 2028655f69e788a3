package service

import (
	"context"
	"fmt"
	"net/http"

	"lantian/alert/hotspot"
	"lantian/alert/notify"
	"lantian/alert/stationqc"
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
		Sink: s.writer, Notifier: hotspotAlerts{s.notifier}, Log: s.log.With("component", "hotspot"), Registerer: s.Registry})
	if err != nil {
		return nil, err
	}
	s.hotspots = d
	return []pipeline.Observer{d}, nil
}

// hotspotHTTP serves GET /api/v1/hotspots (every judged station's latest hour, per county,
// hotspots first, then by ratio over the neighbours), GET /api/v1/hotspots/daily?day=last|today
// (per county, stations by their day's mean excess over the neighbours) and GET /api/v1/station-quality (the
// interference findings of this run).
func (s *Service) hotspotHTTP(mux *http.ServeMux) {
	if s.hotspots != nil {
		mux.HandleFunc("GET /api/v1/hotspots", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, s.hotspots.Ranking())
		})
		mux.HandleFunc("GET /api/v1/hotspots/daily", func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("day") {
			case "", "last":
				writeJSON(w, http.StatusOK, s.hotspots.DailyRanking(false))
			case "today":
				writeJSON(w, http.StatusOK, s.hotspots.DailyRanking(true))
			default:
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "day must be last or today", "reason": "bad_request"})
			}
		})
	}
	if s.stationQC != nil {
		mux.HandleFunc("GET /api/v1/station-quality", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, s.stationQC.Findings())
		})
	}
}

type stationQCAlerts struct{ n notify.Notifier }

func (a stationQCAlerts) Notify(x stationqc.Alert) {
	a.n.Notify(notify.Alert{Labels: x.Labels, Annotations: x.Annotations, StartsAt: x.StartsAt, EndsAt: x.EndsAt})
}

// stationQCObservers builds the ambient-station interference checks (docs/command-centre.md)
// unless the station_quality section disables them.
func (s *Service) stationQCObservers() ([]pipeline.Observer, error) {
	if s.cfg.StationQuality.Disabled {
		return nil, nil
	}
	c, err := stationqc.New(stationqc.Options{Config: s.cfg.StationQuality, Registry: &s.cfg.Registry, Location: s.cfg.Location(),
		Sink: s.writer, Notifier: stationQCAlerts{s.notifier}, Log: s.log.With("component", "station-quality"), Registerer: s.Registry})
	if err != nil {
		return nil, err
	}
	s.stationQC = c
	return []pipeline.Observer{c}, nil
}

// commandCentreObservers builds the command centre's detectors: grid hotspots and the
// ambient-station interference checks.
func (s *Service) commandCentreObservers() ([]pipeline.Observer, error) {
	hot, err := s.hotspotObservers()
	if err != nil {
		return nil, fmt.Errorf("hotspot: %w", err)
	}
	qc, err := s.stationQCObservers()
	if err != nil {
		return nil, fmt.Errorf("station_quality: %w", err)
	}
	return append(hot, qc...), nil
}

// commandCentreLoops are the detectors' judging loops for the run group.
func (s *Service) commandCentreLoops() []func(context.Context) error {
	var loops []func(context.Context) error
	if s.hotspots != nil {
		loops = append(loops, s.hotspots.Run)
	}
	if s.stationQC != nil {
		loops = append(loops, s.stationQC.Run)
	}
	return loops
}
