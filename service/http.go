package service

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.HTTP.MetricsAddr == "" {
		s.opsRoutes(mux)
	}
	// The consoles live where every reading is seen: not on an ingest instance (docs/scaling.md).
	if s.board != nil {
		mux.HandleFunc("GET /", s.handleConsole)
		s.warningHTTP(mux)
		s.sourcesHTTP(mux)
		s.assessmentHTTP(mux)
		s.publicHTTP(mux)
		s.hotspotHTTP(mux)
		mux.HandleFunc("GET /api/v1/stations", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, s.stationRows(time.Now()))
		})
		mux.HandleFunc("GET /api/v1/outlets", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, s.board.Snapshot("source"))
		})
	}
	return mux
}

// opsRoutes are the endpoints of monitoring: metrics, liveness and readiness. They go on
// http.metrics_addr when it is set, else on http.addr.
func (s *Service) opsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer(), promhttp.HandlerOpts{
		Registry: s.Registry,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status, body := s.readiness(r.Context())
		writeJSON(w, status, body)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
