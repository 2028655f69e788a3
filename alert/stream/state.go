package stream

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"time"

	"lantian/alert/aqi"
	"lantian/alert/assess"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

const hour = int64(time.Hour / time.Second)

// hourKey names a station-hour or a county-hour (unix seconds of the hour's start).
type hourKey struct {
	county bool
	name   string
	t      int64
}

// dayKey names a station-day or a county-day.
type dayKey struct {
	county bool
	name   string
	date   aqi.Date
}

type progressKey struct {
	county string
	year   int
}

type dayState struct {
	rec aqi.DayRecord
	// ded is the day with sand-dust deduction (equal to rec when no hour was in a sand-dust
	// period): the record of the assessment figures marked deducted.
	ded      aqi.DayRecord
	complete bool
	final    bool
}

type stationState struct {
	id, county, area string
	assessed         bool // counts toward the county (see hourIn.assessed)
	hours            map[int64]aqi.HourValues
	days             map[aqi.Date]*dayState
	latest           int64 // start of the latest hour shown by the gauges; 0 none
}

type countyState struct {
	id, area string
	stations map[string]struct{}
	days     map[aqi.Date]*dayState
	latest   int64
	// latestProgress is the as-of date the progress gauges show.
	latestProgress aqi.Date
}

// Progress is a county's (or the prefecture's) year-to-date standing against the plan's 2020
// targets, as of a day, with or without sand-dust deduction.
type Progress struct {
	County string
	AsOf   aqi.Date
	// Deducted: the figures leave out the particulate data of sand-dust periods.
	Deducted bool
	Stats    aqi.Stats
	// Counties is, for the prefecture row, how many counties the averages are over (0 for a
	// county's own row).
	Counties int
	// PM25 and GoodRatio are the YTD PM2.5 mean (µg/m³) and good-day ratio (%), rounded half to
	// even to one decimal as the period report prints them; nil without data.
	PM25, GoodRatio *float64
	// Targets: nil when the registry has no target for the county.
	PM25Target, GoodTarget *float64
	// Gaps are YTD minus target: a positive PM2.5 gap is above (worse than) the target, a
	// negative good-day gap is short of it.
	PM25Gap, GoodGap *float64
	// Trajectory is the on-track YTD PM2.5 (assess.Trajectory; nil without a base profile) and
	// TrajectoryGap the YTD minus it: positive is off track.
	Trajectory, TrajectoryGap *float64
	// GoodBudget is the non-good days the rest of the year can afford (assess.GoodDayBudget);
	// nil without a target or for the prefecture.
	GoodBudget *int
	// The plan's other goals: SO2 mean and CO 95th percentile (mg/m³, two decimals) against
	// Grade II (assess.SO2AnnualLimit, CODailyLimit); NO2 mean and O3 90th percentile of daily
	// maximum 8-h means against the base year (NO2Base, O3Base; nil when not configured).
	SO2, COP95, NO2, O3P90 *float64
	NO2Base, O3Base        *float64
}

// state is the assessor's memory: recent hours per station, daily records of the years still
// open to change, and what changed since the last flush. It is not safe for concurrent use.
type state struct {
	o     *Options
	m     *metrics
	quiet bool // rebuilding: compute days and progress, write nothing, skip hourly results

	wm int64 // watermark: end of the latest hour seen (unix seconds); 0 before any
	// limit is the watermark as it stood Grace ago: the lateness window and eviction count
	// from it. 0 means no limit yet.
	limit    int64
	marks    []mark
	stations map[string]*stationState
	counties map[string]*countyState
	targets  map[string]registry.Target

	dirtyHours    map[hourKey]struct{}
	dirtyDays     map[dayKey]struct{}
	dirtyProgress map[progressKey]aqi.Date // earliest changed day
	open          map[dayKey]struct{}      // days not yet final
	keptFrom      aqi.Date                 // day records before it are dropped (keepFrom)
	progress      map[progressID]Progress  // latest per county and deduction
	// prefectureDirty are the as-of days whose prefecture row needs recomputing;
	// latestPrefecture the as-of day its gauges show.
	prefectureDirty  map[aqi.Date]struct{}
	latestPrefecture aqi.Date
	// dirtyMonths are the months whose ranking (county_month) needs recomputing.
	dirtyMonths map[[2]int]struct{}
}

