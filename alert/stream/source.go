package stream

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api"

	"lantian/alert/aqi"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// StoredHour is one stored hourly reading of an ambient station.
type StoredHour struct {
	Station, County, Area string
	Start                 time.Time
	Values                aqi.HourValues
}

// Unregistered reports a reading stored for a station outside the registry.
func (h StoredHour) Unregistered() bool { return h.County == registry.UnknownCounty }

// HourSource yields the stored hourly readings whose hour starts in [from, to).
type HourSource interface {
	Hours(ctx context.Context, from, to time.Time, fn func(StoredHour) error) error
}

// FluxSource reads `air` points of period 1h with a Flux query through the InfluxDB client's
// QueryAPI: InfluxDB 2.x in production, 1.8 with Flux enabled in tests and the demo.
type FluxSource struct {
	API    api.QueryAPI
	Bucket string
}

var pollutantFields = [aqi.NumPollutants]string{"pm25", "pm10", "so2", "no2", "co", "o3"}

// Hours runs one Flux query for the span and streams its rows.
func (f FluxSource) Hours(ctx context.Context, from, to time.Time, fn func(StoredHour) error) error {
	var filter []string
	for _, p := range pollutantFields {
		filter = append(filter, fmt.Sprintf("r._field == %q or r._field == %q", p, p+"_flag"))
	}
	q := fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == "air" and r.period == "1h")
  |> filter(fn: (r) => %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		strconv.Quote(f.Bucket), from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), strings.Join(filter, " or "))
	res, err := f.API.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("flux query of stored hourly readings: %w", err)
	}
	defer res.Close()
	for res.Next() {
		rec := res.Record()
		h := StoredHour{Start: rec.Time()}
		h.Station, _ = rec.ValueByKey("station").(string)
		h.County, _ = rec.ValueByKey("county").(string)
		h.Area, _ = rec.ValueByKey("area").(string)
		if h.Station == "" {
			continue
		}
		for p, name := range pollutantFields {
			v, ok := rec.ValueByKey(name).(float64)
			if !ok {
				continue
			}
			c, err := aqi.FromFloat(v)
			if err != nil {
				// Values were range-checked before they were stored; anything else is not
				// usable and counts as missing, as it would live.
				continue
			}
			valid := true
			if s, ok := rec.ValueByKey(name + "_flag").(string); ok {
				flag, err := reading.ParseFlag(s)
				valid = err == nil && flag.Valid()
			}
			h.Values[p] = aqi.Sample{C: c, Valid: valid}
		}
		if err := fn(h); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("read flux result: %w", err)
	}
	return nil
}
