package stream

import (
	"strconv"
	"strings"
	"time"

	"lantian/alert/aqi"
)

// Derived measurements (docs/assessment.md "Streaming"). A recomputed hour or day is written
// again with the same series and timestamp, so it overwrites its earlier value.
const (
	MeasurementHourly   = "aqi_hourly"
	MeasurementDaily    = "aqi_daily"
	MeasurementProgress = "county_progress"
)

// Scope tag values.
const (
	ScopeStation = "station"
	ScopeCounty  = "county"
)

var iaqiField = [aqi.NumPollutants]string{"iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3"}

var dailyField = [aqi.NumPollutants]string{"pm25", "pm10", "so2", "no2", "co", "o3_8h"}

type line struct{ b []byte }

func (l *line) tag(k, v string) {
	if v == "" {
		return
	}
	l.b = append(l.b, ',')
	l.b = append(l.b, k...)
	l.b = append(l.b, '=')
	l.b = escape(l.b, v)
}

func (l *line) sep() {
	if l.b[len(l.b)-1] == ' ' {
		return
	}
	l.b = append(l.b, ',')
}

func (l *line) fields() { l.b = append(l.b, ' ') }

func (l *line) int(k string, v int) {
	l.sep()
	l.b = append(l.b, k...)
	l.b = append(l.b, '=')
	l.b = strconv.AppendInt(l.b, int64(v), 10)
	l.b = append(l.b, 'i')
}

func (l *line) float(k string, v float64) {
	l.sep()
	l.b = append(l.b, k...)
	l.b = append(l.b, '=')
	l.b = strconv.AppendFloat(l.b, v, 'f', -1, 64)
}

// conc writes a concentration exactly as its decimal text (CO mg/m³ with one decimal).
func (l *line) conc(k string, c aqi.Conc) {
	l.sep()
	l.b = append(l.b, k...)
	l.b = append(l.b, '=')
	l.b = append(l.b, c.String()...)
}

func (l *line) bool(k string, v bool) {
	l.sep()
	l.b = append(l.b, k...)
	l.b = append(l.b, '=')
	l.b = strconv.AppendBool(l.b, v)
}

func (l *line) str(k, v string) {
	l.sep()
	l.b = append(l.b, k...)
	l.b = append(l.b, "=\""...)
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			l.b = append(l.b, '\\')
		}
		l.b = append(l.b, v[i])
	}
	l.b = append(l.b, '"')
}

func (l *line) time(t time.Time) []byte {
	l.b = append(l.b, ' ')
	return strconv.AppendInt(l.b, t.UnixNano(), 10)
}

// escape escapes a tag value: commas, equals signs and spaces; newlines cannot be escaped in
// line protocol and become escaped spaces (registry ids cannot hold any of them anyway).
func escape(b []byte, s string) []byte {
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

// result writes the AQI fields. `published` is always written, and `primary` always (empty
// when none), so an overwrite never leaves a stale primary behind; aqi, level and category
// exist only when an AQI may be published.
func (l *line) result(res aqi.Result) {
	l.bool("published", res.Published)
	if res.Published {
		l.int("aqi", res.AQI)
		l.int("level", int(res.Level))
		l.str("category", res.Level.Category())
	}
	l.str("primary", res.PrimaryString())
}

// hourlyLine: aqi_hourly,area=…,county=…,scope=station|county[,station=…] fields, at the hour's
// start. iaqi_<pollutant> fields are the individual indices that could be computed (iaqi_so2 is
// the 24-h one in the 2012 SO2 > 800 case).
func hourlyLine(k hourKey, county, area string, res aqi.Result) []byte {
	l := line{b: make([]byte, 0, 256)}
	l.b = append(l.b, MeasurementHourly...)
	l.tag("area", area)
	l.tag("county", county)
	if k.county {
		l.tag("scope", ScopeCounty)
	} else {
		l.tag("scope", ScopeStation)
		l.tag("station", k.name)
	}
	l.fields()
	l.result(res)
	for _, sub := range res.Sub {
		if sub.Valid {
			l.int(iaqiField[sub.Indicator.Pollutant()], sub.IAQI)
		}
	}
	return l.time(time.Unix(k.t, 0))
}

// dailyLine: aqi_daily with the HJ 663 daily values as the offline daily report prints them
// (rounded; o3_8h the daily max 8-h mean, o3_1h the daily max 1-h value), `valid` (every daily
// indicator met its data rule) and `final` (the day is past its end plus the lateness).
func dailyLine(k dayKey, county, area string, ds *dayState, zone *time.Location) []byte {
	l := line{b: make([]byte, 0, 320)}
	l.b = append(l.b, MeasurementDaily...)
	l.tag("area", area)
	l.tag("county", county)
	if k.county {
		l.tag("scope", ScopeCounty)
	} else {
		l.tag("scope", ScopeStation)
		l.tag("station", k.name)
	}
	l.fields()
	l.result(ds.rec.Result)
	for p, s := range ds.rec.Day.Values {
		if s.Valid {
			l.conc(dailyField[p], aqi.Round(aqi.Pollutant(p), s.C))
		}
	}
	if s := ds.rec.Day.O3_1h; s.Valid {
		l.conc("o3_1h", aqi.Round(aqi.O3, s.C))
	}
	l.bool("valid", ds.complete)
	l.bool("final", ds.final)
	return l.time(k.date.Start(zone))
}

// progressLine: county_progress,area=…,county=… at the as-of day's start.
func progressLine(county, area string, p Progress, zone *time.Location) []byte {
	l := line{b: make([]byte, 0, 256)}
	l.b = append(l.b, MeasurementProgress...)
	l.tag("area", area)
	l.tag("county", county)
	l.fields()
	l.int("days", p.Stats.Days)
	l.int("valid_days", p.Stats.ValidDays)
	l.int("good_days", p.Stats.GoodDays)
	l.int("heavy_days", p.Stats.HeavyDays)
	opt := func(k string, v *float64) {
		if v != nil {
			l.float(k, *v)
		}
	}
	opt("pm25_ytd", p.PM25)
	opt("good_ratio_ytd", p.GoodRatio)
	opt("pm25_target", p.PM25Target)
	opt("good_target", p.GoodTarget)
	opt("pm25_gap", p.PM25Gap)
	opt("good_gap", p.GoodGap)
	return l.time(p.AsOf.Start(zone))
}
