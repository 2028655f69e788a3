package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/schema"
)

// Template variables. Flux text refers to them as ${name} (single value) or ${name:regex}
// (Grafana's regex format of a multi-value selection, "(a|b)", or the allValue ".*").
const (
	varBucket  = "bucket"
	varCounty  = "county"
	varStation = "station"
	varPeriod  = "period"
)

// DefaultBucket is the InfluxDB 2.x bucket docker-compose creates; a 1.8 server names it
// "lantian/autogen". The board's hidden "bucket" constant holds it.
const DefaultBucket = "lantian"

// Filters that every air query shares: the board's county and station selection.
var (
	countyFilter  = tagIn(schema.TagCounty, varCounty)
	stationFilter = tagIn(schema.TagStation, varStation)
)

// Predicates of Flux row functions. The boards take measurement, tag and field names and the
// tag values they test from ingest/schema (the data contract), and its predicates (schema.Is,
// schema.IsMeasurement, …) quote them, so a query's text does not spell them again. Only the
// columns a pivot makes of the fields a query selected, referred to further down the same
// pipeline (r.peak, last(column: "score")), are spelled in the Flux text, where a constant would
// make the query unreadable; the tests run every query against points written with the
// writers' names.

// tagIn selects the points whose tag has one of the values selected in the board's template
// variable, written in Grafana's regex format (see the template variables above).
func tagIn(tag, variable string) string { return fmt.Sprintf("r.%s =~ /^${%s:regex}$/", tag, variable) }

// and is the conjunction of predicates.
func and(predicates ...string) string { return strings.Join(predicates, " and ") }

// invalidFlags are HJ 212 flags whose values are stored but excluded from averages and latest
// values (data contract: F stopped, M maintenance, D fault, C calibration, B comms, P power).
const invalidFlags = "FMDCBP"

// fromBucket starts a query over the dashboard's time range.
func fromBucket() string {
	return `from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)`
}

// validRows is Flux statements that end in a stream "valid": one row per valid value of the
// fields in the series filter selects, with columns _time, the keys, f (the field) and v (the
// value). A value is valid when its flag (the field "<field>_flag", schema.FlagSuffix) is absent
// or not one of invalidFlags; with zs, a converted "<field>_zs" value shares the flag of
// "<field>" (the analyser's).
//
// InfluxDB 1.8's Flux (v0.65) type-checks a row function against each table and fails on a
// column that table lacks, even behind "exists", and it panics pivoting a union unless the
// columns are narrowed first. So flags become numeric "bad" markers, each series gets sentinel
// rows at the epoch that create both pivot columns, and keep() runs before pivot().
func validRows(filter string, fields, keys []string, zs bool) string {
	var cols strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&cols, "%s: r.%s, ", k, k)
	}
	group := quoteList(append(append([]string{}, keys...), "f"))
	keep := quoteList(append([]string{"_time", "_value", "kind", "f"}, keys...))
	bad := []string{"bad"}
	zsMarks := ""
	if zs {
		bad = append(bad, "bad_zs")
		zsMarks = fmt.Sprintf(`bad_zs = flags
  |> map(fn: (r) => ({_time: r._time, %sf: strings.trimSuffix(v: r._field, suffix: %q) + %q, kind: "bad", _value: 1.0}))
`, cols.String(), schema.FlagSuffix, schema.ConvertedSuffix)
	}
	return fmt.Sprintf(`data = %[1]s
  |> filter(fn: (r) => %[2]s)
  |> filter(fn: (r) => r._field =~ /^(%[3]s)(%[11]s)?$/)
vals = data
  |> filter(fn: (r) => r._field !~ /%[11]s$/)
  |> map(fn: (r) => ({_time: r._time, %[4]sf: r._field, kind: "v", _value: r._value}))
flags = data
  |> filter(fn: (r) => r._field =~ /%[11]s$/)
  |> filter(fn: (r) => r._value =~ /^[%[5]s]$/)
bad = flags
  |> map(fn: (r) => ({_time: r._time, %[4]sf: strings.trimSuffix(v: r._field, suffix: "%[11]s"), kind: "bad", _value: 1.0}))
%[6]sall = union(tables: [vals, %[7]s]) |> group(columns: [%[8]s])
m1 = all |> first() |> map(fn: (r) => ({r with _time: %[9]s, kind: "v", _value: 0.0}))
m2 = all |> first() |> map(fn: (r) => ({r with _time: %[9]s, kind: "bad", _value: 0.0}))
valid = union(tables: [all, m1, m2])
  |> keep(columns: [%[10]s])
  |> pivot(rowKey: ["_time"], columnKey: ["kind"], valueColumn: "_value")
  |> filter(fn: (r) => r._time > %[9]s and exists r.v and not exists r.bad)
`, fromBucket(), filter, strings.Join(fields, "|"), cols.String(), invalidFlags, zsMarks, strings.Join(bad, ", "), group, sentinelTime, keep,
		schema.FlagSuffix)
}

