package influx

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Reader answers the questions the derived figures ask of the stored points, one method per
// question and one Flux query per call, through the client's QueryAPI: InfluxDB 2.x in
// production, 1.8 with flux-enabled in the tests and the demo. The names it filters on are
// those of package schema, so a reader and the writer of a measurement cannot drift apart.
type Reader struct {
	api    api.QueryAPI
	bucket string
}

// NewReader reads from bucket (InfluxDB 1.8: "db/rp") through q.
func NewReader(q api.QueryAPI, bucket string) *Reader {
	return &Reader{api: q, bucket: bucket}
}

// fluxRange is the head of every query: the bucket and the span [from, to).
func (r *Reader) fluxRange(from, to time.Time) string {
	return fmt.Sprintf("from(bucket: %s)\n  |> range(start: %s, stop: %s)",
		strconv.Quote(r.bucket), from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
}

// withFlags returns each field followed by the field of its data flag.
func withFlags(fields []string) []string {
	out := make([]string, 0, 2*len(fields))
	for _, f := range fields {
		out = append(out, f, f+schema.FlagSuffix)
	}
	return out
}

// values turns the named columns of a pivoted row back into reading values, in the order of
// fields. A field with neither a value nor a flag is left out; a flag without a value gives a
// NoValue entry. Stored flags were validated on the way in; an unreadable one counts as a fault.
func values(rec recordValues, fields []string) []reading.Value {
	var out []reading.Value
	for _, f := range fields {
		v, hasV := rec.ValueByKey(f).(float64)
		var flag reading.Flag
		if s, ok := rec.ValueByKey(f + schema.FlagSuffix).(string); ok {
			var err error
			if flag, err = reading.ParseFlag(s); err != nil {
				flag = reading.FlagFault
			}
		}
		if !hasV && flag == reading.FlagNone {
			continue
		}
		out = append(out, reading.Value{Name: f, Value: v, Flag: flag, NoValue: !hasV})
	}
	return out
}

// recordValues is the part of a Flux record values reads.
type recordValues interface{ ValueByKey(string) any }

// AirHours streams the stored hourly ambient readings (measurement air, period 1h) whose hour
// starts in [from, to), with the registry tags they were stored with and their pollutant values
// and flags. Points without a station tag are skipped. fn's error stops the query.
func (r *Reader) AirHours(ctx context.Context, from, to time.Time, fn func(*reading.Accepted) error) error {
	fields := schema.AirPollutants[:]
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s and %s)
  |> filter(fn: (r) => %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.Air), schema.Is(schema.TagPeriod, string(reading.Hour)),
		schema.IsAnyField(withFlags(fields)...))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("flux query of stored hourly readings: %w", err)
	}
	defer res.Close()
	for res.Next() {
		rec := res.Record()
		a := &reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Time: rec.Time(), Period: reading.Hour}}
		a.Station, _ = rec.ValueByKey(schema.TagStation).(string)
		a.County, _ = rec.ValueByKey(schema.TagCounty).(string)
		a.Area, _ = rec.ValueByKey(schema.TagArea).(string)
		if a.Station == "" {
			continue
		}
		a.Unregistered = a.County == registry.UnknownCounty
		a.Values = values(rec, fields)
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("read flux result: %w", err)
	}
	return nil
}

// outletFields are the fields of an outlet reading read back: what hourly means, conversion to
// the reference oxygen content and emission rates are computed from.
func outletFields() []string {
	var out []string
	out = append(out, schema.SourcePollutants[:]...)
	for _, p := range schema.SourcePollutants {
		out = append(out, p+schema.ConvertedSuffix)
	}
	return append(out, schema.FieldO2, schema.FieldFlow, schema.FieldTemp)
}