// progressID names a progress row: a county (or PrefectureID) with or without deduction.
type progressID struct {
	county   string
	deducted bool
}

func newState(o *Options, m *metrics) *state {
	s := &state{o: o, m: m,
		stations: map[string]*stationState{}, counties: map[string]*countyState{},
		targets:    map[string]registry.Target{},
		dirtyHours: map[hourKey]struct{}{}, dirtyDays: map[dayKey]struct{}{},
		dirtyProgress: map[progressKey]aqi.Date{}, open: map[dayKey]struct{}{},
		progress: map[progressID]Progress{}, prefectureDirty: map[aqi.Date]struct{}{},
		dirtyMonths: map[[2]int]struct{}{},
	}
	for _, t := range o.Registry.Targets {
		s.targets[t.Area] = t
	}
	return s
}

type mark struct {
	at time.Time
	wm int64
}

// begin sets the limit for a batch of readings from the watermarks of past steps.
func (s *state) begin(now time.Time) {
	if s.o.Grace < 0 {
		s.limit = s.wm
		return
	}
	s.limit = 0
	keep := 0
	for i, m := range s.marks {
		if now.Sub(m.at) >= s.o.Grace {
			s.limit, keep = m.wm, i
		}
	}
	s.marks = s.marks[keep:]
	// Grace is wall-clock time, so in a backlog drain, where weeks of data pass within it,
	// the limit would stay behind and no hour would be evicted until the drain ends: memory
	// grew with the backlog (about 140 bytes per hourly reading held). The limit never lags
	// the watermark by more than the window, which bounds the hours held by data time.
	if s.wm != 0 {
		s.limit = max(s.limit, s.wm-int64(s.o.Window/time.Second))
	}
}

// hoursHeld counts the station-hours in memory.
func (s *state) hoursHeld() int {
	n := 0
	for _, st := range s.stations {
		n += len(st.hours)
	}
	return n
}

func (s *state) watermarkTime() time.Time { return time.Unix(s.wm, 0).In(s.o.Location) }

func (s *state) county(id, area string) *countyState {
	c := s.counties[id]
	if c == nil {
		c = &countyState{id: id, stations: map[string]struct{}{}, days: map[aqi.Date]*dayState{}}
		s.counties[id] = c
	}
	if area != "" {
		c.area = area
	}
	return c
}

// apply records one station-hour. With check, an hour older than the lateness window is
// refused; a rebuild applies stored hours unchecked.
func (s *state) apply(in *hourIn, check bool) {
	h := in.start.Unix()
	if check && s.limit != 0 && h < s.limit-int64(s.o.Window/time.Second) {
		s.m.readings.WithLabelValues("too_late").Inc()
		return
	}
	st := s.stations[in.station]
	if st == nil {
		st = &stationState{id: in.station, hours: map[int64]aqi.HourValues{}, days: map[aqi.Date]*dayState{}}
		s.stations[in.station] = st
	}
	if (st.county != in.county || !in.assessed) && st.county != "" {
		// The station moved to another county in the registry, or stopped counting toward its
		// county: later days count there, or nowhere.
		delete(s.counties[st.county].stations, st.id)
	}
	st.county, st.area, st.assessed = in.county, in.area, in.assessed
	c := s.county(in.county, in.area)
	if in.assessed {
		c.stations[st.id] = struct{}{}
	}
	st.hours[h] = in.values
	s.wm = max(s.wm, h+hour)
	if check {
		s.m.readings.WithLabelValues("assessed").Inc()
	}
	s.touchHour(st, h)
}

// touchHour marks what one station-hour feeds: its hourly AQI, the county's, its day, and
// the hourly AQI of the next 23 hours whose SO2 is indexed by the 24-h mean (2012 rule).
func (s *state) touchHour(st *stationState, h int64) {
	s.dirtyHours[hourKey{name: st.id, t: h}] = struct{}{}
	if st.assessed {
		s.dirtyHours[hourKey{county: true, name: st.county, t: h}] = struct{}{}
	}
	s.dirtyDays[dayKey{name: st.id, date: s.dateOf(h)}] = struct{}{}
	for k := int64(1); k < 24; k++ {
		if v, ok := st.hours[h+k*hour]; ok && v[aqi.SO2].Valid && v[aqi.SO2].C > 800*aqi.Unit {
			s.dirtyHours[hourKey{name: st.id, t: h + k*hour}] = struct{}{}
			if st.assessed {
				s.dirtyHours[hourKey{county: true, name: st.county, t: h + k*hour}] = struct{}{}
			}
		}
	}
}

func (s *state) dateOf(h int64) aqi.Date { return aqi.DateOf(time.Unix(h, 0).In(s.o.Location)) }

// follow lets the watermark follow the wall clock while the data is live (the watermark is
// within the lateness window of now), so days become final even when every station is silent.
// Replayed old data never moves with the wall clock.
func (s *state) follow(now time.Time) {
	n := now.Truncate(time.Hour).Unix()
	if s.wm != 0 && n > s.wm && n-s.wm <= int64(s.o.Window/time.Second) {
		s.wm = n
	}
}

// merge applies the hours another state holds (readings assessed while a rebuild ran).
func (s *state) merge(o *state) {
	for _, st := range o.stations {
		for h, v := range st.hours {
			s.apply(&hourIn{station: st.id, county: st.county, area: st.area, assessed: st.assessed, start: time.Unix(h, 0), values: v}, false)
		}
	}
}

// reopen marks for writing everything a late reading could still change: the hours inside the
// lateness window and their days, and so the counties' progress.
func (s *state) reopen() {
	from := s.wm - int64(s.o.Window/time.Second)
	for _, st := range s.stations {
		for h := range st.hours {
			if h >= from {
				s.touchHour(st, h)
			}
		}
	}
}

// emitFunc submits one derived point; nil writes nothing.
type emitFunc func(measurement string, line []byte)

// step computes everything marked dirty, finalises days, emits the points and gauges, and
// evicts what no late reading can change any more.
func (s *state) step(emit emitFunc) {
	lateness := int64(s.o.Lateness / time.Second)
	for k := range s.open {
		if end := k.date.AddDays(1).Start(s.o.Location).Unix(); end+lateness <= s.wm {
			s.dirtyDays[k] = struct{}{}
		}
	}
	if s.quiet {
		// A rebuild restores days and progress; hourly results are recomputed by reopen.
		clear(s.dirtyHours)
	}
	for _, k := range sortedHours(s.dirtyHours) {
		s.hourResult(k, emit)
	}
	clear(s.dirtyHours)

	stationDays, countyDays := splitDays(s.dirtyDays)
	clear(s.dirtyDays)
	for _, k := range stationDays {
		s.stationDay(k, emit)
	}
	for _, k := range countyDays {
		s.dirtyDays[k] = struct{}{}
	}
	_, countyDays = splitDays(s.dirtyDays)
	clear(s.dirtyDays)
	for _, k := range countyDays {
		s.countyDay(k, emit)
	}
	for _, k := range slices.SortedFunc(maps.Keys(s.dirtyProgress), func(a, b progressKey) int {
		if a.county != b.county {
			return cmpString(a.county, b.county)
		}
		return a.year - b.year
	}) {
		s.progressFrom(k, s.dirtyProgress[k], emit)
	}
	clear(s.dirtyProgress)
	s.prefecture(emit)
	s.months(emit)
	if s.quiet {
		s.limit = s.wm
	}
	s.evict()
	s.marks = append(s.marks, mark{at: time.Now(), wm: s.wm})
	s.m.watermark.Set(float64(s.wm))
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedHours(m map[hourKey]struct{}) []hourKey {
	return slices.SortedFunc(maps.Keys(m), func(a, b hourKey) int {
		switch {
		case a.t != b.t:
			return int(a.t - b.t)
		case a.county != b.county:
			if a.county {
				return 1
			}
			return -1
		}
		return cmpString(a.name, b.name)
	})
}

func splitDays(m map[dayKey]struct{}) (stations, counties []dayKey) {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b dayKey) int {
		if c := a.date.Compare(b.date); c != 0 {
			return c
		}
		return cmpString(a.name, b.name)
	})
	for _, k := range keys {
		if k.county {
			counties = append(counties, k)
		} else {
			stations = append(stations, k)
		}
	}
	return stations, counties
}

// hourValues is a station's hour, or a county's: the mean of its stations' valid values.
func (s *state) hourValues(k hourKey) (aqi.HourValues, bool) {
	if !k.county {
		st := s.stations[k.name]
		if st == nil {
			return aqi.HourValues{}, false
		}
		v, ok := st.hours[k.t]
		return v, ok
	}
	c := s.counties[k.name]
	if c == nil {
		return aqi.HourValues{}, false
	}
	var per [aqi.NumPollutants][]aqi.Sample
	found := false
	for id := range c.stations {
		if v, ok := s.stations[id].hours[k.t]; ok {
			found = true
			for p := range aqi.NumPollutants {
				per[p] = append(per[p], v[p])
			}
		}
	}
	var out aqi.HourValues
	for p := range aqi.NumPollutants {
		out[p] = aqi.MeanOf(p, per[p], 1)
	}
	return out, found
}

// hourResult computes the hourly (real-time) AQI of a station or county hour, as the offline
// hourly report does: the 1-h values, and under the 2012 rules the SO2 24-h moving mean of the
// hours present in the 24 ending with this one.
func (s *state) hourResult(k hourKey, emit emitFunc) {
	v, ok := s.hourValues(k)
	if !ok {
		return
	}
	start := time.Unix(k.t, 0).In(s.o.Location)
	rules := s.o.Rules.AtTime(start)
	hv := aqi.Hour{Values: v}
	if rules == aqi.Rules2012 {
		var win []aqi.Sample
		for i := int64(23); i >= 0; i-- {
			if w, ok := s.hourValues(hourKey{county: k.county, name: k.name, t: k.t - i*hour}); ok {
				win = append(win, w[aqi.SO2])
			}
		}
		hv.SO2_24h = aqi.Moving24(aqi.SO2, win)
	}
	res := aqi.Hourly(rules, hv)
	var county, area string
	if k.county {
		c := s.counties[k.name]
		county, area = c.id, c.area
		if k.t >= c.latest {
			c.latest = k.t
			s.m.setCurrent(true, c.id, "", res, k.t)
		}
	} else {
		st := s.stations[k.name]
		county, area = st.county, st.area
		if k.t >= st.latest {
			st.latest = k.t
			s.m.setCurrent(false, st.county, st.id, res, k.t)
		}
	}
	if emit != nil {
		emit(schema.AQIHourly, hourlyLine(k, county, area, res))
	}
}

// dayHours returns the hours of one natural day in slot order (start labels) and whether any
// is present.
func (s *state) dayHours(st *stationState, d aqi.Date) ([]aqi.HourValues, bool) {
	start := d.Start(s.o.Location)
	n := int(d.AddDays(1).Start(s.o.Location).Sub(start) / time.Hour)
	n = min(max(n, 1), 25)
	hours := make([]aqi.HourValues, n)
	found := false
	for i := range hours {
		if v, ok := st.hours[start.Unix()+int64(i)*hour]; ok {
			hours[i], found = v, true
		}
	}
	return hours, found
}

func (s *state) isFinal(d aqi.Date) bool {
	return d.AddDays(1).Start(s.o.Location).Unix()+int64(s.o.Lateness/time.Second) <= s.wm
}

