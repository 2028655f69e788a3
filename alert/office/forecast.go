package office

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lantian/alert/aqi"
	"lantian/alert/warning"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Forecast is an air-quality forecast for one area: daily AQI with the primary pollutant for the
// coming days and optionally an hourly rolling-24h AQI, as the forecasting centre issues it.
type Forecast struct {
	Area   string        `json:"area"`
	Issued time.Time     `json:"issued"`
	Source string        `json:"source"`
	Days   []ForecastDay `json:"days"`
	// Hours are stamped by the start of the last hour of their 24.
	Hours []warning.HourAQI `json:"hours,omitempty"`
	// Received is when Lantian took the forecast.
	Received time.Time `json:"received"`
}

// ForecastDay is the forecast of one calendar day.
type ForecastDay struct {
	Date aqi.Date `json:"date"`
	AQI  int      `json:"aqi"`
	// Primary is the primary pollutant (PM2.5, PM10, SO2, NO2, CO, O3), empty when none.
	Primary string `json:"primary,omitempty"`
	// SandDust marks a day the forecasting centre attributes to sand and dust (沙尘): it is met
	// with health advice, not a heavy-pollution warning (docs/warnings.md "Episode types").
	SandDust bool `json:"sand_dust,omitempty"`
}

// Forecast bounds: daily AQI forecasts cover 3 to 7 days (HJ 633-2026 asks for at least 3;
// the plan for 7); 15 days and 10 days of hours leave room without accepting runaway input.
const (
	maxForecastDays  = 15
	maxForecastHours = 240
	maxSourceLen     = 128
	// maxForecastAge refuses forecasts issued long ago: replaying them would recommend on
	// weather that has passed.
	maxForecastAge = 7 * 24 * time.Hour
)

// Rejection reason codes of forecasts beyond those of package validate.
const (
	ReasonUnknownArea = "unknown_area"
	ReasonBadArea     = "bad_area"
	ReasonBadDate     = "bad_date"
	ReasonBadForecast = "bad_forecast"
)

// wireForecast is the JSON of the data contract (docs/warnings.md "Forecast input").
type wireForecast struct {
	Area   string     `json:"area"`
	Issued string     `json:"issued"`
	Source string     `json:"source"`
	Days   []wireDay  `json:"days"`
	Hours  []wireHour `json:"hours"`
}

type wireDay struct {
	Date     string      `json:"date"`
	AQI      json.Number `json:"aqi"`
	Primary  string      `json:"primary"`
	SandDust bool        `json:"sand_dust"`
}

type wireHour struct {
	Start string      `json:"start"`
	AQI   json.Number `json:"aqi"`
}

// ForecastChecker validates forecasts against the registry and the clock.
type ForecastChecker struct {
	Registry *registry.Registry
	Location *time.Location
	// MaxFuture is how far in the future an issue time may lie (clock skew).
	MaxFuture time.Duration
}

