package stream

import (
	"maps"
	"slices"
	"time"

	"lantian/alert/aqi"
)

// DayResult is a station's or county's day as the assessor holds it.
type DayResult struct {
	aqi.DayRecord
	// Valid: every daily indicator met its HJ 663 data rule. Final: the day is past its end plus
	// the lateness.
	Valid, Final bool
}

// Snapshot is a copy of the assessor's results, for tests and diagnostics.
type Snapshot struct {
	// Watermark is the end of the latest hour assessed (or the live wall clock).
	Watermark time.Time
	// Stations and Counties hold the days of the years still open to change, in date order.
	Stations, Counties map[string][]DayResult
	// Progress is each county's (and the prefecture's, PrefectureID) latest year-to-date
	// progress; Deducted the same with sand-dust deduction.
	Progress, Deducted map[string]Progress
}

// Snapshot copies the current results. Call Sync first to include queued readings.
func (a *Assessor) Snapshot() Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.st
	out := Snapshot{Watermark: s.watermarkTime(), Stations: map[string][]DayResult{}, Counties: map[string][]DayResult{},
		Progress: map[string]Progress{}, Deducted: map[string]Progress{}}
	for id, p := range s.progress {
		if id.deducted {
			out.Deducted[id.county] = p
		} else {
			out.Progress[id.county] = p
		}
	}
	days := func(m map[aqi.Date]*dayState) []DayResult {
		var r []DayResult
		for _, d := range slices.SortedFunc(maps.Keys(m), aqi.Date.Compare) {
			ds := m[d]
			r = append(r, DayResult{DayRecord: ds.rec, Valid: ds.complete, Final: ds.final})
		}
		return r
	}
	for id, st := range s.stations {
		if len(st.days) > 0 {
			out.Stations[id] = days(st.days)
		}
	}
	for id, c := range s.counties {
		if len(c.days) > 0 {
			out.Counties[id] = days(c.days)
		}
	}
	return out
}
