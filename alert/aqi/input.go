package aqi

import (
	"fmt"
	"strings"
)

// InputError is bad input of an offline engine (the hourly CSV of lantian assess, the forecast
// CSV of lantian warnings recommend), located by line and column: 1-based, the column counting
// bytes. It lives here, beside the parsing of the values those files hold, so that both engines
// share it without importing each other.
type InputError struct {
	Name   string
	Line   int
	Column int
	Field  string // header name of the column, when known
	Err    error
}

func (e *InputError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d", e.Name, e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ":%d", e.Column)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": column %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }
