package schema

import (
	"strconv"
	"strings"
)

// Flux predicates over the names of this package, for every reader of the stored points: the
// query layer of ingest/influx and the Grafana boards. They quote names and values the way Flux
// reads string literals, so no query spells a name or its quoting again.

// Is selects the rows whose column equals value: r.column == "value".
func Is(column, value string) string { return "r." + column + " == " + strconv.Quote(value) }

// IsAny selects the rows whose column equals one of values, joined with or.
func IsAny(column string, values ...string) string {
	ps := make([]string, len(values))
	for i, v := range values {
		ps[i] = Is(column, v)
	}
	return strings.Join(ps, " or ")
}

// IsMeasurement selects the points of a measurement.
func IsMeasurement(name string) string { return Is("_measurement", name) }

// IsField selects the values of one field.
func IsField(name string) string { return Is("_field", name) }

// IsAnyField selects the values of any of the fields.
func IsAnyField(names ...string) string { return IsAny("_field", names...) }
