// Package influx stores readings in InfluxDB: a batching writer over the client's blocking write
// API, with a durable spool for outages and dead letters for points InfluxDB refuses.
package influx

import (
	"strconv"
	"strings"

	"lantian/ingest/reading"
	"lantian/ingest/validate"
)

// Measurement names of the data contract.
const (
	MeasurementAir      = "air"
	MeasurementEmission = "emission"
)

// AppendLine appends the InfluxDB line protocol of a reading (without a trailing newline) in
// nanosecond precision. The client's Point type builds maps and formats floats through fmt on
// every point, which costs more than the rest of the pipeline together, so readings are encoded
// here directly; the format is pinned by tests that read the points back from a real InfluxDB.
//
// Tags are written in key order, as InfluxDB prefers. The same reading always yields the same
// series and timestamp, so a redelivered duplicate overwrites itself.
func AppendLine(b []byte, a *validate.Accepted) []byte {
	if a.Kind == reading.Source {
		b = append(b, MeasurementEmission...)
		b = appendTag(b, "area", a.Area)
		b = appendTag(b, "county", a.County)
		b = appendTag(b, "industry", a.Industry)
		b = appendTag(b, "outlet", a.Outlet)
		b = appendTag(b, "period", string(a.Period))
		b = appendTag(b, "source", a.Source)
	} else {
		b = append(b, MeasurementAir...)
		b = appendTag(b, "area", a.Area)
		b = appendTag(b, "county", a.County)
		b = appendTag(b, "period", string(a.Period))
		b = appendTag(b, "station", a.Station)
	}
	sep := byte(' ')
	for _, v := range a.Values {
		if !v.NoValue {
			b = append(b, sep)
			sep = ','
			b = appendKey(b, v.Name)
			b = append(b, '=')
			b = strconv.AppendFloat(b, v.Value, 'g', -1, 64)
		}
		if v.Flag != reading.FlagNone {
			b = append(b, sep)
			sep = ','
			b = appendKey(b, v.Name)
			b = append(b, "_flag=\""...)
			b = append(b, byte(v.Flag), '"')
		}
	}
	b = append(b, ' ')
	return strconv.AppendInt(b, a.Time.UnixNano(), 10)
}

func appendTag(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',')
	b = append(b, key...)
	b = append(b, '=')
	return appendKey(b, value)
}

// appendKey escapes a tag value or field key: commas, equals signs and spaces get a backslash;
// newlines cannot be escaped in line protocol and become spaces, escaped.
func appendKey(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ", =\n\r") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',', '=', ' ':
			b = append(b, '\\', c)
		case '\n', '\r':
			b = append(b, '\\', ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}
