// Package jsonreading decodes the JSON data contract (docs/data-contract.md): a reading published
// on lantian/air/<station> or lantian/source/<source>/<outlet>. It is the sibling of package
// hj212, which decodes the same reading.Reading from HJ 212 packets; package validate then
// checks either.
//
// Decoding is strict: an unknown field, a second JSON value or a value of the wrong type
// refuses the payload. Everything refused comes back as a *reading.Rejection whose reason
// code is used in metrics and dead letters.
package jsonreading

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// number is a JSON value that may be a number or a numeric string ("35.2"), as data loggers send
// both. Non-finite values ("NaN", "Inf", 1e999) are kept as such so that they are reported with
// their own reason rather than as malformed JSON.
type number struct {
	v   float64
	set bool
}

func (n *number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := b
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = bytes.TrimSpace(s[1 : len(s)-1])
		if len(s) == 0 {
			return nil
		}
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			v = math.Inf(1)
		} else {
			return &badValueError{fmt.Sprintf("%s is not a number", b)}
		}
	}
	n.v, n.set = v, true
	return nil
}

type badValueError struct{ msg string }

func (e *badValueError) Error() string { return e.msg }

type badTimeError struct{ msg string }

func (e *badTimeError) Error() string { return e.msg }

// timestamp is RFC 3339 text, or unix seconds or milliseconds as a number or numeric string.
type timestamp struct {
	t   time.Time
	set bool
}

// unixMillisThreshold separates unix seconds from milliseconds: 1e11 s is the year 5138,
// 1e11 ms is 1973, so no plausible reading is ambiguous.
const unixMillisThreshold = 1e11

func (ts *timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	quoted := len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"'
	if quoted {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 || n > 1e14 {
			return &badTimeError{fmt.Sprintf("time %s is not a usable unix time", b)}
		}
		if n >= unixMillisThreshold {
			ts.t = time.UnixMilli(int64(n)).UTC()
		} else {
			sec, frac := math.Modf(n)
			ts.t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		}
		ts.set = true
		return nil
	}
	if !quoted {
		return &badTimeError{fmt.Sprintf("time %s is neither RFC 3339 text nor unix seconds", b)}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return &badTimeError{fmt.Sprintf("time %q is not RFC 3339 with an offset (e.g. 2024-03-15T10:00:00+08:00)", s)}
	}
	ts.t, ts.set = t, true
	return nil
}

// airPayload and sourcePayload are the JSON objects of the contract. Their measurement fields
// are those of schema.AirFields and schema.SourceFields, in the same order.
type airPayload struct {
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

type sourcePayload struct {
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

func decodeStrict(payload []byte, v any) error {
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

// DecodeAir decodes an ambient reading published on lantian/air/<station>. The payload's
// station, when given, must equal the topic's.
func DecodeAir(topicStation string, payload []byte) (reading.Reading, error) {
	var p airPayload
	if err := decodeStrict(payload, &p); err != nil {
		return reading.Reading{}, err
	}
	station := p.Station
	switch {
	case station == "":
		station = topicStation
	case topicStation != "" && station != topicStation:
		return reading.Reading{}, reading.Reject(reading.ReasonTopicMismatch, "payload station %q published on the topic of station %q", station, topicStation)
	}
	if station == "" {
		return reading.Reading{}, reading.Reject(reading.ReasonBadTopic, "no station in topic or payload")
	}
	r := reading.Reading{Kind: reading.Air, Station: station}
	r.Values = values(schema.AirFields[:], []number{p.PM25, p.PM10, p.SO2, p.NO2, p.CO, p.O3,
		p.Temp, p.RH, p.Pressure, p.WindSpeed, p.WindDir})
	return r, finish(&r, p.Time, p.Period, p.Flags)
}

// DecodeSource decodes an outlet reading published on lantian/source/<source>/<outlet>.
func DecodeSource(topicSource, topicOutlet string, payload []byte) (reading.Reading, error) {
	var p sourcePayload
	if err := decodeStrict(payload, &p); err != nil {
		return reading.Reading{}, err
	}
	src, out := p.Source, p.Outlet
	if src == "" {
		src = topicSource
	}
	if out == "" {
		out = topicOutlet
	}
	if (topicSource != "" && src != topicSource) || (topicOutlet != "" && out != topicOutlet) {
		return reading.Reading{}, reading.Reject(reading.ReasonTopicMismatch, "payload outlet %s/%s published on the topic of %s/%s", src, out, topicSource, topicOutlet)
	}
	if src == "" || out == "" {
		return reading.Reading{}, reading.Reject(reading.ReasonBadTopic, "no source/outlet in topic or payload")
	}
	r := reading.Reading{Kind: reading.Source, Source: src, Outlet: out}
	r.Values = values(schema.SourceFields[:], []number{p.Dust, p.SO2, p.NOx, p.NMHC,
		p.DustZs, p.SO2Zs, p.NOxZs, p.NMHCZs,
		p.O2, p.Flow, p.Temp, p.Pressure, p.Humidity, p.Velocity})
	return r, finish(&r, p.Time, p.Period, p.Flags)
}

// values keeps the numbers that were given, named by the schema's field list in the same order
// (the payload structs list their fields in that order).
func values(names []string, nums []number) []reading.Value {
	if len(nums) != len(names) {
		panic(fmt.Sprintf("jsonreading: %d numbers for the %d fields %v", len(nums), len(names), names))
	}
	out := make([]reading.Value, 0, len(nums))
	for i, n := range nums {
		if n.set {
			out = append(out, reading.Value{Name: names[i], Value: n.v})
		}
	}
	return out
}

func finish(r *reading.Reading, ts timestamp, period string, flags map[string]string) error {
	if !ts.set {
		return reading.Reject(reading.ReasonBadTime, "time is missing")
	}
	r.Time = ts.t
	p, err := reading.ParsePeriod(period)
	if err != nil {
		return &reading.Rejection{Reason: reading.ReasonBadPeriod, Err: err}
	}
	r.Period = p
	for _, v := range r.Values {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			return reading.Reject(reading.ReasonNonFinite, "%s is %v", v.Name, v.Value)
		}
	}
	for name, text := range flags {
		f, err := reading.ParseFlag(text)
		if err != nil {
			return reading.Reject(reading.ReasonBadFlag, "flags.%s: %v", name, err)
		}
		found := false
		for i := range r.Values {
			if r.Values[i].Name == name {
				r.Values[i].Flag, found = f, true
				break
			}
		}
		if !found {
			r.Values = append(r.Values, reading.Value{Name: name, Flag: f, NoValue: true})
		}
	}
	return nil
}
