package jsonreading

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// The reference decoder: the contract read with encoding/json (strict: unknown fields refused,
// one JSON value), as the package did before its own scanner. The differential fuzz tests
// below hold the scanner to the same readings and reasons.

type refAir struct {
	Station   string            `json:"station"`
	Time      timestamp         `json:"time"`
	Period    string            `json:"period"`
	PM25      number            `json:"pm25"`
	PM10      number            `json:"pm10"`
	SO2       number            `json:"so2"`
	NO2       number            `json:"no2"`
	CO        number            `json:"co"`
	O3        number            `json:"o3"`
	Temp      number            `json:"temp"`
	RH        number            `json:"rh"`
	Pressure  number            `json:"pressure"`
	WindSpeed number            `json:"wind_speed"`
	WindDir   number            `json:"wind_dir"`
	Flags     map[string]string `json:"flags"`
}

type refSource struct {
	Source   string            `json:"source"`
	Outlet   string            `json:"outlet"`
	Time     timestamp         `json:"time"`
	Period   string            `json:"period"`
	Dust     number            `json:"dust"`
	SO2      number            `json:"so2"`
	NOx      number            `json:"nox"`
	NMHC     number            `json:"nmhc"`
	DustZs   number            `json:"dust_zs"`
	SO2Zs    number            `json:"so2_zs"`
	NOxZs    number            `json:"nox_zs"`
	NMHCZs   number            `json:"nmhc_zs"`
	O2       number            `json:"o2"`
	Flow     number            `json:"flow"`
	Temp     number            `json:"temp"`
	Pressure number            `json:"pressure"`
	Humidity number            `json:"humidity"`
	Velocity number            `json:"velocity"`
	Flags    map[string]string `json:"flags"`
}

func refStrict(payload []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return &reading.Rejection{Reason: reading.ReasonUnknownField, Err: err}
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return reading.Reject(reading.ReasonBadValue, "field %q: %v", ute.Field, err)
		}
		var bv *badValueError
		if errors.As(err, &bv) {
			return &reading.Rejection{Reason: reading.ReasonBadValue, Err: err}
		}
		var bt *badTimeError
		if errors.As(err, &bt) {
			return &reading.Rejection{Reason: reading.ReasonBadTime, Err: err}
		}
		return &reading.Rejection{Reason: reading.ReasonMalformed, Err: err}
	}
	if dec.More() {
		return reading.Reject(reading.ReasonMalformed, "trailing data after the JSON object")
	}
	return nil
}

// refFlags turns the map into a flag set in sorted order; the reference iterated the map.
func refFlags(m map[string]string) *flagSet {
	var f flagSet
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f.set(k, m[k])
	}
	return &f
}

func refDecodeAir(topic string, payload []byte) (reading.Reading, error) {
	var p refAir
	if err := refStrict(payload, &p); err != nil {
		return reading.Reading{}, err
	}
	station := p.Station
	switch {
	case station == "":
		station = topic
	case topic != "" && station != topic:
		return reading.Reading{}, reading.Reject(reading.ReasonTopicMismatch, "mismatch")
	}
	if station == "" {
		return reading.Reading{}, reading.Reject(reading.ReasonBadTopic, "no station")
	}
	r := reading.Reading{Kind: reading.Air, Station: station}
	r.Values = values(schema.AirFields[:], []number{p.PM25, p.PM10, p.SO2, p.NO2, p.CO, p.O3,
		p.Temp, p.RH, p.Pressure, p.WindSpeed, p.WindDir}, len(p.Flags))
	return r, finish(&r, p.Time, p.Period, refFlags(p.Flags))
}