func (s *state) stationDay(k dayKey, emit emitFunc) {
	st := s.stations[k.name]
	if st == nil {
		return
	}
	ds := st.days[k.date]
	if hours, found := s.dayHours(st, k.date); found {
		detail := aqi.DailyValues(hours)
		rules := s.o.Rules.OnDate(k.date)
		if ds == nil {
			ds = &dayState{}
			st.days[k.date] = ds
		}
		ds.rec = aqi.DayRecord{Date: k.date, Day: detail.Day, Result: aqi.Daily(rules, detail.Day)}
		ds.complete = detail.Complete(rules)
		ds.ded = ds.rec
		if dust := s.dustHours(st.county, k.date, len(hours)); dust != nil {
			ds.ded = aqi.DustDay(rules, hours, dust)
			ds.ded.Date = k.date
		}
	} else if ds == nil {
		return
	}
	s.setFinal(k, ds)
	if emit != nil {
		emit(schema.AQIDaily, dailyLine(k, st.county, st.area, ds, s.o.Location))
	}
	if st.assessed {
		s.dirtyDays[dayKey{county: true, name: st.county, date: k.date}] = struct{}{}
	}
}

func (s *state) setFinal(k dayKey, ds *dayState) {
	if s.isFinal(k.date) {
		ds.final = true
		delete(s.open, k)
	} else if !ds.final {
		s.open[k] = struct{}{}
	}
}

// countyDay forms a county's daily values from the mean of its stations' daily values
// (aqi.AreaDay), as the offline daily report's area rows do.
func (s *state) countyDay(k dayKey, emit emitFunc) {
	c := s.counties[k.name]
	if c == nil {
		return
	}
	var days []aqi.Day
	var deds []aqi.DayRecord
	for _, id := range slices.Sorted(maps.Keys(c.stations)) {
		if ds := s.stations[id].days[k.date]; ds != nil {
			days = append(days, ds.rec.Day)
			deds = append(deds, ds.ded)
		}
	}
	if len(days) == 0 {
		return
	}
	day := aqi.AreaDay(days)
	rules := s.o.Rules.OnDate(k.date)
	ds := c.days[k.date]
	if ds == nil {
		ds = &dayState{}
		c.days[k.date] = ds
	}
	ds.rec = aqi.DayRecord{Date: k.date, Day: day, Result: aqi.Daily(rules, day)}
	ds.ded = aqi.DustAreaDay(rules, deds)
	ds.ded.Date = k.date
	ds.complete = aqi.DayDetail{Day: day}.Complete(rules)
	s.setFinal(k, ds)
	if emit != nil {
		emit(schema.AQIDaily, dailyLine(k, c.id, c.area, ds, s.o.Location))
	}
	s.dirtyMonths[[2]int{k.date.Year, int(k.date.Month)}] = struct{}{}
	pk := progressKey{county: c.id, year: k.date.Year}
	if d, ok := s.dirtyProgress[pk]; !ok || k.date.Before(d) {
		s.dirtyProgress[pk] = k.date
	}
}

// progressFrom recomputes a county's year-to-date progress as of every day from `from` to its
// latest day of that year (a late day changes every later as-of figure), with and without
// sand-dust deduction, and the prefecture row of the same days. While rebuilding only the
// latest is computed.
func (s *state) progressFrom(k progressKey, from aqi.Date, emit emitFunc) {
	c := s.counties[k.county]
	if c == nil {
		return
	}
	recs, deds, last := s.yearRecords(c, k.year)
	if len(recs) == 0 {
		return
	}
	jan1 := aqi.Date{Year: k.year, Month: time.January, Day: 1}
	for _, r := range recs {
		if r.Date.Before(from) || (emit == nil && r.Date != last) {
			continue
		}
		latest := r.Date == last && !last.Before(c.latestProgress)
		for _, deducted := range []bool{false, true} {
			rs := recs
			if deducted {
				rs = deds
			}
			p := s.progressAsOf(c.id, jan1, r.Date, rs)
			p.Deducted = deducted
			if emit != nil {
				emit(schema.CountyProgress, progressLine(c.id, c.area, p, s.o.Location))
			}
			if latest {
				s.progress[progressID{c.id, deducted}] = p
				s.m.setProgress(p)
			}
			if sp := s.seasonProgress(c, r.Date, deducted); sp != nil {
				_, label, _ := s.seasonFrom(r.Date)
				if emit != nil {
					emit(schema.CountySeason, seasonLine(c.id, c.area, label, *sp, s.o.Location))
				}
				if latest {
					s.m.setSeason(*sp)
				}
			} else if latest {
				s.m.clearSeason(c.id, deducted)
			}
		}
		if latest {
			c.latestProgress = last
		}
		if _, ok := s.targets[c.id]; ok {
			s.prefectureDirty[r.Date] = struct{}{}
		}
	}
}

