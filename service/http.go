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
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{
		Registry: s.Registry,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	}))
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
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := s.Ready()
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		influxOK, influxErr := s.writer.Healthy()
		writeJSON(w, status, map[string]any{
			"ready":          ok,
			"problems":       why,
			"mqtt_connected": s.collector.Connected(),
			"influx_ok":      influxOK,
			"influx_error":   influxErr,
			"spool_batches":  s.spool.Len(),
			"spool_bytes":    s.spool.Bytes(),
		})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
