package assess

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/reading"
)

// Header returns (a copy of) the header row of a report; docs/assessment.md describes each column.
func Header(r Report) []string {
	switch r {
	case ReportHourly:
		return slices.Clone(hourlyHeader)
	case ReportDaily:
		return slices.Clone(dailyHeader)
	case ReportPeriod:
		return slices.Clone(periodHeader)
	}
	return nil
}

// Headers of the reports; unexported so they stay immutable.
var (
	hourlyHeader = []string{"station", "time", "aqi", "level", "primary"}
	dailyHeader  = []string{"station", "date", "aqi", "level", "primary", "pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h", "valid"}
	periodHeader = []string{"kind", "entity", "period", "from", "to", "days", "valid_days", "good_days", "good_pct",
		"heavy_days", "heavy_pct", "pm25", "pm25_p95", "pm10", "pm10_p95", "so2", "so2_p98", "no2", "no2_p98",
		"co", "co_p95", "o3_8h", "o3_8h_p90", "composite", "primary", "rank", "composite_last_year", "change_pct", "complete", "incomplete_days"}
)

// AreaPrefix marks area rows in the daily report, whose first column is otherwise a station.
const AreaPrefix = "area:"

// Run reads hourly rows from in and writes the report chosen by opts to out as CSV.
//
// Input must be in time order within each station (stations may interleave); the daily and
// period reports keep one open day per station, plus, for area rows and period statistics, one
// small record per station-day and area-day.
func Run(opts Options, in io.Reader, out io.Writer) error {
	opts, err := opts.normalized()
	if err != nil {
		return err
	}
	rd, err := NewReader(in, opts)
	if err != nil {
		return err
	}
	w := csv.NewWriter(out)
	switch opts.Report {
	case ReportHourly:
		err = runHourly(opts, rd, w)
	case ReportDaily:
		err = runDaily(opts, rd, w)
	case ReportPeriod:
		err = runPeriod(opts, rd, w)
	}
	if err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// so2History keeps a station's last 24 hourly SO2 values for the HJ 633-2012 rule that reports
// SO2 above 800 µg/m³ (1 h) by its 24-h moving mean.
type so2History struct {
	at [24]time.Time
	v  [24]aqi.Sample
}

func (h *so2History) add(t time.Time, s aqi.Sample) {
	i := slotOf(t)
	h.at[i], h.v[i] = t, s
}

// mean24 is the moving mean over the 24 hours ending with the hour starting at t.
func (h *so2History) mean24(t time.Time) aqi.Sample {
	var win []aqi.Sample
	for i := range h.at {
		if d := t.Sub(h.at[i]); !h.at[i].IsZero() && d >= 0 && d < 24*time.Hour {
			win = append(win, h.v[i])
		}
	}
	return aqi.Moving24(aqi.SO2, win)
}

func slotOf(t time.Time) int {
	return int(((t.Unix() / 3600 % 24) + 24) % 24)
}

func runHourly(opts Options, rd *Reader, w *csv.Writer) error {
	if err := w.Write(hourlyHeader); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	hist := map[string]*so2History{}
	rec := make([]string, len(hourlyHeader))
	return rd.each(func(row Row) error {
		h := aqi.Hour{Values: row.Values}
		rules := opts.Rules.AtTime(row.Start)
		if rules == aqi.Rules2012 {
			sh := hist[row.Station]
			if sh == nil {
				sh = new(so2History)
				hist[row.Station] = sh
			}
			sh.add(row.Start, row.Values[aqi.SO2])
			h.SO2_24h = sh.mean24(row.Start)
		}
		res := aqi.Hourly(rules, h)
		rec[0], rec[1] = row.Station, row.Stamp.Format(time.RFC3339)
		rec[2], rec[3], rec[4] = aqiFields(res)
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	})
}

func aqiFields(res aqi.Result) (aqiS, level, primary string) {
	if !res.Published {
		return "", "", ""
	}
	return strconv.Itoa(res.AQI), strconv.Itoa(int(res.Level)), res.PrimaryString()
}

// openDay collects one station's hours of one natural day.
type openDay struct {
	date  aqi.Date
	start time.Time
	hours []aqi.HourValues
	seen  []bool
}

// Collector turns a stream of hourly rows into closed station-days: the streaming core of the
// daily and period reports, usable by a live pipeline too. It keeps one open day per station and
// closes it when the station's first hour of a later day arrives (or at Flush).
type Collector struct {
	opts Options
	open map[string]*openDay
	emit func(station string, d aqi.Date, detail aqi.DayDetail) error
}

// NewCollector returns a Collector that calls emit with each closed day's HJ 663 values.
// opts.Location and opts.InputName are used; rows must already be shifted to start labels
// (Reader does that).
func NewCollector(opts Options, emit func(station string, d aqi.Date, detail aqi.DayDetail) error) *Collector {
	if opts.Location == nil {
		opts.Location = DefaultLocation()
	}
	if opts.InputName == "" {
		opts.InputName = "input"
	}
	return &Collector{opts: opts, open: map[string]*openDay{}, emit: emit}
}

// Add puts one station-hour into its day. Rows of a station must come in day order; hours
// within the open day may come in any order, but each only once.
func (c *Collector) Add(row Row) error {
	loc := c.opts.Location
	t := row.Start.In(loc)
	date := aqi.DateOf(t)
	od := c.open[row.Station]
	if od != nil && od.date != date {
		if date.Before(od.date) {
			return &aqi.InputError{Name: c.opts.InputName, Line: row.Line,
				Err: fmt.Errorf("station %s: hour %s is earlier than day %s already being assessed; input must be in time order per station",
					row.Station, t.Format(time.RFC3339), od.date)}
		}
		if err := c.close(row.Station, od); err != nil {
			return err
		}
		od = nil
	}
	if od == nil {
		start := date.Start(loc)
		n := int(date.AddDays(1).Start(loc).Sub(start) / time.Hour)
		n = min(max(n, 1), 25)
		od = &openDay{date: date, start: start, hours: make([]aqi.HourValues, n), seen: make([]bool, n)}
		c.open[row.Station] = od
	}
	slot := int(t.Sub(od.start) / time.Hour)
	if slot < 0 || slot >= len(od.hours) {
		return &aqi.InputError{Name: c.opts.InputName, Line: row.Line, Err: fmt.Errorf("hour %s outside its day", t.Format(time.RFC3339))}
	}
	if od.seen[slot] {
		return &aqi.InputError{Name: c.opts.InputName, Line: row.Line,
			Err: fmt.Errorf("station %s: duplicate hour %s", row.Station, row.Stamp.Format(time.RFC3339))}
	}
	od.seen[slot] = true
	od.hours[slot] = row.Values
	return nil
}

func (c *Collector) close(station string, od *openDay) error {
	delete(c.open, station)
	return c.emit(station, od.date, aqi.DailyValues(od.hours))
}

// Flush closes every open day, in station order so output is deterministic.
func (c *Collector) Flush() error {
	for _, st := range slices.Sorted(maps.Keys(c.open)) {
		if err := c.close(st, c.open[st]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Collector) run(rd *Reader) error {
	if err := rd.each(c.Add); err != nil {
		return err
	}
	return c.Flush()
}

// areaDays gathers station days by area and date; an area's day is known only once every
// station has reported it, i.e. at the end of the input.
type areaDays map[string]map[aqi.Date][]aqi.Day

func (a areaDays) add(area string, d aqi.Date, day aqi.Day) {
	m := a[area]
	if m == nil {
		m = map[aqi.Date][]aqi.Day{}
		a[area] = m
	}
	m[d] = append(m[d], day)
}

// each calls f for every area-day in area and date order.
func (a areaDays) each(f func(area string, d aqi.Date, day aqi.Day) error) error {
	for _, area := range slices.Sorted(maps.Keys(a)) {
		m := a[area]
		dates := slices.SortedFunc(maps.Keys(m), aqi.Date.Compare)
		for _, d := range dates {
			if err := f(area, d, aqi.AreaDay(m[d])); err != nil {
				return err
			}
		}
	}
	return nil
}

func runDaily(opts Options, rd *Reader, w *csv.Writer) error {
	if err := w.Write(dailyHeader); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	areas := areaDays{}
	rec := make([]string, len(dailyHeader))
	write := func(name string, d aqi.Date, day aqi.Day) error {
		rules := opts.Rules.OnDate(d)
		res := aqi.Daily(rules, day)
		rec[0], rec[1] = name, d.String()
		rec[2], rec[3], rec[4] = aqiFields(res)
		for i, p := range [...]aqi.Pollutant{aqi.PM25, aqi.PM10, aqi.SO2, aqi.NO2, aqi.CO, aqi.O3} {
			rec[5+i] = sampleString(p, day.Values[p])
		}
		rec[11] = sampleString(aqi.O3, day.O3_1h)
		rec[12] = strconv.FormatBool(aqi.DayDetail{Day: day}.Complete(rules))
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
	c := NewCollector(opts, func(station string, d aqi.Date, detail aqi.DayDetail) error {
		if area, ok := opts.Areas[station]; ok {
			areas.add(area, d, detail.Day)
		}
		return write(station, d, detail.Day)
	})
	if err := c.run(rd); err != nil {
		return err
	}
	return areas.each(func(area string, d aqi.Date, day aqi.Day) error {
		return write(AreaPrefix+area, d, day)
	})
}

func sampleString(p aqi.Pollutant, s aqi.Sample) string {
	if !s.Valid {
		return ""
	}
	return s.C.Format(aqi.Decimals(p))
}

// HourFromReading converts a shared-domain reading (lantian/ingest/reading) into hourly values:
// the contract's fields pm25 pm10 so2 no2 co o3 (µg/m³, CO mg/m³), each valid only when present
// and not flagged invalid (reading.Flag.Valid). A flag sent without a number is a missing value,
// whatever the flag. A value that is negative, NaN or absurdly large is returned as an error
// naming the field. The live readings and the ones read back from InfluxDB at a restart both go
// through it, so the two cannot assess the same hour differently.
func HourFromReading(r *reading.Reading) (aqi.HourValues, error) {
	var h aqi.HourValues
	for p, name := range lantianColumns {
		v, ok := r.Get(name)
		if !ok || v.NoValue {
			continue
		}
		c, err := aqi.FromFloat(v.Value)
		if err != nil {
			return h, fmt.Errorf("reading %s %s: %w", r.ID(), name, err)
		}
		h[p] = aqi.Sample{C: c, Valid: v.Flag.Valid()}
	}
	return h, nil
}
