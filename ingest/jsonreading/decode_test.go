package jsonreading

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

func TestAirReadingsDecodeEveryContractForm(t *testing.T) {
	cases := []struct {
		name, payload string
		wantTime      time.Time
		wantPM25      float64
		wantPeriod    reading.Period
	}{
		{"RFC 3339 with offset", `{"station":"cj-01","time":"2026-01-10T18:00:00+08:00","period":"1h","pm25":35.2}`, time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC), 35.2, reading.Hour},
		{"unix seconds", `{"time":1768039200,"pm25":35}`, time.Unix(1768039200, 0), 35, reading.RealTime},
		{"unix milliseconds", `{"time":1768039200500,"pm25":35}`, time.UnixMilli(1768039200500), 35, reading.RealTime},
		{"unix seconds as string", `{"time":"1768039200","pm25":"35.5"}`, time.Unix(1768039200, 0), 35.5, reading.RealTime},
		{"numeric string with spaces", `{"time":1768039200,"pm25":" 12 "}`, time.Unix(1768039200, 0), 12, reading.RealTime},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeAir("cj-01", []byte(c.payload))
			if err != nil {
				t.Fatal(err)
			}
			v, ok := r.Get("pm25")
			if !ok || v.Value != c.wantPM25 || !r.Time.Equal(c.wantTime) || r.Period != c.wantPeriod || r.Station != "cj-01" {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestFlagsAreKeptAndAFlagWithoutValueIsAllowed(t *testing.T) {
	r, err := DecodeAir("cj-01", []byte(`{"time":1768039200,"pm25":35,"so2":null,"flags":{"pm25":"c","so2":"D"}}`))
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := r.Get("pm25")
	so2, ok := r.Get("so2")
	if pm.Flag != reading.FlagCalibration || !ok || !so2.NoValue || so2.Flag != reading.FlagFault {
		t.Fatalf("flags: pm25 %+v so2 %+v", pm, so2)
	}
	if pm.Flag.Valid() || so2.Flag.Valid() {
		t.Fatal("calibration and fault values must not count as valid")
	}
}

func TestRejectionsCarryTheirReason(t *testing.T) {
	cases := []struct{ name, topicStation, payload, reason string }{
		{"truncated", "cj-01", `{"time":1768039200,"pm25":`, reading.ReasonMalformed},
		{"not JSON", "cj-01", "\x00\x01garbage", reading.ReasonMalformed},
		{"array", "cj-01", `[1,2]`, reading.ReasonMalformed},
		{"two objects", "cj-01", `{"time":1768039200,"pm25":1}{"time":1768039200,"pm25":1}`, reading.ReasonMalformed},
		{"unknown field", "cj-01", `{"time":1768039200,"pm25":1,"aqi":50}`, reading.ReasonUnknownField},
		{"text value", "cj-01", `{"time":1768039200,"pm25":"high"}`, reading.ReasonBadValue},
		{"object value", "cj-01", `{"time":1768039200,"pm25":{"v":1}}`, reading.ReasonBadValue},
		{"NaN", "cj-01", `{"time":1768039200,"pm25":"NaN"}`, reading.ReasonNonFinite},
		{"Infinity", "cj-01", `{"time":1768039200,"pm25":"-Inf"}`, reading.ReasonNonFinite},
		{"overflow", "cj-01", `{"time":1768039200,"pm25":1e400}`, reading.ReasonNonFinite},
		{"no time", "cj-01", `{"pm25":1}`, reading.ReasonBadTime},
		{"local time without offset", "cj-01", `{"time":"2026-01-10 10:00","pm25":1}`, reading.ReasonBadTime},
		{"time as object", "cj-01", `{"time":{"s":1},"pm25":1}`, reading.ReasonBadTime},
		{"station as number", "", `{"station":7,"time":1768039200,"pm25":1}`, reading.ReasonBadValue},
		{"bad period", "cj-01", `{"time":1768039200,"period":"2h","pm25":1}`, reading.ReasonBadPeriod},
		{"bad flag", "cj-01", `{"time":1768039200,"pm25":1,"flags":{"pm25":"X"}}`, reading.ReasonBadFlag},
		{"station mismatch", "cj-01", `{"station":"qt-01","time":1768039200,"pm25":1}`, reading.ReasonTopicMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeAir(c.topicStation, []byte(c.payload))
			if reading.ReasonOf(err) != c.reason {
				t.Fatalf("reason %q (%v), want %q", reading.ReasonOf(err), err, c.reason)
			}
		})
	}
}

func TestSourceReadings(t *testing.T) {
	r, err := DecodeSource("px-power", "DA001", []byte(`{"time":1768039200,"period":"1h","so2":21,"so2_zs":"20.1","o2":7,"flow":512000}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := checker(t, false).Check(r)
	if err != nil {
		t.Fatal(err)
	}
	if a.Industry != "power" || a.County != "changji" || len(a.Values) != 4 {
		t.Fatalf("got %+v", a)
	}
	_, err = DecodeSource("px-power", "DA001", []byte(`{"outlet":"DA002","time":1768039200,"so2":1}`))
	if reading.ReasonOf(err) != reading.ReasonTopicMismatch {
		t.Fatalf("outlet mismatch: %v", err)
	}
}

func TestRejectionWrapsCause(t *testing.T) {
	_, err := DecodeAir("cj-01", []byte(`{"time":1,"pm25":"NaN"}`))
	var rej *reading.Rejection
	if !errors.As(err, &rej) || !strings.Contains(err.Error(), "pm25") {
		t.Fatalf("error %v does not name the field", err)
	}
}

// Every field of the schema's lists decodes under its own name, and nothing else does: the
// payload structs and the schema cannot drift apart.
func TestEveryContractFieldDecodesUnderItsSchemaName(t *testing.T) {
	for _, c := range []struct {
		fields []string
		decode func([]byte) (reading.Reading, error)
	}{
		{schema.AirFields[:], func(p []byte) (reading.Reading, error) { return DecodeAir("cj-01", p) }},
		{schema.SourceFields[:], func(p []byte) (reading.Reading, error) { return DecodeSource("px-power", "DA001", p) }},
	} {
		for i, name := range c.fields {
			r, err := c.decode([]byte(fmt.Sprintf(`{"time":1768039200,%q:%d}`, name, i+1)))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if len(r.Values) != 1 || r.Values[0].Name != name || r.Values[0].Value != float64(i+1) {
				t.Errorf("%s decoded as %+v", name, r.Values)
			}
		}
	}
	if _, err := DecodeAir("cj-01", []byte(`{"time":1768039200,"dust":1}`)); reading.ReasonOf(err) != reading.ReasonUnknownField {
		t.Errorf("source field on air: %v", err)
	}
	if _, err := DecodeSource("px-power", "DA001", []byte(`{"time":1768039200,"pm25":1}`)); reading.ReasonOf(err) != reading.ReasonUnknownField {
		t.Errorf("air field on source: %v", err)
	}
}
