package jsonreading

import (
	"testing"
	"time"

	"lantian/ingest/registry"
	"lantian/ingest/validate"
)

// The decoders are tested together with the checker that follows them in the pipeline, so
// that what they let through is known to be either accepted or refused with a reason.

var now = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

func checker(t testing.TB, acceptUnknown bool) *validate.Checker {
	t.Helper()
	r := &registry.Registry{
		Areas: registry.DefaultAreas(),
		Stations: []registry.Station{
			{ID: "cj-01", Area: "changji", Class: registry.National},
			{ID: "qt-01", Area: "qitai", Class: registry.Provincial},
		},
		Sources: []registry.Source{{ID: "px-power", Area: "changji", Industry: "power",
			Outlets: []registry.Outlet{{ID: "DA001"}}}},
	}
	if err := r.Index(); err != nil {
		t.Fatal(err)
	}
	return &validate.Checker{Registry: r, AcceptUnknown: acceptUnknown, MaxFuture: 10 * time.Minute,
		MaxAge: 30 * 24 * time.Hour, Now: func() time.Time { return now }}
}