// prefecture computes the prefecture row (PrefectureID) of the dirty as-of days: the mean of
// the target counties' year-to-date figures as of the same day (assess.PrefectureMean), with and
// without deduction. While rebuilding only the latest day is computed.
func (s *state) prefecture(emit emitFunc) {
	if len(s.prefectureDirty) == 0 {
		return
	}
	dates := slices.SortedFunc(maps.Keys(s.prefectureDirty), aqi.Date.Compare)
	clear(s.prefectureDirty)
	if emit == nil {
		dates = dates[len(dates)-1:]
	}
	counties := s.prefectureCounties()
	if len(counties) == 0 {
		return
	}
	area := PrefectureID
	for _, d := range dates {
		jan1 := aqi.Date{Year: d.Year, Month: time.January, Day: 1}
		for _, deducted := range []bool{false, true} {
			var pm, good, pmT, goodT, traj []float64
			for _, id := range counties {
				t := s.targets[id]
				pmT = append(pmT, t.PM25Goal)
				goodT = append(goodT, t.GoodGoalOrFloor())
				c := s.counties[id]
				if c == nil {
					continue
				}
				recs, deds, _ := s.yearRecords(c, d.Year)
				if deducted {
					recs = deds
				}
				cp := s.progressAsOf(id, jan1, d, recs)
				if cp.PM25 != nil {
					pm = append(pm, *cp.PM25)
				}
				if cp.GoodRatio != nil {
					good = append(good, *cp.GoodRatio)
				}
				if cp.Trajectory != nil {
					traj = append(traj, *cp.Trajectory)
				}
			}
			p := Progress{County: PrefectureID, AsOf: d, Deducted: deducted, Counties: min(len(pm), len(good))}
			p.PM25, p.GoodRatio = meanOf(pm), meanOf(good)
			p.PM25Target, p.GoodTarget = meanOf(pmT), meanOf(goodT)
			if len(traj) == len(counties) {
				p.Trajectory = meanOf(traj)
			}
			if p.PM25 != nil {
				p.PM25Gap = diff1(*p.PM25, *p.PM25Target)
				if p.Trajectory != nil {
					p.TrajectoryGap = diff1(*p.PM25, *p.Trajectory)
				}
			}
			if p.GoodRatio != nil {
				p.GoodGap = diff1(*p.GoodRatio, *p.GoodTarget)
			}
			if emit != nil {
				emit(schema.CountyProgress, progressLine(PrefectureID, area, p, s.o.Location))
			}
			if !d.Before(s.latestPrefecture) {
				s.progress[progressID{PrefectureID, deducted}] = p
				s.m.setProgress(p)
			}
		}
		if !d.Before(s.latestPrefecture) {
			s.latestPrefecture = d
		}
	}
}

