package stream

import (
	"context"
	"time"

	"lantian/ingest/reading"
)

// HourSource yields the stored hourly (period 1h) ambient readings whose hour starts in
// [from, to), with the registry tags they were stored with; fn's error stops it. The service
// passes ingest/influx's Reader, which reads them back from the `air` points with Flux.
type HourSource interface {
	AirHours(ctx context.Context, from, to time.Time, fn func(*reading.Accepted) error) error
}
