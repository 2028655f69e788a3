package app

import "lantian/ingest/pipeline"

// sourceObservers builds the pollution-source monitoring (hourly means, exceedance events,
// emission rates, data quality) fed by stored outlet readings.
func (s *Service) sourceObservers() ([]pipeline.Observer, error) {
	return nil, nil
}