// months ranks the areas of every dirty month by composite index with assess.Assess, the
// offline period report's function, and writes county_month, with and without deduction. A
// rebuild writes nothing for the past: its months were written live.
func (s *state) months(emit emitFunc) {
	dirty := slices.SortedFunc(maps.Keys(s.dirtyMonths), func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	clear(s.dirtyMonths)
	if emit == nil {
		return
	}
	for _, ym := range dirty {
		first := aqi.Date{Year: ym[0], Month: time.Month(ym[1]), Day: 1}
		for _, deducted := range []bool{false, true} {
			var ents []*assess.Entity
			var last aqi.Date
			for _, id := range slices.Sorted(maps.Keys(s.counties)) {
				c := s.counties[id]
				e := &assess.Entity{Kind: assess.KindArea, Name: id}
				for d, ds := range c.days {
					if d.Year == ym[0] && int(d.Month) == ym[1] {
						r := ds.rec
						if deducted {
							r = ds.ded
						}
						e.Records = append(e.Records, r)
						if last.Before(d) {
							last = d
						}
					}
				}
				if len(e.Records) > 0 {
					slices.SortFunc(e.Records, func(a, b aqi.DayRecord) int { return a.Date.Compare(b.Date) })
					ents = append(ents, e)
				}
			}
			if len(ents) == 0 {
				continue
			}
			span := assess.Span{Label: fmt.Sprintf("%04d-%02d", ym[0], ym[1]), From: first, To: last}
			for _, row := range assess.Assess(ents, span, aqi.DefaultLimits()) {
				emit(schema.CountyMonth, monthLine(row, s.counties[row.Entity.Name].area, deducted, s.o.Location))
			}
		}
	}
}

// prefectureCounties are the counties (registry kind county) that have a target: the seven of
// the plan's prefecture row.
func (s *state) prefectureCounties() []string {
	var out []string
	for _, t := range s.o.Registry.Targets {
		if a, ok := s.o.Registry.Area(t.Area); ok && a.Kind == registry.County {
			out = append(out, t.Area)
		}
	}
	return out
}

func meanOf(v []float64) *float64 {
	m, ok := assess.PrefectureMean(v)
	if !ok {
		return nil
	}
	return &m
}

// dustHours marks the hours of a day that lie in a sand-dust period of the county; nil when
// none does (or no periods are known).
func (s *state) dustHours(county string, d aqi.Date, n int) []bool {
	if s.o.Dust == nil {
		return nil
	}
	start := d.Start(s.o.Location)
	var out []bool
	for i := range n {
		if s.o.Dust.Dusty(county, start.Add(time.Duration(i)*time.Hour)) {
			if out == nil {
				out = make([]bool, n)
			}
			out[i] = true
		}
	}
	return out
}

// yearRecords are a county's day records of one year in date order, undeducted and deducted,
// and the latest date.
func (s *state) yearRecords(c *countyState, year int) (recs, deds []aqi.DayRecord, last aqi.Date) {
	for d, ds := range c.days {
		if d.Year == year {
			recs = append(recs, ds.rec)
			deds = append(deds, ds.ded)
			if last.Before(d) {
				last = d
			}
		}
	}
	byDate := func(a, b aqi.DayRecord) int { return a.Date.Compare(b.Date) }
	slices.SortFunc(recs, byDate)
	slices.SortFunc(deds, byDate)
	return recs, deds, last
}

func (s *state) progressAsOf(county string, from, to aqi.Date, recs []aqi.DayRecord) Progress {
	st := aqi.Summarize(from, to, recs)
	p := Progress{County: county, AsOf: to, Stats: st}
	p.PM25 = round1(st.Mean[aqi.PM25])
	p.GoodRatio = round1(st.GoodRatio())
	p.SO2, p.NO2, p.O3P90 = round1(st.Mean[aqi.SO2]), round1(st.Mean[aqi.NO2]), round1(st.Pct[aqi.O3])
	p.COP95 = roundN(st.Pct[aqi.CO], 2)
	if t, ok := s.targets[county]; ok {
		pt, gt := t.PM25Goal, t.GoodGoalOrFloor()
		p.PM25Target, p.GoodTarget = &pt, &gt
		if p.PM25 != nil {
			p.PM25Gap = diff1(*p.PM25, pt)
		}
		if p.GoodRatio != nil {
			p.GoodGap = diff1(*p.GoodRatio, gt)
		}
		b := assess.GoodDayBudget(to, st.ValidDays, st.GoodDays, gt)
		p.GoodBudget = &b
		if base, ok := s.o.Bases[county]; ok {
			p.NO2Base, p.O3Base = base.NO2, base.O3P90
			if tr, ok := assess.Trajectory(base.PM25, to, pt); ok {
				p.Trajectory = &tr
				if p.PM25 != nil {
					p.TrajectoryGap = diff1(*p.PM25, tr)
				}
			}
		}
	}
	return p
}

// round1 rounds half to even to one decimal, the precision the period report prints.
func round1(r *big.Rat) *float64 { return roundN(r, 1) }

func roundN(r *big.Rat, decimals int) *float64 {
	if r == nil {
		return nil
	}
	f, err := strconv.ParseFloat(aqi.FormatRat(r, decimals), 64)
	if err != nil {
		return nil
	}
	return &f
}

// diff1 is a − b on one-decimal figures, computed in tenths so 50.1 − 36 is 14.1 exactly as
// printed, not 14.100000000000001.
func diff1(a, b float64) *float64 {
	ra, _ := new(big.Rat).SetString(strconv.FormatFloat(a, 'f', -1, 64))
	rb, _ := new(big.Rat).SetString(strconv.FormatFloat(b, 'f', -1, 64))
	if ra == nil || rb == nil {
		return nil
	}
	return round1(ra.Sub(ra, rb))
}

// gapOf is a − b rounded half to even to the given decimals, computed on the decimal text so
// 0.8 − 4 is −3.2 exactly.
func gapOf(a, b float64, decimals int) *float64 {
	ra, _ := new(big.Rat).SetString(strconv.FormatFloat(a, 'f', -1, 64))
	rb, _ := new(big.Rat).SetString(strconv.FormatFloat(b, 'f', -1, 64))
	if ra == nil || rb == nil {
		return nil
	}
	return roundN(ra.Sub(ra, rb), decimals)
}

// evict drops the hours no accepted reading can need any more (older than the lateness window
// from the limit, plus the day before it, for the SO2 24-h mean) and day records of years that can no longer
// change.
func (s *state) evict() {
	if s.limit == 0 {
		return
	}
	edge := s.dateOf(s.limit - int64(s.o.Window/time.Second)).AddDays(-1)
	cut := edge.Start(s.o.Location).Unix()
	for _, st := range s.stations {
		for h := range st.hours {
			if h < cut {
				delete(st.hours, h)
			}
		}
	}
	keep := keepFrom(edge, s.o.Heating)
	if !s.keptFrom.Before(keep) {
		return
	}
	s.keptFrom = keep
	for _, st := range s.stations {
		for d := range st.days {
			if d.Before(keep) {
				delete(st.days, d)
			}
		}
	}
	for _, c := range s.counties {
		for d := range c.days {
			if d.Before(keep) {
				delete(c.days, d)
			}
		}
	}
	for k := range s.open {
		if k.date.Before(keep) {
			delete(s.open, k)
		}
	}
}

// keepFrom is the first day whose record can still be needed once d can no longer change: 1
// January of d's year (year to date), or the start of the heating season around d when earlier.
func keepFrom(d aqi.Date, heating assess.Season) aqi.Date {
	jan1 := aqi.Date{Year: d.Year, Month: time.January, Day: 1}
	if from, _ := heating.Around(d); from.Before(jan1) {
		return from
	}
	return jan1
}

// seasonFrom is the start of the heating season d lies in; ok is false outside one.
func (s *state) seasonFrom(d aqi.Date) (aqi.Date, string, bool) {
	from, to := s.o.Heating.Around(d)
	if d.Before(from) || to.Before(d) {
		return d, "", false
	}
	return from, fmt.Sprintf("heating-%d", from.Year), true
}

// seasonProgress is a county's figures from the start of the heating season to d (nil outside
// one), deducted or not.
func (s *state) seasonProgress(c *countyState, d aqi.Date, deducted bool) *Progress {
	from, _, ok := s.seasonFrom(d)
	if !ok {
		return nil
	}
	var recs []aqi.DayRecord
	for day, ds := range c.days {
		if !day.Before(from) && !d.Before(day) {
			if deducted {
				recs = append(recs, ds.ded)
			} else {
				recs = append(recs, ds.rec)
			}
		}
	}
	st := aqi.Summarize(from, d, recs)
	p := &Progress{County: c.id, AsOf: d, Deducted: deducted, Stats: st}
	p.PM25, p.GoodRatio = round1(st.Mean[aqi.PM25]), round1(st.GoodRatio())
	return p
}

// flush runs a step, submitting points through emit (nil: none).
func (s *state) flush(_ context.Context, emit emitFunc) error {
	s.step(emit)
	return nil
}
