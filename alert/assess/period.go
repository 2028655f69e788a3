package assess

import (
	"encoding/csv"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"lantian/alert/aqi"
)

// Entity kinds in the period report.
const (
	KindStation = "station"
	KindArea    = "area"
)

// Printed precision of period figures. Ranks compare the printed composite index, as bulletins
// do (2 decimals, e.g. 昌吉市 2025: 3.97).
const (
	statDecimals      = 1 // µg/m³ statistics
	coStatDecimals    = 2 // CO statistics, mg/m³
	compositeDecimals = 2
	percentDecimals   = 1
)

// Entity is a station or an area with its daily records in date order.
type Entity struct {
	Kind    string
	Name    string
	Records []aqi.DayRecord
}

// Span is one period of the period report.
type Span struct {
	Label    string
	From, To aqi.Date // inclusive
}

// Spans cuts the days first … last into the periods of a grouping. The last year or month ends
// at last (year or month to date).
func Spans(by PeriodBy, first, last aqi.Date) []Span {
	if last.Before(first) {
		return nil
	}
	if by == PeriodAll || by == "" {
		return []Span{{Label: string(PeriodAll), From: first, To: last}}
	}
	var out []Span
	for y, m := first.Year, first.Month; ; {
		var s Span
		if by == PeriodYear {
			s = Span{Label: strconv.Itoa(y), From: aqi.Date{Year: y, Month: time.January, Day: 1}, To: aqi.Date{Year: y, Month: time.December, Day: 31}}
		} else {
			s = Span{Label: fmt.Sprintf("%04d-%02d", y, int(m)), From: aqi.Date{Year: y, Month: m, Day: 1},
				To: aqi.Date{Year: y, Month: m, Day: 1}.AddDays(32)}
			s.To = aqi.Date{Year: s.To.Year, Month: s.To.Month, Day: 1}.AddDays(-1)
		}
		if last.Before(s.To) {
			s.To = last
		}
		out = append(out, s)
		if !s.To.Before(last) {
			return out
		}
		if by == PeriodYear || m == time.December {
			y, m = y+1, time.January
		} else {
			m++
		}
	}
}

// PeriodRow is one line of the period report.
type PeriodRow struct {
	Entity *Entity
	Span   Span
	Stats  aqi.Stats
	Index  aqi.Index
	HasIx  bool
	Rank   int
	// LastYear is the composite index of the same span one year earlier (nil without data).
	LastYear *big.Rat
	Change   *big.Rat
}

// Assess computes the period rows of entities of one kind for one span: statistics, composite
// index, rank among the entities (ascending composite, equal printed values share a rank) and
// change against the same span a year earlier.
func Assess(ents []*Entity, span Span, lim aqi.Limits) []PeriodRow {
	var rows []PeriodRow
	for _, e := range ents {
		st := aqi.Summarize(span.From, span.To, e.Records)
		if st.Days == 0 {
			continue
		}
		row := PeriodRow{Entity: e, Span: span, Stats: st}
		row.Index, row.HasIx = aqi.Composite(st, lim)
		prev := aqi.Summarize(span.From.AddYears(-1), span.To.AddYears(-1), e.Records)
		if prev.Days > 0 {
			if ix, ok := aqi.Composite(prev, lim); ok {
				row.LastYear = ix.Total
				if row.HasIx {
					row.Change = aqi.ChangePercent(row.Index.Total, ix.Total)
				}
			}
		}
		rows = append(rows, row)
	}
	vals := make([]*big.Rat, len(rows))
	for i, r := range rows {
		if r.HasIx {
			vals[i] = r.Index.Total
		}
	}
	for i, rank := range aqi.Rank(vals, compositeDecimals) {
		rows[i].Rank = rank
	}
	return rows
}

func runPeriod(opts Options, rd *Reader, w *csv.Writer) error {
	stations := map[string]*Entity{}
	areas := areaDays{}
	c := NewCollector(opts, func(station string, d aqi.Date, detail aqi.DayDetail) error {
		e := stations[station]
		if e == nil {
			e = &Entity{Kind: KindStation, Name: station}
			stations[station] = e
		}
		e.Records = append(e.Records, aqi.DayRecord{Date: d, Day: detail.Day, Result: aqi.Daily(opts.Rules.OnDate(d), detail.Day)})
		if area, ok := opts.Areas[station]; ok {
			areas.add(area, d, detail.Day)
		}
		return nil
	})
	if err := c.run(rd); err != nil {
		return err
	}
	var stationList, areaList []*Entity
	for _, name := range slices.Sorted(maps.Keys(stations)) {
		stationList = append(stationList, stations[name])
	}
	areaIdx := map[string]*Entity{}
	_ = areas.each(func(area string, d aqi.Date, day aqi.Day) error {
		e := areaIdx[area]
		if e == nil {
			e = &Entity{Kind: KindArea, Name: area}
			areaIdx[area] = e
			areaList = append(areaList, e)
		}
		e.Records = append(e.Records, aqi.DayRecord{Date: d, Day: day, Result: aqi.Daily(opts.Rules.OnDate(d), day)})
		return nil
	})

	if err := w.Write(periodHeader); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	var first, last aqi.Date
	for _, e := range stationList {
		for _, r := range e.Records {
			if first.IsZero() || r.Date.Before(first) {
				first = r.Date
			}
			if last.Before(r.Date) {
				last = r.Date
			}
		}
	}
	if first.IsZero() {
		return nil
	}
	spans := Spans(opts.Period, first, last)
	if opts.Period == PeriodHeating {
		spans = opts.Heating.Spans(first, last)
	}
	for _, span := range spans {
		for _, list := range [][]*Entity{stationList, areaList} {
			for _, row := range Assess(list, span, *opts.Limits) {
				if err := w.Write(periodRecord(row)); err != nil {
					return fmt.Errorf("write report: %w", err)
				}
			}
		}
	}
	return nil
}

func periodRecord(r PeriodRow) []string {
	s := r.Stats
	stat := func(p aqi.Pollutant, v *big.Rat) string {
		if p == aqi.CO {
			return aqi.FormatRat(v, coStatDecimals)
		}
		return aqi.FormatRat(v, statDecimals)
	}
	rec := []string{
		r.Entity.Kind, r.Entity.Name, r.Span.Label, r.Span.From.String(), r.Span.To.String(),
		strconv.Itoa(s.Days), strconv.Itoa(s.ValidDays),
		strconv.Itoa(s.GoodDays), aqi.FormatRat(s.GoodRatio(), percentDecimals),
		strconv.Itoa(s.HeavyDays), aqi.FormatRat(s.HeavyRatio(), percentDecimals),
	}
	for _, p := range [...]aqi.Pollutant{aqi.PM25, aqi.PM10, aqi.SO2, aqi.NO2, aqi.CO, aqi.O3} {
		rec = append(rec, stat(p, s.Mean[p]), stat(p, s.Pct[p]))
	}
	complete := true
	for _, ok := range s.Complete {
		complete = complete && ok
	}
	var composite, primary, rank string
	if r.HasIx {
		composite = aqi.FormatRat(r.Index.Total, compositeDecimals)
		names := make([]string, len(r.Index.Primary))
		for i, p := range r.Index.Primary {
			names[i] = p.String()
		}
		primary = strings.Join(names, "+")
		rank = strconv.Itoa(r.Rank)
	}
	return append(rec, composite, primary, rank,
		aqi.FormatRat(r.LastYear, compositeDecimals), aqi.FormatRat(r.Change, percentDecimals),
		strconv.FormatBool(complete), strconv.Itoa(s.IncompleteDays))
}
