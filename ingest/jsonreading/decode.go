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
	// RFC 3339 text always has a ':', which no number has: skip ParseFloat, whose error
	// allocates, for the common case.
	if strings.IndexByte(s, ':') >= 0 {
		if !quoted {
			return &badTimeError{fmt.Sprintf("time %s is neither RFC 3339 text nor unix seconds", b)}
		}
		return ts.parseText(s)
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
	return ts.parseText(s)
}

func (ts *timestamp) parseText(s string) error {
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
	Station   string
	Time      timestamp
	Period    string
	PM25      number
	PM10      number
	SO2       number
	NO2       number
	CO        number
	O3        number
	Temp      number
	RH        number
	Pressure  number
	WindSpeed number
	WindDir   number
	Flags     flagSet
	topic     string
}

// airKeys and sourceKeys are the payloads' keys; they are never written.
var (
	airKeys    = []string{"station", "time", "period", "pm25", "pm10", "so2", "no2", "co", "o3", "temp", "rh", "pressure", "wind_speed", "wind_dir", "flags"}
	sourceKeys = []string{"source", "outlet", "time", "period", "dust", "so2", "nox", "nmhc", "dust_zs", "so2_zs", "nox_zs", "nmhc_zs", "o2", "flow", "temp", "pressure", "humidity", "velocity", "flags"}
)

func (p *airPayload) set(name string, val []byte) (bool, error) {
	var n *number
	switch name {
	case "station":
		return setString(&p.Station, name, val, p.topic)
	case "period":
		return setString(&p.Period, name, val, "")
	case "time":
		return true, p.Time.UnmarshalJSON(val)
	case "pm25":
		n = &p.PM25
	case "pm10":
		n = &p.PM10
	case "so2":
		n = &p.SO2
	case "no2":
		n = &p.NO2
	case "co":
		n = &p.CO
	case "o3":
		n = &p.O3
	case "temp":
		n = &p.Temp
	case "rh":
		n = &p.RH
	case "pressure":
		n = &p.Pressure
	case "wind_speed":
		n = &p.WindSpeed
	case "wind_dir":
		n = &p.WindDir
	default:
		return false, fmt.Errorf("jsonreading: no air field %q", name)
	}
	return true, n.UnmarshalJSON(val)
}

type sourcePayload struct {
	Source   string
	Outlet   string
	Time     timestamp
	Period   string
	Dust     number
	SO2      number
	NOx      number
	NMHC     number
	DustZs   number
	SO2Zs    number
	NOxZs    number
	NMHCZs   number
	O2       number
	Flow     number
	Temp     number
	Pressure number
	Humidity number
	Velocity number
	Flags    flagSet

	topicSource, topicOutlet string
}

func (p *sourcePayload) set(name string, val []byte) (bool, error) {
	var n *number
	switch name {
	case "source":
		return setString(&p.Source, name, val, p.topicSource)
	case "outlet":
		return setString(&p.Outlet, name, val, p.topicOutlet)
	case "period":
		return setString(&p.Period, name, val, "")
	case "time":
		return true, p.Time.UnmarshalJSON(val)
	case "dust":
		n = &p.Dust
	case "so2":
		n = &p.SO2
	case "nox":
		n = &p.NOx
	case "nmhc":
		n = &p.NMHC
	case "dust_zs":
		n = &p.DustZs
	case "so2_zs":
		n = &p.SO2Zs
	case "nox_zs":
		n = &p.NOxZs
	case "nmhc_zs":
		n = &p.NMHCZs
	case "o2":
		n = &p.O2
	case "flow":
		n = &p.Flow
	case "temp":
		n = &p.Temp
	case "pressure":
		n = &p.Pressure
	case "humidity":
		n = &p.Humidity
	case "velocity":
		n = &p.Velocity
	default:
		return false, fmt.Errorf("jsonreading: no source field %q", name)
	}
	return true, n.UnmarshalJSON(val)
}

// setString sets a string field from a JSON string (null leaves it); another JSON type is
// reported as a bad value once the object is read (known false). A value equal to same is
// taken without allocating.
func setString(dst *string, name string, val []byte, same string) (bool, error) {
	switch val[0] {
	case '"':
		if name == "period" {
			same = periodText(val)
		}
		*dst = text(val, same)
		return true, nil
	case 'n':
		return true, nil
	}
	return false, typeError(name, val, "string")
}

// periodText is the period constant a raw JSON string spells, if any.
func periodText(raw []byte) string {
	for _, p := range [...]reading.Period{reading.RealTime, reading.Minute, reading.Hour, reading.Day} {
		if string(raw[1:len(raw)-1]) == string(p) {
			return string(p)
		}
	}
	return ""
}

// DecodeAir decodes an ambient reading published on lantian/air/<station>. The payload's
// station, when given, must equal the topic's.
func DecodeAir(topicStation string, payload []byte) (reading.Reading, error) {
	p := airPayload{topic: topicStation}
	if err := decodeObject(payload, airKeys, p.set, &p.Flags); err != nil {
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
		p.Temp, p.RH, p.Pressure, p.WindSpeed, p.WindDir}, len(p.Flags.kv))
	return r, finish(&r, p.Time, p.Period, &p.Flags)
}

// DecodeSource decodes an outlet reading published on lantian/source/<source>/<outlet>.
func DecodeSource(topicSource, topicOutlet string, payload []byte) (reading.Reading, error) {
	p := sourcePayload{topicSource: topicSource, topicOutlet: topicOutlet}
	if err := decodeObject(payload, sourceKeys, p.set, &p.Flags); err != nil {
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
		p.O2, p.Flow, p.Temp, p.Pressure, p.Humidity, p.Velocity}, len(p.Flags.kv))
	return r, finish(&r, p.Time, p.Period, &p.Flags)
}

// values keeps the numbers that were given, named by the schema's field list in the same order
// (the payload structs list their fields in that order), with room for the flags' extra values.
func values(names []string, nums []number, flags int) []reading.Value {
	if len(nums) != len(names) {
		panic(fmt.Sprintf("jsonreading: %d numbers for the %d fields %v", len(nums), len(names), names))
	}
	k := 0
	for _, n := range nums {
		if n.set {
			k++
		}
	}
	out := make([]reading.Value, 0, k+flags)
	for i, n := range nums {
		if n.set {
			out = append(out, reading.Value{Name: names[i], Value: n.v})
		}
	}
	return out
}

func finish(r *reading.Reading, ts timestamp, period string, flags *flagSet) error {
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
	for _, kv := range flags.kv {
		name, text := kv[0], kv[1]
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
