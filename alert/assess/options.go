// Package assess is the engine of the offline command
//
//	lantian assess --report hourly|daily|period [--rules 2012|2026|auto] [--time-label start|end]
//	               [--zone Asia/Shanghai] [--areas FILE] [--period all|year|month] [FILE]
//
// It reads hourly station data as CSV (Lantian's own format or the Beijing PRSA format, detected
// by the header), computes AQI, HJ 663 daily values and period statistics with package
// lantian/alert/aqi, and writes CSV. docs/assessment.md describes every column.
package assess

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"lantian/alert/aqi"
)

// Report selects the output.
type Report string

// The three reports.
const (
	ReportHourly Report = "hourly"
	ReportDaily  Report = "daily"
	ReportPeriod Report = "period"
)

// TimeLabel says which end of its hour an input time stamps.
type TimeLabel string

// Lantian stamps the start (DESIGN.md "Time"); the national real-time release stamps the end.
const (
	LabelStart TimeLabel = "start"
	LabelEnd   TimeLabel = "end"
)

// PeriodBy groups days into the periods of the period report.
type PeriodBy string

// Period groupings.
const (
	PeriodAll   PeriodBy = "all"   // the whole input, first to last day
	PeriodYear  PeriodBy = "year"  // calendar years (year to date for the last one)
	PeriodMonth PeriodBy = "month" // calendar months (the monthly ranking)
	// PeriodHeating is the heating seasons (Options.Heating): the plan's focus period, the
	// last one to date.
	PeriodHeating PeriodBy = "heating"
)

// Options configure Run. The zero value is usable: daily report, rules by date, start labels,
// Asia/Shanghai, no areas, one period, the default composite-index limits.
type Options struct {
	Report Report
	// Rules pins the edition; zero chooses by the date of the data (2026 rules from 2026-03-01).
	Rules aqi.Rules
	// TimeLabel of the input; end-labelled times are shifted back one hour on input, and the
	// hourly report writes times back in the input's own convention.
	TimeLabel TimeLabel
	// Location is the zone of natural days and of times without an offset (nil: Asia/Shanghai).
	Location *time.Location
	// Areas maps a station to its area (county, city or park). Stations not in the map belong to
	// no area. With a map, the daily report adds area rows and the period report area statistics.
	Areas map[string]string
	// Period groups the days of the period report (empty: PeriodAll).
	Period PeriodBy
	// Heating is the heating season of PeriodHeating (zero: DefaultHeatingSeason).
	Heating Season
	// Limits are the composite-index S_i (nil: aqi.DefaultLimits).
	Limits *aqi.Limits
	// InputName names the input in error messages (empty: "input").
	InputName string
}

// DefaultLocation is Asia/Shanghai, or UTC+8 where the zone database is missing; the two agree
// for every date since 1991, when China last observed daylight saving time.
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

func (o Options) normalized() (Options, error) {
	if o.Report == "" {
		o.Report = ReportDaily
	}
	switch o.Report {
	case ReportHourly, ReportDaily, ReportPeriod:
	default:
		return o, fmt.Errorf("unknown report %q (want hourly, daily or period)", o.Report)
	}
	if o.Rules != 0 && !o.Rules.Valid() {
		return o, fmt.Errorf("unknown rule set %d (want 2012 or 2026)", int(o.Rules))
	}
	if o.TimeLabel == "" {
		o.TimeLabel = LabelStart
	}
	if o.TimeLabel != LabelStart && o.TimeLabel != LabelEnd {
		return o, fmt.Errorf("unknown time label %q (want start or end)", o.TimeLabel)
	}
	if o.Location == nil {
		o.Location = DefaultLocation()
	}
	if o.Period == "" {
		o.Period = PeriodAll
	}
	switch o.Period {
	case PeriodAll, PeriodYear, PeriodMonth, PeriodHeating:
	default:
		return o, fmt.Errorf("unknown period %q (want all, year, month or heating)", o.Period)
	}
	if o.Heating == (Season{}) {
		o.Heating = DefaultHeatingSeason()
	}
	if err := o.Heating.Validate(); err != nil {
		return o, fmt.Errorf("heating season: %w", err)
	}
	if o.Limits == nil {
		l := aqi.DefaultLimits()
		o.Limits = &l
	}
	if o.InputName == "" {
		o.InputName = "input"
	}
	return o, nil
}

// Validate reports the first option Run would refuse (an unknown report, rule set, time label
// or period), so a command line can be refused as a usage error before any input is read.
func (o Options) Validate() error {
	_, err := o.normalized()
	return err
}

// LoadAreas reads a station→area map from CSV rows "station,area". A first row "station,area"
// is taken as a header.
func LoadAreas(r io.Reader) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	cr.TrimLeadingSpace = true
	m := map[string]string{}
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read areas: %w", err)
		}
		st, area := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if i == 0 && strings.EqualFold(st, "station") && strings.EqualFold(area, "area") {
			continue
		}
		line, _ := cr.FieldPos(0)
		if st == "" || area == "" {
			return nil, fmt.Errorf("line %d: empty station or area", line)
		}
		if old, ok := m[st]; ok && old != area {
			return nil, fmt.Errorf("line %d: station %q is in both %q and %q", line, st, old, area)
		}
		m[st] = area
	}
}
