package service

import (
	"fmt"

	"lantian/alert/stream"
	"lantian/ingest/pipeline"
)

// derivedObservers builds the components that compute derived figures (AQI, county progress)
// from stored readings. They write their results through the same durable writer.
//
// The streaming assessor (package alert/stream) is always on: it assesses the hourly ("1h")
// ambient readings, writes aqi_hourly, aqi_daily and county_progress, and rebuilds its state
// from the stored `air` points when the service starts. Its timing (lateness window 48 h,
// days final 2 h after their end) uses the package defaults until config keys exist for them.
func (s *Service) derivedObservers() ([]pipeline.Observer, error) {
	var err error
	if s.dust, err = s.openDust(); err != nil {
		return nil, err
	}
	assessor, err := stream.New(stream.Options{
		Location:      s.cfg.Location(),
		Registry:      &s.cfg.Registry,
		Bases:         s.cfg.Assessment.Bases(),
		Heating:       s.cfg.Assessment.HeatingSeason,
		Dust:          s.dust.store,
		Sink:          s.writer,
		Source:        s.query,
		RetryInterval: s.cfg.Influx.RetryInterval,
		Registerer:    s.Registry,
		Log:           s.log.With("component", "assess"),
	})
	if err != nil {
		return nil, fmt.Errorf("streaming assessor: %w", err)
	}
	s.assessor = assessor
	return []pipeline.Observer{assessor}, nil
}
