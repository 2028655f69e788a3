package jsonreading

import (
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
)

func valuesByName(r reading.Reading) map[string]reading.Value {
	m := map[string]reading.Value{}
	for _, v := range r.Values {
		m[v.Name] = v
	}
	return m
}

// TestEncodeRoundTrips: what Encode writes decodes to the same reading, flags, flag-only
// values and sub-second times included, on the topic the decoder expects.
func TestEncodeRoundTrips(t *testing.T) {
	at := time.Date(2026, 1, 10, 18, 0, 0, 250_000_000, time.FixedZone("CST", 8*3600))
	for _, r := range []reading.Reading{
		{Kind: reading.Air, Station: "cj-01", Time: at, Period: reading.Hour, Values: []reading.Value{
			{Name: "pm25", Value: 35.2, Flag: reading.FlagNormal}, {Name: "co", Value: 0.62},
			{Name: "so2", Flag: reading.Flag('D'), NoValue: true}}},
		{Kind: reading.Source, Source: "px-power", Outlet: "DA001", Time: at, Period: reading.RealTime, Values: []reading.Value{
			{Name: "nox", Value: 38.5, Flag: reading.Flag('C')}, {Name: "o2", Value: 7.2}, {Name: "flow", Value: 512000}}},
	} {
		topic, payload, err := Encode("lantian", &r)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(topic, "/")
		var got reading.Reading
		switch r.Kind {
		case reading.Air:
			if topic != "lantian/air/cj-01" {
				t.Fatalf("topic %s", topic)
			}
			got, err = DecodeAir(parts[2], payload)
		case reading.Source:
			if topic != "lantian/source/px-power/DA001" {
				t.Fatalf("topic %s", topic)
			}
			got, err = DecodeSource(parts[2], parts[3], payload)
		}
		if err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		if !got.Time.Equal(r.Time) || got.Period != r.Period || got.ID() != r.ID() {
			t.Errorf("%s: got %s %s %s, want %s %s %s", payload, got.ID(), got.Time, got.Period, r.ID(), r.Time, r.Period)
		}
		want, have := valuesByName(r), valuesByName(got)
		if len(want) != len(have) {
			t.Errorf("%s: values %v, want %v", payload, have, want)
		}
		for n, w := range want {
			if h := have[n]; h.Flag != w.Flag || h.NoValue != w.NoValue || (!w.NoValue && h.Value != w.Value) {
				t.Errorf("%s: %s = %+v, want %+v", payload, n, h, w)
			}
		}
	}
}