// Decode parses and validates a forecast. topicArea is the area of the MQTT topic (empty for the
// HTTP API, where the body must name it). Every problem is reported, under the reason code of
// the first one, as a *reading.Rejection.
func (c ForecastChecker) Decode(topicArea string, payload []byte, now time.Time) (Forecast, error) {
	var w wireForecast
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return Forecast{}, &reading.Rejection{Reason: reading.ReasonUnknownField, Err: fmt.Errorf("forecast: %w", err)}
		}
		return Forecast{}, &reading.Rejection{Reason: reading.ReasonMalformed, Err: fmt.Errorf("forecast: %w", err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Forecast{}, &reading.Rejection{Reason: reading.ReasonMalformed, Err: errors.New("forecast: data after the JSON object")}
	}
	var p problems
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	f := Forecast{Area: w.Area, Source: strings.TrimSpace(w.Source), Received: now}

	switch {
	case topicArea != "" && w.Area != "" && w.Area != topicArea:
		p.add(reading.ReasonTopicMismatch, "area %q in the body differs from %q in the topic", w.Area, topicArea)
	case topicArea != "":
		f.Area = topicArea
	}
	if f.Area == "" {
		p.add(ReasonUnknownArea, "area is missing")
	} else if err := registry.CheckID(f.Area); err != nil {
		p.add(ReasonUnknownArea, "area: %v", err)
	} else if a, ok := c.Registry.Area(f.Area); !ok {
		p.add(ReasonUnknownArea, "unknown area %q (not in the registry's areas)", f.Area)
	} else if a.Kind == registry.Region {
		p.add(ReasonBadArea, "area %q is a region: send one forecast per member area (%s)", f.Area, strings.Join(a.Members, ", "))
	}

	if w.Issued == "" {
		p.add(reading.ReasonBadTime, "issued is missing (RFC 3339, e.g. 2024-01-02T16:00:00+08:00)")
	} else if t, err := parseTime(w.Issued, loc); err != nil {
		p.add(reading.ReasonBadTime, "issued: %v", err)
	} else {
		f.Issued = t
		switch {
		case t.After(now.Add(c.MaxFuture)):
			p.add(reading.ReasonFuture, "issued %s is in the future (now %s)", t.Format(time.RFC3339), now.In(loc).Format(time.RFC3339))
		case t.Before(now.Add(-maxForecastAge)):
			p.add(reading.ReasonTooOld, "issued %s is more than %s ago", t.Format(time.RFC3339), maxForecastAge)
		}
	}

	switch {
	case f.Source == "":
		p.add(reading.ReasonBadValue, "source is missing (who made the forecast, e.g. 自治区环境监测总站)")
	case len(f.Source) > maxSourceLen || !utf8.ValidString(f.Source) || strings.ContainsFunc(f.Source, func(r rune) bool { return unicode.IsControl(r) || r == '\\' }):
		p.add(reading.ReasonBadValue, "source must be at most %d bytes of text without control characters or backslashes", maxSourceLen)
	}

	switch {
	case len(w.Days) == 0:
		p.add(ReasonBadForecast, "days is empty: a forecast needs the daily AQI of at least one day")
	case len(w.Days) > maxForecastDays:
		p.add(ReasonBadForecast, "%d days, more than %d", len(w.Days), maxForecastDays)
	default:
		for i, d := range w.Days {
			fd := ForecastDay{}
			date, err := aqi.ParseDate(strings.TrimSpace(d.Date))
			if err != nil {
				p.add(ReasonBadDate, "days[%d].date %q: want YYYY-MM-DD", i, d.Date)
			}
			fd.Date = date
			if i > 0 && err == nil && !f.Days[i-1].Date.IsZero() && date != f.Days[i-1].Date.AddDays(1) {
				p.add(ReasonBadDate, "days[%d].date %s does not follow %s: days must be consecutive", i, date, f.Days[i-1].Date)
			}
			fd.AQI = p.aqi(fmt.Sprintf("days[%d].aqi", i), d.AQI)
			prim, err := normalizePollutant(d.Primary)
			if err != nil {
				p.add(reading.ReasonBadValue, "days[%d].primary: %v", i, err)
			}
			fd.Primary, fd.SandDust = prim, d.SandDust
			f.Days = append(f.Days, fd)
		}
		if first := f.Days[0].Date; !f.Issued.IsZero() && !first.IsZero() {
			issuedOn := aqi.DateOf(f.Issued.In(loc))
			switch {
			case first.Before(issuedOn):
				p.add(ReasonBadDate, "days start %s, before the issue date %s: a forecast is for the coming days", first, issuedOn)
			case issuedOn.AddDays(1).Before(first):
				p.add(ReasonBadDate, "days start %s, more than a day after the issue date %s", first, issuedOn)
			}
		}
	}

	if len(w.Hours) > maxForecastHours {
		p.add(ReasonBadForecast, "%d hourly values, more than %d", len(w.Hours), maxForecastHours)
	} else {
		for i, h := range w.Hours {
			t, err := parseTime(h.Start, loc)
			switch {
			case err != nil:
				p.add(reading.ReasonBadTime, "hours[%d].start: %v", i, err)
			case !t.Truncate(time.Hour).Equal(t):
				p.add(reading.ReasonBadTime, "hours[%d].start %s is not on the hour", i, h.Start)
			case i > 0 && !f.Hours[i-1].Start.IsZero() && t.Sub(f.Hours[i-1].Start) != time.Hour:
				p.add(reading.ReasonBadTime, "hours[%d].start %s does not follow %s by one hour: hours must be consecutive", i, h.Start, f.Hours[i-1].Start.In(loc).Format(time.RFC3339))
			}
			f.Hours = append(f.Hours, warning.HourAQI{Start: t, AQI: p.aqi(fmt.Sprintf("hours[%d].aqi", i), h.AQI)})
		}
	}
	if err := p.err(f.Area); err != nil {
		return Forecast{}, err
	}
	return f, nil
}

// problems collects validation failures; the first one's reason code names the rejection.
type problems struct {
	reason string
	msgs   []string
}

func (p *problems) add(reason, format string, args ...any) {
	if p.reason == "" {
		p.reason = reason
	}
	if len(p.msgs) < 20 {
		p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
	}
}

func (p *problems) aqi(field string, n json.Number) int {
	if n == "" {
		p.add(reading.ReasonBadValue, "%s is missing", field)
		return 0
	}
	v, err := strconv.Atoi(string(n))
	if err != nil {
		p.add(reading.ReasonBadValue, "%s %s is not an integer AQI", field, n)
		return 0
	}
	if v < 0 || v > 500 {
		p.add(reading.ReasonOutOfRange, "%s %d outside 0–500 (HJ 633's scale)", field, v)
	}
	return v
}

