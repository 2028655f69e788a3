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

// OutletHour is what the source monitor stored of one outlet in one hour (emission_hourly):
// the valid hourly mean emission rates per pollutant (kg/h) and the mean flow (m³/h).
type OutletHour struct {
	Source, Outlet string
	Hour           time.Time
	KgH            map[string]float64
	Flow           float64
	FlowValid      bool
}

// OutletHours returns the emission_hourly points of the sources' outlets for the hours
// starting in [from, to): their <pollutant>_kgh rates and flow, one row per outlet and hour.
func (r *Reader) OutletHours(ctx context.Context, sources []string, from, to time.Time) ([]OutletHour, error) {
	if len(sources) == 0 || !to.After(from) {
		return nil, nil
	}
	fields := []string{schema.FieldFlow}
	for _, p := range schema.SourcePollutants {
		fields = append(fields, p+schema.RateSuffix)
	}
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> group(columns: [%s, %s])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.EmissionHourly), schema.IsAny(schema.TagSource, sources...),
		schema.IsAnyField(fields...), strconv.Quote(schema.TagSource), strconv.Quote(schema.TagOutlet))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of %s outlet hours for %d sources: %w", schema.EmissionHourly, len(sources), err)
	}
	defer res.Close()
	var out []OutletHour
	for res.Next() {
		rec := res.Record()
		src, _ := rec.ValueByKey(schema.TagSource).(string)
		outlet, _ := rec.ValueByKey(schema.TagOutlet).(string)
		t, _ := rec.ValueByKey("_time").(time.Time)
		if src == "" || outlet == "" || t.IsZero() {
			continue
		}
		h := OutletHour{Source: src, Outlet: outlet, Hour: t, KgH: map[string]float64{}}
		for _, p := range schema.SourcePollutants {
			if v, ok := rec.ValueByKey(p + schema.RateSuffix).(float64); ok {
				h.KgH[p] = v
			}
		}
		h.Flow, h.FlowValid = rec.ValueByKey(schema.FieldFlow).(float64)
		out = append(out, h)
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read %s outlet hours: %w", schema.EmissionHourly, err)
	}
	return out, nil
}

// OutletHourKey names one outlet's hour.
type OutletHourKey struct {
	Source, Outlet string
	Hour           time.Time
}

// StopFlaggedHours returns the outlet hours starting in [from, to) in which the raw readings
// (measurement emission) of the sources carry the stop flag F (停运) on flow or a pollutant.
func (r *Reader) StopFlaggedHours(ctx context.Context, sources []string, from, to time.Time) ([]OutletHourKey, error) {
	if len(sources) == 0 || !to.After(from) {
		return nil, nil
	}
	flags := []string{schema.FieldFlow + schema.FlagSuffix}
	for _, p := range schema.SourcePollutants {
		flags = append(flags, p+schema.FlagSuffix)
	}
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => r._value == %s)
  |> group(columns: [%s, %s])
  |> aggregateWindow(every: 1h, fn: count, timeSrc: "_start", createEmpty: false)`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.Emission), schema.IsAny(schema.TagSource, sources...),
		schema.IsAnyField(flags...), strconv.Quote(reading.FlagStopped.String()),
		strconv.Quote(schema.TagSource), strconv.Quote(schema.TagOutlet))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of stop flags for %d sources: %w", len(sources), err)
	}
	defer res.Close()
	seen := map[OutletHourKey]bool{}
	var out []OutletHourKey
	for res.Next() {
		rec := res.Record()
		src, _ := rec.ValueByKey(schema.TagSource).(string)
		outlet, _ := rec.ValueByKey(schema.TagOutlet).(string)
		t, _ := rec.ValueByKey("_time").(time.Time)
		n, _ := rec.Value().(int64)
		k := OutletHourKey{src, outlet, t}
		if src == "" || outlet == "" || t.IsZero() || n == 0 || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read stop flags: %w", err)
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

// intOf reads an integer field of a pivoted row (stored as int; a float is accepted).
func intOf(rec recordValues, k string) int {
	switch v := rec.ValueByKey(k).(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

func floatOf(rec recordValues, k string) float64 {
	switch v := rec.ValueByKey(k).(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

func strOf(rec recordValues, k string) string {
	s, _ := rec.ValueByKey(k).(string)
	return s
}

func timeOf(rec recordValues, k string) time.Time {
	t, _ := time.Parse(time.RFC3339, strOf(rec, k))
	return t
}

// JudgedHour names an outlet and a time: the hour source monitoring last judged, or the time
// of an outlet's last reading.
type JudgedHour struct {
	Source, Outlet string
	Hour           time.Time
}

// LastJudgedHours returns per outlet the start of the latest emission_hourly point in
// [from, to): the last hour source monitoring judged.
func (r *Reader) LastJudgedHours(ctx context.Context, from, to time.Time) ([]JudgedHour, error) {
	return r.latestPerOutlet(ctx, from, to, schema.EmissionHourly,
		schema.IsMeasurement(schema.EmissionHourly)+" and "+schema.IsField(schema.FieldSamples))
}

// latestPerOutlet returns per source and outlet the time of the latest point that filter
// selects in [from, to).
func (r *Reader) latestPerOutlet(ctx context.Context, from, to time.Time, measurement, filter string) ([]JudgedHour, error) {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> group(columns: [%s, %s])
  |> max(column: "_time")`,
		r.fluxRange(from, to), filter, strconv.Quote(schema.TagSource), strconv.Quote(schema.TagOutlet))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of the latest %s per outlet: %w", measurement, err)
	}
	defer res.Close()
	var out []JudgedHour
	for res.Next() {
		rec := res.Record()
		oh := JudgedHour{Source: strOf(rec, schema.TagSource), Outlet: strOf(rec, schema.TagOutlet), Hour: rec.Time()}
		if oh.Source != "" && oh.Outlet != "" {
			out = append(out, oh)
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", measurement, err)
	}
	return out, nil
}