// sentinelTime stamps the rows that only make columns exist; no reading is that old.
const sentinelTime = "1970-01-01T00:00:00Z"

// latestValidTable is one table with a row per series key (e.g. station, county) and a
// column per field holding its latest valid value in the time range.
func latestValidTable(filter string, keys, fields []string, zs bool) string {
	keyList := quoteList(keys)
	return fmt.Sprintf(`import "strings"

%svalid
  |> group(columns: [%s])
  |> last(column: "v")
  |> keep(columns: [%s])
  |> group(columns: [%s])
  |> pivot(rowKey: [%s], columnKey: ["f"], valueColumn: "v")
  |> group()
  |> sort(columns: [%s])`, validRows(filter, fields, keys, zs),
		quoteList(append(append([]string{}, keys...), "f")), quoteList(append(append([]string{}, keys...), "f", "v")),
		keyList, keyList, keyList)
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// tagValuesQuery lists the values of tag in the measurement name seen in the last 90 days (the
// ingest's max_age), optionally narrowed by a predicate on other tags.
func tagValuesQuery(name, tag, predicate string) string {
	p := schema.IsMeasurement(name)
	if predicate != "" {
		p = and(p, predicate)
	}
	return fmt.Sprintf(`import "influxdata/influxdb/v1"
v1.tagValues(bucket: "${bucket}", tag: %q, predicate: (r) => %s, start: -90d)`, tag, p)
}

func bucketVar() sdk.TemplateVar {
	return sdk.TemplateVar{
		Name: varBucket, Type: "constant", Label: "bucket", Hide: sdk.TemplatingHideVariable,
		Query:   DefaultBucket,
		Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{DefaultBucket}, Valid: true}, Value: DefaultBucket},
		Options: []sdk.Option{{Text: DefaultBucket, Value: DefaultBucket, Selected: true}},
	}
}

// fluxQueryVar is a multi-value variable whose values a Flux query lists, refreshed when the
// board loads so that a new station appears without editing the board.
func fluxQueryVar(name, label, query string) sdk.TemplateVar {
	return sdk.TemplateVar{
		Name: name, Type: "query", Label: label, Datasource: influxRef(), Query: query,
		Refresh:    sdk.BoolInt{Value: ptr(int64(1))},
		Multi:      true,
		IncludeAll: true,
		AllValue:   ".*",
		Sort:       1,
		Options:    []sdk.Option{},
		Current:    sdk.Current{Text: &sdk.StringSliceString{Value: []string{"All"}, Valid: true}, Value: []string{"$__all"}},
	}
}

func countyVar() sdk.TemplateVar {
	return fluxQueryVar(varCounty, "区县 county", tagValuesQuery(schema.Air, schema.TagCounty, ""))
}

func stationVar() sdk.TemplateVar {
	return fluxQueryVar(varStation, "站点 station", tagValuesQuery(schema.Air, schema.TagStation, countyFilter))
}

// periodVar picks the averaging period of the readings shown: a real-time value and an hourly
// mean of the same hour are different series.
func periodVar() sdk.TemplateVar {
	opts := []sdk.Option{
		{Text: "1h 小时均值", Value: "1h", Selected: true},
		{Text: "rt 实时", Value: "rt"},
		{Text: "1m 分钟", Value: "1m"},
		{Text: "1d 日均值", Value: "1d"},
	}
	return sdk.TemplateVar{
		Name: varPeriod, Type: "custom", Label: "周期 period", Query: "1h 小时均值 : 1h,rt 实时 : rt,1m 分钟 : 1m,1d 日均值 : 1d", Options: opts,
		Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{"1h 小时均值"}, Valid: true}, Value: "1h"},
	}
}
