package app

import (
	"net/http"

	"lantian/ingest/pipeline"
)

// warningRoutes returns the MQTT topic families of the heavy-pollution warning office
// (forecasts) and their handlers.
func (s *Service) warningRoutes() (map[string]pipeline.RouteHandler, error) {
	return nil, nil
}

// warningHTTP adds the warning office's API and web pages.
func (s *Service) warningHTTP(mux *http.ServeMux) {}