// StoredExceedance is the latest recorded state of an exceedance event (measurement
// exceedance): closed when a closed point exists, else extended, else opened.
type StoredExceedance struct {
	Source, Outlet, County, Pollutant, State string
	Start, End, PeakAt                       time.Time
	Limit, Peak                              float64
	Basis                                    string
	Hours, GapHours, FlaggedHours            int
}

// Exceedances returns the latest state of each exceedance event that started in [from, to).
func (r *Reader) Exceedances(ctx context.Context, from, to time.Time) ([]StoredExceedance, error) {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.Exceedance))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of %s: %w", schema.Exceedance, err)
	}
	defer res.Close()
	rank := map[string]int{schema.StateOpened: 1, schema.StateExtended: 2, schema.StateClosed: 3}
	type key struct {
		src, out, p string
		start       time.Time
	}
	latest := make(map[key]StoredExceedance)
	var order []key
	for res.Next() {
		rec := res.Record()
		e := StoredExceedance{
			Source: strOf(rec, schema.TagSource), Outlet: strOf(rec, schema.TagOutlet), County: strOf(rec, schema.TagCounty),
			Pollutant: strOf(rec, schema.TagPollutant), State: strOf(rec, schema.TagState),
			Start: rec.Time(), End: timeOf(rec, schema.FieldEnd), PeakAt: timeOf(rec, schema.FieldPeakAt),
			Limit: floatOf(rec, schema.FieldLimit), Peak: floatOf(rec, schema.FieldPeak), Basis: strOf(rec, schema.FieldBasis),
			Hours: intOf(rec, schema.FieldHours), GapHours: intOf(rec, schema.FieldGapHours), FlaggedHours: intOf(rec, schema.FieldFlaggedHours),
		}
		if rank[e.State] == 0 || e.Source == "" {
			continue
		}
		k := key{e.Source, e.Outlet, e.Pollutant, e.Start.UTC()}
		prev, seen := latest[k]
		if !seen {
			order = append(order, k)
		}
		if !seen || rank[e.State] > rank[prev.State] {
			latest[k] = e
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", schema.Exceedance, err)
	}
	out := make([]StoredExceedance, 0, len(order))
	for _, k := range order {
		out = append(out, latest[k])
	}
	return out, nil
}

// StoredFinding is a data-quality finding as last written (measurement source_quality).
type StoredFinding struct {
	Source, Outlet, Rule, Field, Scope string
	Start, End                         time.Time
	Hours                              int
	Value                              float64
	Detail                             string
}

// Findings returns the findings of scope (schema.ScopeDay or ScopeStream) that start in
// [from, to).
func (r *Reader) Findings(ctx context.Context, scope string, from, to time.Time) ([]StoredFinding, error) {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s and %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.SourceQuality), schema.Is(schema.TagScope, scope))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of %s: %w", schema.SourceQuality, err)
	}
	defer res.Close()
	var out []StoredFinding
	for res.Next() {
		rec := res.Record()
		f := StoredFinding{Source: strOf(rec, schema.TagSource), Outlet: strOf(rec, schema.TagOutlet), Rule: strOf(rec, schema.TagRule),
			Field: strOf(rec, schema.TagField), Scope: strOf(rec, schema.TagScope), Start: rec.Time(), End: timeOf(rec, schema.FieldEnd),
			Hours: intOf(rec, schema.FieldHours), Value: floatOf(rec, schema.FieldValue), Detail: strOf(rec, schema.FieldDetail)}
		if f.Source != "" && f.Rule != "" {
			out = append(out, f)
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", schema.SourceQuality, err)
	}
	return out, nil
}

// LastSeen returns per outlet the time of its latest stored reading (measurement emission)
// in [from, to): the coverage view's "data arrived".
func (r *Reader) LastSeen(ctx context.Context, from, to time.Time) ([]JudgedHour, error) {
	return r.latestPerOutlet(ctx, from, to, schema.Emission, schema.IsMeasurement(schema.Emission))
}

// WarningIssue is a warning issued for an area (warning_event, action issue).
type WarningIssue struct {
	Time      time.Time
	Area      string
	WarningID string
	Level     string
}

// WarningIssues returns the warnings issued in [from, to), one per area.
func (r *Reader) WarningIssues(ctx context.Context, from, to time.Time) ([]WarningIssue, error) {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s and %s and %s)`,
		r.fluxRange(from, to), schema.IsMeasurement(schema.WarningEvent), schema.Is(schema.TagAction, schema.ActionIssue),
		schema.IsField(schema.FieldVersion))
	res, err := r.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of %s: %w", schema.WarningEvent, err)
	}
	defer res.Close()
	var out []WarningIssue
	for res.Next() {
		rec := res.Record()
		w := WarningIssue{Time: rec.Time(), Area: strOf(rec, schema.TagArea), WarningID: strOf(rec, schema.TagWarningID), Level: strOf(rec, schema.TagLevel)}
		if w.Area != "" {
			out = append(out, w)
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", schema.WarningEvent, err)
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
