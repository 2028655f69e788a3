package stream

import (
	"context"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// HourSource yields the stored hourly (period 1h) ambient readings whose hour starts in
// [from, to), with the registry tags they were stored with; fn's error stops it. The service
// passes ingest/influx's Reader, which reads them back from the `air` points with Flux.
type HourSource interface {
	AirHours(ctx context.Context, from, to time.Time, fn func(*reading.Accepted) error) error
}

// storedValues turns a stored reading's pollutant values into the samples of its hour.
func storedValues(r *reading.Reading) aqi.HourValues {
	var out aqi.HourValues
	for p, name := range schema.AirPollutants {
		v, ok := r.Get(name)
		if !ok || v.NoValue {
			continue
		}
		c, err := aqi.FromFloat(v.Value)
		if err != nil {
			// Values were range-checked before they were stored; anything else is not
			// usable and counts as missing, as it would live.
			continue
		}
		out[p] = aqi.Sample{C: c, Valid: v.Flag.Valid()}
	}
	return out
}
