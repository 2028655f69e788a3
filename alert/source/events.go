package source

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"lantian/ingest/schema"
)

// EventState says what an Observe call did to an event.
type EventState string

// Event transitions, also the state tag of the exceedance points. Opened and Extended mean
// "firing" for Alertmanager; Closed resolves.
const (
	EventOpened   EventState = schema.StateOpened
	EventExtended EventState = schema.StateExtended
	EventClosed   EventState = schema.StateClosed
)

// Event is an exceedance of one pollutant's hourly limit at one outlet: a run of exceeding
// hours, possibly interrupted by at most Config.MaxGapHours hours without a valid mean.
type Event struct {
	Source, Outlet, Pollutant string
	State                     EventState
	// Start is the start of the first exceeding hour; End the end of the last exceeding hour
	// (so an event of one hour lasts one hour).
	Start, End time.Time
	// Peak is the highest hourly converted mean of the event, at the hour starting PeakAt.
	Peak   float64
	PeakAt time.Time
	Limit  float64
	Basis  Basis
	// Hours is the number of exceeding hours; GapHours the hours without a valid mean bridged
	// between two exceeding hours. FlaggedHours counts the flagged (maintenance, calibration,
	// fault) hours while the event was open, including those after its last exceeding hour
	// that led to its closing: an exceedance that turns into "maintenance" is worth a look.
	Hours, GapHours, FlaggedHours int
}

// Duration is End − Start.
func (e Event) Duration() time.Duration { return e.End.Sub(e.Start) }

// Key returns the outlet of the event.
func (e Event) Key() OutletKey { return OutletKey{e.Source, e.Outlet} }

// Verdict is how one hour of one pollutant was judged.
type Verdict string

// Hour verdicts, for metrics and the report.
const (
	VerdictCompliant Verdict = "compliant"
	VerdictExceeding Verdict = "exceeding"
	VerdictFlagged   Verdict = "flagged" // maintenance, calibration, fault, outage: not judged
	VerdictInvalid   Verdict = "invalid" // missing, too few values, or not convertible
)

// Counters are the running totals of one outlet and pollutant.
type Counters struct {
	Events, ExceedingHours, CompliantHours, FlaggedHours, InvalidHours int
}

// Tracker runs the exceedance state machine of every outlet and pollutant. Hours of one outlet
// must be observed in increasing order (Aggregator.Close provides that); hours skipped
// between two observations count as missing. It is not safe for concurrent use.
type Tracker struct {
	maxGap int
	last   map[OutletKey]time.Time
	state  map[pollKey]*pollState
}

type pollKey struct {
	k OutletKey
	p string
}

type pollState struct {
	open *Event
	gap  int // consecutive hours without a valid mean since the last exceeding hour
	c    Counters
}

// NewTracker returns an empty tracker.
func NewTracker(cfg Config) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("source config: %w", err)
	}
	return &Tracker{maxGap: cfg.MaxGapHours, last: make(map[OutletKey]time.Time), state: make(map[pollKey]*pollState)}, nil
}

// Observe judges one hour of an outlet against its limits and returns the event transitions
// it caused (copies; the tracker keeps its own). Pollutants without a limit are not judged.
// An hour not after the previous one of the same outlet is refused.
func (t *Tracker) Observe(h Hour, lim Limits) ([]Event, map[string]Verdict, error) {
	k := h.Key()
	skipped := 0
	if last, ok := t.last[k]; ok {
		if !h.Start.After(last) {
			return nil, nil, fmt.Errorf("outlet %s: hour %s is not after the last observed hour %s",
				k, h.Start.Format(time.RFC3339), last.Format(time.RFC3339))
		}
		skipped = int(h.Start.Sub(last)/time.Hour) - 1
	}
	t.last[k] = h.Start
	var out []Event
	verdicts := make(map[string]Verdict, len(lim.Values))
	for _, p := range slices.Sorted(maps.Keys(lim.Values)) {
		st := t.state[pollKey{k, p}]
		if st == nil {
			st = &pollState{}
			t.state[pollKey{k, p}] = st
		}
		for range skipped {
			st.c.InvalidHours++
			if e := st.gapHour(false, t.maxGap); e != nil {
				out = append(out, *e)
			}
		}
		v, e := st.observe(h, p, lim.Values[p], t.maxGap)
		verdicts[p] = v
		if e != nil {
			out = append(out, *e)
		}
	}
	return out, verdicts, nil
}

func (st *pollState) observe(h Hour, p string, limit float64, maxGap int) (Verdict, *Event) {
	stat, basis := h.Converted(p)
	switch {
	case stat.Status == StatusValid && basis != BasisNone:
		if stat.Mean > limit { // the test is "≤ limit" passes (docs/sources.md)
			st.c.ExceedingHours++
			return VerdictExceeding, st.exceed(h, p, stat.Mean, limit, basis)
		}
		st.c.CompliantHours++
		st.gap = 0
		if st.open == nil {
			return VerdictCompliant, nil
		}
		return VerdictCompliant, st.closeOpen()
	case stat.Status == StatusFlagged:
		st.c.FlaggedHours++
		return VerdictFlagged, st.gapHour(true, maxGap)
	default:
		st.c.InvalidHours++
		return VerdictInvalid, st.gapHour(false, maxGap)
	}
}

func (st *pollState) exceed(h Hour, p string, mean, limit float64, basis Basis) *Event {
	if st.open == nil {
		st.c.Events++
		st.open = &Event{
			Source: h.Source, Outlet: h.Outlet, Pollutant: p, State: EventOpened,
			Start: h.Start, End: h.End(), Peak: mean, PeakAt: h.Start, Limit: limit, Basis: basis, Hours: 1,
		}
		st.gap = 0
		e := *st.open
		return &e
	}
	e := st.open
	e.State = EventExtended
	// Gap hours become part of the event only once a later hour exceeds again.
	e.GapHours += st.gap
	st.gap = 0
	e.End = h.End()
	e.Hours++
	e.Limit = limit
	if mean > e.Peak {
		e.Peak, e.PeakAt, e.Basis = mean, h.Start, basis
	}
	out := *e
	return &out
}

// gapHour counts an hour without a valid mean; it closes an open event once the gap is longer
// than maxGap. Flagged hours inside an event are counted on the event, since an exceedance that
// turns into "maintenance" is what inspectors want to see.
func (st *pollState) gapHour(flagged bool, maxGap int) *Event {
	if st.open == nil {
		return nil
	}
	st.gap++
	if flagged {
		st.open.FlaggedHours++
	}
	if st.gap > maxGap {
		return st.closeOpen()
	}
	return nil
}

func (st *pollState) closeOpen() *Event {
	e := *st.open
	e.State = EventClosed
	st.open = nil
	st.gap = 0
	return &e
}

// Open returns the events still open, sorted by outlet, pollutant and start.
func (t *Tracker) Open() []Event {
	var out []Event
	for _, st := range t.state {
		if st.open != nil {
			out = append(out, *st.open)
		}
	}
	sortEvents(out)
	return out
}

// Counters returns the running totals of an outlet and pollutant.
func (t *Tracker) Counters(k OutletKey, pollutant string) Counters {
	if st := t.state[pollKey{k, pollutant}]; st != nil {
		return st.c
	}
	return Counters{}
}

func sortEvents(es []Event) {
	slices.SortFunc(es, func(x, y Event) int {
		if c := compareKeys(x.Key(), y.Key()); c != 0 {
			return c
		}
		if x.Pollutant != y.Pollutant {
			if x.Pollutant < y.Pollutant {
				return -1
			}
			return 1
		}
		return x.Start.Compare(y.Start)
	})
}
