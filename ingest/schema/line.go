package schema

import (
	"strconv"
	"strings"
	"time"
)

// Line builds one point of InfluxDB line protocol: measurement, tags in the order given (give
// them sorted by key, as InfluxDB prefers), fields, and a nanosecond timestamp. Every measurement
// Lantian writes, raw or derived, is encoded with it, so escaping has one home.
type Line struct {
	b        []byte
	inFields bool
}

// NewLine starts a point of measurement, with room for size bytes.
func NewLine(measurement string, size int) *Line {
	l := &Line{b: make([]byte, 0, size)}
	l.b = appendKey(l.b, measurement)
	return l
}

// Tag adds a tag; empty values are left out, as line protocol cannot carry them.
func (l *Line) Tag(key, value string) *Line {
	if value == "" {
		return l
	}
	l.b = append(l.b, ',')
	l.b = appendKey(l.b, key)
	l.b = append(l.b, '=')
	l.b = appendKey(l.b, value)
	return l
}

func (l *Line) field(key string) {
	if l.inFields {
		l.b = append(l.b, ',')
	} else {
		l.b = append(l.b, ' ')
		l.inFields = true
	}
	l.b = appendKey(l.b, key)
	l.b = append(l.b, '=')
}

// Float adds a float field in the shortest exact decimal form.
func (l *Line) Float(key string, v float64) *Line {
	l.field(key)
	l.b = strconv.AppendFloat(l.b, v, 'g', -1, 64)
	return l
}

// Decimal adds a float field from decimal text the caller has formatted exactly (such as a
// concentration rounded by the AQI rules); the text must be a valid number.
func (l *Line) Decimal(key, text string) *Line {
	l.field(key)
	l.b = append(l.b, text...)
	return l
}

// Int adds an integer field.
func (l *Line) Int(key string, v int64) *Line {
	l.field(key)
	l.b = strconv.AppendInt(l.b, v, 10)
	l.b = append(l.b, 'i')
	return l
}

// Bool adds a boolean field.
func (l *Line) Bool(key string, v bool) *Line {
	l.field(key)
	l.b = strconv.AppendBool(l.b, v)
	return l
}

// String adds a string field, escaping quotes and backslashes; line breaks, which would end
// the point, become spaces.
func (l *Line) String(key, v string) *Line {
	l.field(key)
	l.b = append(l.b, '"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"', '\\':
			l.b = append(l.b, '\\', c)
		case '\n', '\r':
			l.b = append(l.b, ' ')
		default:
			l.b = append(l.b, c)
		}
	}
	l.b = append(l.b, '"')
	return l
}

// HasFields reports whether a field was added; a point needs at least one.
func (l *Line) HasFields() bool { return l.inFields }

// At ends the point with its timestamp and returns it (no trailing newline).
func (l *Line) At(t time.Time) []byte {
	l.b = append(l.b, ' ')
	return strconv.AppendInt(l.b, t.UnixNano(), 10)
}

// appendKey escapes a measurement, tag key, tag value or field key: commas, equals signs and
// spaces get a backslash; newlines cannot be escaped in line protocol and become spaces.
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