func refDecodeSource(src, out string, payload []byte) (reading.Reading, error) {
	var p refSource
	if err := refStrict(payload, &p); err != nil {
		return reading.Reading{}, err
	}
	s, o := p.Source, p.Outlet
	if s == "" {
		s = src
	}
	if o == "" {
		o = out
	}
	if s != src || o != out {
		return reading.Reading{}, reading.Reject(reading.ReasonTopicMismatch, "mismatch")
	}
	r := reading.Reading{Kind: reading.Source, Source: s, Outlet: o}
	r.Values = values(schema.SourceFields[:], []number{p.Dust, p.SO2, p.NOx, p.NMHC,
		p.DustZs, p.SO2Zs, p.NOxZs, p.NMHCZs,
		p.O2, p.Flow, p.Temp, p.Pressure, p.Humidity, p.Velocity}, len(p.Flags))
	return r, finish(&r, p.Time, p.Period, refFlags(p.Flags))
}

// sameOutcome fails unless the scanner and the reference agree: the same reason, or the same
// reading (values in name order: the reference's flag-only values came in map order). Where
// the reference let "}" or "]" follow the object (encoding/json's Decoder.More does not count
// them as more data), the scanner refuses the payload as malformed.
func sameOutcome(t *testing.T, payload string, got, want reading.Reading, gotErr, wantErr error) {
	t.Helper()
	if reading.ReasonOf(gotErr) == reading.ReasonMalformed && strings.Contains(gotErr.Error(), "trailing data") {
		dec := json.NewDecoder(strings.NewReader(payload))
		var v json.RawMessage
		if dec.Decode(&v) == nil {
			if rest := strings.TrimLeft(payload[dec.InputOffset():], " \t\r\n"); rest != "" && (rest[0] == '}' || rest[0] == ']') {
				return
			}
		}
	}
	if reading.ReasonOf(gotErr) != reading.ReasonOf(wantErr) {
		t.Fatalf("payload %q: scanner %v, reference %v", payload, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	byName := func(a, b reading.Value) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(got.Values, byName)
	slices.SortFunc(want.Values, byName)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("payload %q:\nscanner   %+v\nreference %+v", payload, got, want)
	}
}

func FuzzDecodeAirMatchesReference(f *testing.F) {
	for _, s := range beijingSeeds(f, 10) {
		f.Add(s)
	}
	for _, s := range []string{
		`{"time":1768039200,"pm25":"35.2","flags":{"so2":"D"}}`, `{"time":"1768039200500","pm25":1e999}`,
		`{"PM25":1,"Time":1768039200,"STATION":"cj-01"}`, `{"station":"c\u006a-01","time":1768039200}`,
		`{"time":1768039200,"pm25":1,"pm25":null,"flags":{"pm25":"n","pm25":"D"},"flags":null}`,
		`{"zz":1,"pm25":true,"time":1}`, `{"station":5,"pm25":"x"}`, `null`, `[]`, `{"time":1}}`,
		`{"time":1} x`, `{"flags":{"a":1,"b":null},"time":1768039200}`, "{\"time\":\"\xff\"}",
		`{"ſtation":"cj-01","time":1768039200}`, `{"time":"2026-01-10T10:00:00+08:00","period":"1h"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		got, gotErr := DecodeAir("cj-01", []byte(payload))
		want, wantErr := refDecodeAir("cj-01", []byte(payload))
		sameOutcome(t, payload, got, want, gotErr, wantErr)
	})
}

func FuzzDecodeSourceMatchesReference(f *testing.F) {
	f.Add(`{"time":1768039200,"period":"1h","dust":3.1,"so2":21,"nox":38.5,"o2":7.2,"flow":512000,"temp":49.5,"so2_zs":"20.1","flags":{"so2":"N","nox":"C"}}`)
	f.Add(`{"source":"px-power","outlet":"DA001","time":"2026-01-10T10:00:00+08:00","nox":"","flow":"1e5"}`)
	f.Add(`{"source":"px-power","outlet":"DA002","time":1}`)
	f.Fuzz(func(t *testing.T, payload string) {
		got, gotErr := DecodeSource("px-power", "DA001", []byte(payload))
		want, wantErr := refDecodeSource("px-power", "DA001", []byte(payload))
		sameOutcome(t, payload, got, want, gotErr, wantErr)
	})
}
