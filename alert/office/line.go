package office

import (
	"strconv"
	"strings"
	"time"
)

// line builds one InfluxDB line-protocol point. The writer takes lines without a trailing
// newline, as ingest/influx.AppendLine makes them.
type line struct {
	b      []byte
	fields int
}

func newLine(measurement string) *line { return &line{b: append(make([]byte, 0, 256), measurement...)} }

// tag appends a tag; tags must come in key order (InfluxDB's preference) and before fields.
// Empty values are left out: InfluxDB refuses empty tag values.
func (l *line) tag(k, v string) *line {
	if v == "" {
		return l
	}
	l.b = append(l.b, ',')
	l.b = appendEscaped(l.b, k)
	l.b = append(l.b, '=')
	l.b = appendEscaped(l.b, v)
	return l
}

func (l *line) sep() {
	if l.fields == 0 {
		l.b = append(l.b, ' ')
	} else {
		l.b = append(l.b, ',')
	}
	l.fields++
}

func (l *line) int(k string, v int64) *line {
	l.sep()
	l.b = appendEscaped(l.b, k)
	l.b = append(l.b, '=')
	l.b = strconv.AppendInt(l.b, v, 10)
	l.b = append(l.b, 'i')
	return l
}

func (l *line) bool(k string, v bool) *line {
	l.sep()
	l.b = appendEscaped(l.b, k)
	l.b = append(l.b, '=')
	l.b = strconv.AppendBool(l.b, v)
	return l
}

func (l *line) str(k, v string) *line {
	l.sep()
	l.b = appendEscaped(l.b, k)
	l.b = append(l.b, '=', '"')
	l.b = append(l.b, strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ", "\r", " ").Replace(v)...)
	l.b = append(l.b, '"')
	return l
}

func (l *line) at(t time.Time) []byte {
	l.b = append(l.b, ' ')
	return strconv.AppendInt(l.b, t.UnixNano(), 10)
}

// appendEscaped escapes a measurement, tag key or value, or field key: commas, equals signs and
// spaces get a backslash; newlines cannot be escaped in line protocol and become spaces.
func appendEscaped(b []byte, s string) []byte {
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
