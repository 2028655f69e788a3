package source

import (
	"testing"
	"time"

	"lantian/ingest/reading"
)

var cst = time.FixedZone("CST", 8*3600)

// day0 is local midnight of the test day.
func day0() time.Time { return time.Date(2026, 1, 10, 0, 0, 0, 0, cst) }

func at(h int) time.Time { return day0().Add(time.Duration(h) * time.Hour) }

func testConfig() Config {
	c := DefaultConfig()
	c.Location = cst
	return c
}

// hour builds an hourly record in which every given field is one valid value.
func hour(src, out string, h int, fields map[string]float64) Hour {
	x := Hour{Source: src, Outlet: out, Start: at(h), Period: reading.Hour, Samples: 1, Fields: map[string]FieldStat{}}
	for k, v := range fields {
		x.Fields[k] = FieldStat{Mean: v, Min: v, Max: v, Valid: 1, Total: 1, Status: StatusValid}
	}
	return x
}

// flagged marks fields of an hour as flagged with f.
func flagged(h Hour, f reading.Flag, fields ...string) Hour {
	for _, k := range fields {
		h.Fields[k] = FieldStat{Total: 1, Status: StatusFlagged, Flag: f}
	}
	return h
}

func mustChecker(t *testing.T, c Config) *Checker {
	t.Helper()
	chk, err := NewChecker(c)
	if err != nil {
		t.Fatal(err)
	}
	return chk
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*(1+abs(b))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