// OutletReadings returns one outlet's stored readings (measurement emission) of [from, to),
// series by series. Daily records are skipped: hours are built from real-time, minute or hourly data.
func (r *Reader) OutletReadings(ctx context.Context, src, outlet string, from, to time.Time) ([]reading.Reading, error) {
	fields := outletFields()
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s and %s and %s and r.%s != %s)
  |> filter(fn: (r) => %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.Emission), schema.Is(schema.TagSource, src), schema.Is(schema.TagOutlet, outlet),
		schema.TagPeriod, strconv.Quote(string(reading.Day)), schema.IsAnyField(withFlags(fields)...))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of %s/%s readings: %w", src, outlet, err)
	}
	defer res.Close()
	var out []reading.Reading
	for res.Next() {
		rec := res.Record()
		period, _ := rec.ValueByKey(schema.TagPeriod).(string)
		p, err := reading.ParsePeriod(period)
		if err != nil || p == reading.Day {
			continue
		}
		rd := reading.Reading{Kind: reading.Source, Source: src, Outlet: outlet, Time: rec.Time(), Period: p,
			Values: values(rec, fields)}
		if len(rd.Values) > 0 {
			out = append(out, rd)
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read flux result of %s/%s: %w", src, outlet, err)
	}
	return out, nil
}

// EmissionRate is a source's emission rate of one pollutant in one hour: the sum over the
// source's outlets of their hourly mean rates.
type EmissionRate struct {
	Source    string
	Pollutant string    // dust so2 nox nmhc
	Hour      time.Time // start of the hour
	KgH       float64
}

// EmissionRates returns, per source, pollutant and hour starting in [from, to), the sum over
// the source's outlets of their hourly mean emission rates (emission_hourly <pollutant>_kgh).
func (r *Reader) EmissionRates(ctx context.Context, sources []string, from, to time.Time) ([]EmissionRate, error) {
	if len(sources) == 0 || !to.After(from) {
		return nil, nil
	}
	fields := make([]string, 0, len(schema.SourcePollutants))
	for _, p := range schema.SourcePollutants {
		fields = append(fields, p+schema.RateSuffix)
	}
	// The sum over outlets is taken per source, field and hour in Flux.
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> group(columns: [%s, "_field", "_time"])
  |> sum()`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.EmissionHourly), schema.IsAny(schema.TagSource, sources...),
		schema.IsAnyField(fields...), strconv.Quote(schema.TagSource))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of %s for %d sources: %w", schema.EmissionHourly, len(sources), err)
	}
	defer res.Close()
	var out []EmissionRate
	for res.Next() {
		rec := res.Record()
		v, ok := rec.Value().(float64)
		if !ok {
			continue
		}
		src, _ := rec.ValueByKey(schema.TagSource).(string)
		t, _ := rec.ValueByKey("_time").(time.Time)
		p, found := strings.CutSuffix(rec.Field(), schema.RateSuffix)
		if src == "" || t.IsZero() || !found {
			continue
		}
		out = append(out, EmissionRate{Source: src, Pollutant: p, Hour: t, KgH: v})
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", schema.EmissionHourly, err)
	}
	return out, nil
}

// DailyAQI is a stored daily AQI, stamped with the midnight its day starts at.
type DailyAQI struct {
	Day time.Time
	AQI int
}

// CountyDailyAQI returns the daily AQI of a county (aqi_daily, scope county) for the days
// starting in [from, to).
func (r *Reader) CountyDailyAQI(ctx context.Context, county string, from, to time.Time) ([]DailyAQI, error) {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s and %s and %s and %s)`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.AQIDaily), schema.Is(schema.TagScope, schema.ScopeCounty),
		schema.Is(schema.TagCounty, county), schema.IsField(schema.FieldAQI))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of observed daily AQI of %s: %w", county, err)
	}
	defer res.Close()
	var out []DailyAQI
	for res.Next() {
		rec := res.Record()
		var v int
		switch x := rec.Value().(type) {
		case int64:
			v = int(x)
		case float64:
			v = int(x)
		default:
			continue
		}
		out = append(out, DailyAQI{Day: rec.Time(), AQI: v})
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read observed daily AQI of %s: %w", county, err)
	}
	return out, nil
}

// StoredValues returns what is stored for a reading's series (measurement, station or
// source/outlet, period) at its time: the values and flags of the reading's fields, and
// whether any of them is stored. The append-only check of package history asks it for
// readings its cache cannot vouch for.
func (r *Reader) StoredValues(ctx context.Context, a *reading.Accepted) ([]reading.Value, bool, error) {
	fields := make([]string, 0, len(a.Values))
	for _, v := range a.Values {
		fields = append(fields, v.Name)
	}
	series := schema.IsMeasurement(schema.Air) + " and " + schema.Is(schema.TagStation, a.Station)
	if a.Kind == reading.Source {
		series = schema.IsMeasurement(schema.Emission) + " and " + schema.Is(schema.TagSource, a.Source) + " and " +
			schema.Is(schema.TagOutlet, a.Outlet)
	}
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s and %s)
  |> filter(fn: (r) => %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		fmt.Sprintf("from(bucket: %s)\n  |> range(start: %s, stop: %s)", strconv.Quote(r.bucket),
			a.Time.UTC().Format(time.RFC3339Nano), a.Time.Add(time.Nanosecond).UTC().Format(time.RFC3339Nano)), series, schema.Is(schema.TagPeriod, string(a.Period)),
		schema.IsAnyField(withFlags(fields)...))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, false, fmt.Errorf("flux query of the stored %s %s %s: %w", a.ID(), a.Period, a.Time.Format(time.RFC3339), err)
	}
	defer res.Close()
	var out []reading.Value
	for res.Next() {
		out = append(out, values(res.Record(), fields)...)
	}
	if err := res.Err(); err != nil {
		return nil, false, fmt.Errorf("read flux result: %w", err)
	}
	return out, len(out) > 0, nil
}

// StoredSince streams every stored raw reading (measurements air and emission) stamped in
// [from, to), with all its fields and flags, series by series; only, when not nil, limits it
// to that reading's station or outlet. The append-only check fills its cache with it: at
// start for the recent past, and a day of one series at a time for late data.
func (r *Reader) StoredSince(ctx context.Context, from, to time.Time, only *reading.Reading, fn func(*reading.Accepted) error) error {
	series := schema.IsMeasurement(schema.Air) + " or " + schema.IsMeasurement(schema.Emission)
	switch {
	case only != nil && only.Kind == reading.Source:
		series = schema.IsMeasurement(schema.Emission) + " and " + schema.Is(schema.TagSource, only.Source) + " and " +
			schema.Is(schema.TagOutlet, only.Outlet)
	case only != nil:
		series = schema.IsMeasurement(schema.Air) + " and " + schema.Is(schema.TagStation, only.Station)
	}
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		r.fluxRange(from, to), series)
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("flux query of the readings stored since %s: %w", from.Format(time.RFC3339), err)
	}
	defer res.Close()
	for res.Next() {
		rec := res.Record()
		a := &reading.Accepted{Reading: reading.Reading{Time: rec.Time()}}
		if rec.Measurement() == schema.Emission {
			a.Kind = reading.Source
			a.Source, _ = rec.ValueByKey(schema.TagSource).(string)
			a.Outlet, _ = rec.ValueByKey(schema.TagOutlet).(string)
		} else {
			a.Kind = reading.Air
			a.Station, _ = rec.ValueByKey(schema.TagStation).(string)
		}
		period, _ := rec.ValueByKey(schema.TagPeriod).(string)
		p, err := reading.ParsePeriod(period)
		if err != nil {
			continue
		}
		a.Period = p
		var fields []string
		for k, v := range rec.Values() {
			if _, isFloat := v.(float64); isFloat && !strings.HasPrefix(k, "_") {
				fields = append(fields, k)
			} else if base, ok := strings.CutSuffix(k, schema.FlagSuffix); ok && v != nil {
				if _, has := rec.Values()[base]; !has {
					fields = append(fields, base)
				}
			}
		}
		a.Values = values(rec, fields)
		if len(a.Values) == 0 {
			continue
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("read flux result: %w", err)
	}
	return nil
}