func (p *problems) err(area string) error {
	if p.reason == "" {
		return nil
	}
	prefix := "forecast"
	if area != "" {
		prefix += " for " + area
	}
	return &reading.Rejection{Reason: p.reason, Err: fmt.Errorf("%s: %s", prefix, strings.Join(p.msgs, "; "))}
}

// parseTime reads RFC 3339, or a time without offset in the configured zone (as readings do).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		// Kept in the configured zone: the office, its documents and its messages use local time.
		return t.In(loc), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339, e.g. 2024-01-02T16:00:00+08:00)", s)
}

var pollutants = []string{"PM2.5", "PM10", "SO2", "NO2", "CO", "O3"}

// normalizePollutant accepts the usual spellings (pm25, PM2.5, O3_8h, 臭氧…) and returns the
// canonical name; empty, "-" and "—" mean no primary pollutant (AQI ≤ 50).
func normalizePollutant(s string) (string, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	switch t {
	case "", "-", "—", "NONE", "无":
		return "", nil
	case "PM25", "PM2.5", "PM2_5", "细颗粒物":
		return "PM2.5", nil
	case "PM10", "可吸入颗粒物":
		return "PM10", nil
	case "SO2", "二氧化硫":
		return "SO2", nil
	case "NO2", "二氧化氮":
		return "NO2", nil
	case "CO", "一氧化碳":
		return "CO", nil
	case "O3", "O3_8H", "O3-8H", "O3_1H", "臭氧":
		return "O3", nil
	}
	return "", fmt.Errorf("unknown pollutant %q (want one of %s, or empty)", s, strings.Join(pollutants, ", "))
}

// input turns the forecast into the grading input from the given date on: days before it
// have passed and belong to the observed series. ok is false when nothing is left.
func (f Forecast) input(from aqi.Date, hourFrom time.Time) (warning.Input, bool) {
	in := warning.Input{Area: f.Area}
	for _, d := range f.Days {
		if !d.Date.Before(from) {
			in.Days = append(in.Days, warning.DayAQI{Date: d.Date, AQI: d.AQI, Primary: d.Primary, SandDust: d.SandDust})
		}
	}
	for _, h := range f.Hours {
		if !h.Start.Before(hourFrom) {
			in.Hours = append(in.Hours, h)
		}
	}
	return in, len(in.Days) > 0
}

// lines encodes the forecast for InfluxDB, measurement forecast: one point per day
// (kind=daily) and per hour (kind=hourly), stamped by the day's or hour's start, tagged with
// the lead in days from the issue date. A forecast issued again on the same day for the same
// days overwrites the earlier one; forecasts of other days are kept apart by their lead, which
// is what a forecast verification compares.
func (f Forecast) lines(loc *time.Location) [][]byte {
	issuedOn := aqi.DateOf(f.Issued.In(loc))
	out := make([][]byte, 0, len(f.Days)+len(f.Hours))
	for _, d := range f.Days {
		lead := daysBetween(issuedOn, d.Date)
		l := newLine(schema.Forecast).Tag(schema.TagArea, f.Area).Tag(schema.TagKind, schema.KindDaily).
			Tag(schema.TagLead, strconv.Itoa(lead)).Tag(schema.TagSource, f.Source)
		l.Int(schema.FieldAQI, int64(d.AQI)).Int(schema.FieldIssued, f.Issued.Unix())
		if d.Primary != "" {
			l.String(schema.FieldPrimary, d.Primary)
		}
		out = append(out, l.At(d.Date.Start(loc)))
	}
	for _, h := range f.Hours {
		lead := daysBetween(issuedOn, aqi.DateOf(h.Start.In(loc)))
		l := newLine(schema.Forecast).Tag(schema.TagArea, f.Area).Tag(schema.TagKind, schema.KindHourly).
			Tag(schema.TagLead, strconv.Itoa(lead)).Tag(schema.TagSource, f.Source)
		l.Int(schema.FieldAQI, int64(h.AQI)).Int(schema.FieldIssued, f.Issued.Unix())
		out = append(out, l.At(h.Start))
	}
	return out
}

func daysBetween(a, b aqi.Date) int {
	n := 0
	for d := a; d.Before(b) && n < 1000; d = d.AddDays(1) {
		n++
	}
	for d := b; d.Before(a) && n > -1000; d = d.AddDays(1) {
		n--
	}
	return n
}

// MarshalJSON writes the date as YYYY-MM-DD, the form the forecast came in.
func (d ForecastDay) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Date    string `json:"date"`
		AQI     int    `json:"aqi"`
		Primary string `json:"primary,omitempty"`
	}{d.Date.String(), d.AQI, d.Primary})
}
