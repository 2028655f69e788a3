package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lantian/alert/office"
	"lantian/alert/source"
	"lantian/ingest/schema"
)

// The warning office's compliance table (docs/warnings.md, "Compliance") reads the hourly
// emission rates the source monitor writes. fluxObserved already reads the bucket for the
// office, so it also serves as its office.EmissionSource.
var _ office.EmissionSource = fluxObserved{}

// EmissionHours returns, per source, pollutant and hour starting in [from, to), the sum over
// the source's outlets of their hourly mean emission rates (emission_hourly <p>_kgh).
func (f fluxObserved) EmissionHours(ctx context.Context, sources []string, from, to time.Time) ([]office.EmissionHour, error) {
	if len(sources) == 0 || !to.After(from) {
		return nil, nil
	}
	srcs := make([]string, len(sources))
	for i, s := range sources {
		srcs[i] = "r.source == " + strconv.Quote(s)
	}
	fields := make([]string, 0, len(source.Pollutants()))
	for _, p := range source.Pollutants() {
		fields = append(fields, "r._field == "+strconv.Quote(p+source.SuffixRate))
	}
	// The sum over outlets is taken per source, field and hour in Flux.
	q := fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %s)
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> group(columns: ["source", "_field", "_time"])
  |> sum()`,
		strconv.Quote(f.bucket), from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339),
		strconv.Quote(schema.EmissionHourly), strings.Join(srcs, " or "), strings.Join(fields, " or "))
	res, err := f.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of emission_hourly for %d sources: %w", len(sources), err)
	}
	defer res.Close()
	var out []office.EmissionHour
	for res.Next() {
		r := res.Record()
		v, ok := r.Value().(float64)
		if !ok {
			continue
		}
		src, _ := r.ValueByKey("source").(string)
		t, _ := r.ValueByKey("_time").(time.Time)
		p, found := strings.CutSuffix(r.Field(), source.SuffixRate)
		if src == "" || t.IsZero() || !found {
			continue
		}
		out = append(out, office.EmissionHour{Source: src, Pollutant: p, Hour: t, KgH: v})
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read emission_hourly: %w", err)
	}
	return out, nil
}
