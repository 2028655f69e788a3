// Package influx stores readings in InfluxDB: a batching writer over the client's blocking write
// API, with a durable spool for outages and dead letters for points InfluxDB refuses. Its Reader
// (query.go) is the one place stored points are read back with Flux.
package influx

import (
	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// EncodeLine encodes a reading as one point of line protocol in nanosecond precision. The
// client's Point type builds maps and formats floats through fmt on every point, which costs
// more than the rest of the pipeline together, so readings go through Line instead; the format
// is pinned by tests that read the points back from a real InfluxDB.
//
// The same reading always yields the same series and timestamp, so a redelivered duplicate
// overwrites itself.
func EncodeLine(a *reading.Accepted) []byte {
	var l *schema.Line
	if a.Kind == reading.Source {
		l = schema.NewLine(schema.Emission, 256).Tag(schema.TagArea, a.Area).Tag(schema.TagCounty, a.County).
			Tag(schema.TagIndustry, a.Industry).Tag(schema.TagOutlet, a.Outlet).Tag(schema.TagPeriod, string(a.Period)).
			Tag(schema.TagSource, a.Source)
	} else {
		l = schema.NewLine(schema.Air, 256).Tag(schema.TagArea, a.Area).Tag(schema.TagCounty, a.County).
			Tag(schema.TagPeriod, string(a.Period)).Tag(schema.TagStation, a.Station)
	}
	for _, v := range a.Values {
		if !v.NoValue {
			l.Float(v.Name, v.Value)
		}
		if v.Flag != reading.FlagNone {
			l.String(v.Name+schema.FlagSuffix, v.Flag.String())
		}
	}
	return l.At(a.Time)
}
