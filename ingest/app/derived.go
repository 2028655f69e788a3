package app

import "lantian/ingest/pipeline"

// derivedObservers builds the components that compute derived figures (AQI, county progress)
// from stored readings. They write their results through the same durable writer.
func (s *Service) derivedObservers() ([]pipeline.Observer, error) {
	return nil, nil
}
