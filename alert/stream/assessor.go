// Package stream is the live counterpart of package assess: an assessor that watches the hourly
// ambient readings `lantian run` stores, keeps hourly AQI, HJ 663 daily values and county
// year-to-date progress current, writes them to InfluxDB as derived measurements and exposes
// them as Prometheus gauges. lantian replay (ingest/sim.Replay) feeds hourly CSV files through
// MQTT so that this live path can be checked against the offline one.
//
// Only readings of period "1h" are assessed: HJ 633 and HJ 663 are defined on hourly means, and
// the hourly values a station publishes are its official ones. Real-time and minute readings
// are stored by the pipeline but never averaged here into hours, because an hour averaged by
// Lantian could differ from the one the station itself reports.
//
// The arithmetic is package aqi's, and station and county daily values are formed exactly as
// `lantian assess --report daily` forms them, so the streaming and the offline path agree.
// docs/assessment.md ("Streaming") describes the measurements, gauges and timing.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/alert/aqi"
	"lantian/alert/assess"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Sink makes a derived point durable; influx.Writer is one. line is line protocol without a
// trailing newline; done is called once.
type Sink interface {
	Submit(ctx context.Context, line []byte, done func(error))
}

// Options configure an Assessor. The zero value of every field but Registry has a sensible
// default.
type Options struct {
	// Location is the zone of natural days (nil: Asia/Shanghai).
	Location *time.Location
	// Rules pins the edition; zero chooses it by the date of the data, as `lantian assess
	// --rules auto` does.
	Rules aqi.Rules
	// Window bounds how late an hourly reading may arrive and still change results: readings of
	// hours that started more than Window before the watermark (the end of the latest hour
	// seen) are counted and ignored. Zero means 48 h.
	Window time.Duration
	// Grace is wall-clock time a reading may lag behind others before the window applies: the
	// window is measured from the watermark as it stood Grace ago. In live operation this is
	// negligible; in a fast replay, where 48 hours of data pass in a fraction of a second, it
	// absorbs the pipeline's reordering. Zero means 1 min; negative means none.
	Grace time.Duration
	// Lateness is how long after its end a day stays provisional: a day is final once the
	// watermark passes its end plus Lateness. Zero means 2 h; a negative value means 0.
	Lateness time.Duration
	// FlushInterval is how often queued readings are assessed and derived points written
	// (zero: 1 s). Coalescing over an interval writes a day once per interval, not per hour.
	FlushInterval time.Duration
	// RetryInterval is the pause between attempts to rebuild the state from InfluxDB while it
	// is unreachable (zero: 5 s).
	RetryInterval time.Duration
	// MaxQueue bounds readings waiting to be assessed (zero: 1,000,000). Beyond it readings are
	// dropped and counted; Stored must never block the writer. A restart rebuilds them.
	MaxQueue int
	// PaceAt is the queue length from which Wait holds the pipeline back (zero: 20,000).
	PaceAt int
	// Registry gives stations' counties, which of them are assessment stations, and the plan's
	// targets. Required.
	Registry *registry.Registry
	// Bases are the base years' figures per county: monthly PM2.5 for the on-track trajectory
	// (assess.Trajectory), NO2 and O3 for "no longer rising"; a county without one has none of
	// these figures.
	Bases map[string]assess.Base
	// Dust says which hours of a county lie in a sand-dust period, for the deducted figures;
	// nil: none (deducted figures equal the others).
	Dust DustPeriods
	// Heating is the heating season, whose season-to-date figures (county_season) are kept
	// beside the year to date (zero: assess.DefaultHeatingSeason).
	Heating assess.Season
	// Sink receives derived points; nil computes without writing (tests, dry runs).
	Sink Sink
	// Source rebuilds the state on start; nil starts empty.
	Source HourSource
	// Registerer gets the gauges and counters; nil keeps them private.
	Registerer prometheus.Registerer
	// Log is the logger (nil: slog.Default()).
	Log *slog.Logger
	// Now is the wall clock (nil: time.Now). It only decides when the watermark may follow
	// the wall clock (see Watermark) and the year a rebuild starts from.
	Now func() time.Time
}

// DustPeriods answers whether the hour starting at t lies in a sand-dust period that affected
// the county (entered by the monitoring centre or imported from the meteorological service's
// notices). It must be safe for concurrent use and fast: it is asked once per station-hour.
type DustPeriods interface {
	Dusty(county string, t time.Time) bool
}

// PrefectureID is the county tag and label of the prefecture row (自治州7县市平均) of
// county_progress and the progress gauges.
const PrefectureID = schema.CountyPrefecture

// Defaults of Options.
const (
	DefaultWindow        = 48 * time.Hour
	DefaultLateness      = 2 * time.Hour
	DefaultGrace         = time.Minute
	DefaultFlushInterval = time.Second
	DefaultRetryInterval = 5 * time.Second
	DefaultMaxQueue      = 1_000_000
	DefaultPaceAt        = 20_000
)

func (o Options) normalized() (Options, error) {
	if o.Registry == nil {
		return o, errors.New("stream: Options.Registry is required")
	}
	if o.Rules != 0 && !o.Rules.Valid() {
		return o, fmt.Errorf("stream: unknown rule set %d (want 2012 or 2026)", int(o.Rules))
	}
	if o.Location == nil {
		o.Location = assess.DefaultLocation()
	}
	if o.Heating == (assess.Season{}) {
		o.Heating = assess.DefaultHeatingSeason()
	}
	if err := o.Heating.Validate(); err != nil {
		return o, fmt.Errorf("stream: heating season: %w", err)
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.Lateness == 0 {
		o.Lateness = DefaultLateness
	}
	o.Lateness = max(o.Lateness, 0)
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = DefaultMaxQueue
	}
	if o.PaceAt <= 0 {
		o.PaceAt = DefaultPaceAt
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// hourIn is a stored hourly reading reduced to what the assessment needs.
type hourIn struct {
	station, county, area string
	// assessed: the station counts toward its county's assessment (registry.Station.Assessed);
	// other stations get station results only.
	assessed bool
	start    time.Time
	values   aqi.HourValues
}

// Assessor implements pipeline.Observer. Stored only queues; Run (or Sync) does the work on
// its own goroutine, so a slow InfluxDB never stalls the writer that calls Stored.
type Assessor struct {
	opts Options
	m    *metrics

	qmu   sync.Mutex
	queue []hourIn
	// taken is closed when Sync takes the queue, waking Wait; then replaced.
	taken chan struct{}

	// mu guards the state: Run's loop and Sync may both drive it.
	mu    sync.Mutex
	st    *state
	built bool // the state was rebuilt from Source (or there is none)
	// ready mirrors built for Wait, which must not wait for a.mu (a rebuild holds it long);
	// hours is the station-hours held after the last Sync, for the gauge.
	ready atomic.Bool
	hours atomic.Int64
}

// New builds an Assessor and registers its metrics.
func New(opts Options) (*Assessor, error) {
	opts, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("stream: register metrics: %w", err)
	}
	a := &Assessor{opts: opts, m: m, built: opts.Source == nil, taken: make(chan struct{})}
	a.ready.Store(a.built)
	a.st = newState(&a.opts, m)
	m.queue(func() float64 {
		a.qmu.Lock()
		defer a.qmu.Unlock()
		return float64(len(a.queue))
	})
	// Not under a.mu: Sync holds it while it updates other metrics, which a scrape may be
	// collecting at the same time.
	m.hoursHeld(func() float64 { return float64(a.hours.Load()) })
	return a, nil
}

// Stored takes a reading the pipeline has made durable. It never blocks on anything but a
// short mutex.
func (a *Assessor) Stored(acc *reading.Accepted) {
	if acc.Kind != reading.Air {
		return
	}
	if acc.Period != reading.Hour {
		a.m.readings.WithLabelValues("not_hourly").Inc()
		return
	}
	if acc.Unregistered {
		// Unregistered stations have no county; their readings are stored but not assessed.
		a.m.readings.WithLabelValues("unregistered").Inc()
		return
	}
	t := acc.Time.In(a.opts.Location)
	if t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		a.m.readings.WithLabelValues("not_on_hour").Inc()
		return
	}
	vals, err := assess.HourFromReading(&acc.Reading)
	if err != nil {
		a.m.readings.WithLabelValues("bad_value").Inc()
		return
	}
	in := hourIn{station: acc.Station, county: acc.County, area: acc.Area, start: t, values: vals}
	if st, ok := a.opts.Registry.Station(acc.Station); ok {
		in.assessed = st.Assessed()
	}
	a.qmu.Lock()
	defer a.qmu.Unlock()
	if len(a.queue) >= a.opts.MaxQueue {
		a.m.readings.WithLabelValues("dropped").Inc()
		return
	}
	a.queue = append(a.queue, in)
}

// Wait blocks while more than Options.PaceAt readings wait to be assessed, until Sync takes
// them or ctx ends. The ingest pipeline calls it before taking a message, so that a backlog
// drained faster than the assessor keeps up stops at the broker instead of in this queue
// (Stored itself never blocks: it runs on the writer's goroutine, which Sync needs).
//
// While the state is being rebuilt from InfluxDB (at start), Wait does not hold back: readings
// queue up to MaxQueue as before, rather than the session pausing for the whole rebuild.
func (a *Assessor) Wait(ctx context.Context) error {
	for a.ready.Load() {
		a.qmu.Lock()
		if len(a.queue) < a.opts.PaceAt {
			a.qmu.Unlock()
			return nil
		}
		taken := a.taken
		a.qmu.Unlock()
		select {
		case <-taken:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Run rebuilds the state from the Source, then assesses queued readings every FlushInterval
// until ctx ends, and then once more, so results of readings stored before the stop are
// written (the writer is still running then; see service.Service.Run).
func (a *Assessor) Run(ctx context.Context) error {
	tick := time.NewTicker(a.opts.FlushInterval)
	defer tick.Stop()
	var nextRebuild time.Time
	for {
		if !a.isBuilt() && !time.Now().Before(nextRebuild) {
			if err := a.Rebuild(ctx); err != nil && ctx.Err() == nil {
				// Readings keep being assessed meanwhile; a later rebuild merges with them
				// because an hour applied twice is the same hour.
				a.opts.Log.Warn("cannot rebuild assessment state from InfluxDB yet; retrying", "err", err,
					"retry_in", a.opts.RetryInterval)
				nextRebuild = time.Now().Add(a.opts.RetryInterval)
			}
		}
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			return a.Sync(final)
		case <-tick.C:
			if err := a.Sync(ctx); err != nil && ctx.Err() == nil {
				a.opts.Log.Warn("assessment sync", "err", err)
			}
		}
	}
}

// Reassess makes Run rebuild the state from the Source at its next tick, e.g. after a sand-dust
// period was entered or withdrawn: every day of the year is recomputed, so the deducted
// year-to-date figures take it in (docs/assessment.md "Sand-dust deduction").
func (a *Assessor) Reassess() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.opts.Source != nil {
		a.built = false
	}
}

func (a *Assessor) isBuilt() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.built
}

// Sync assesses every reading queued so far and submits the derived points that changed.
func (a *Assessor) Sync(ctx context.Context) error {
	a.qmu.Lock()
	batch := a.queue
	a.queue = nil
	close(a.taken)
	a.taken = make(chan struct{})
	a.qmu.Unlock()

	a.mu.Lock()
	defer a.mu.Unlock()
	a.st.begin(time.Now())
	for i := range batch {
		a.st.apply(&batch[i], true)
	}
	a.st.follow(a.opts.Now())
	err := a.st.flush(ctx, a.emitter(ctx))
	a.hours.Store(int64(a.st.hoursHeld()))
	return err
}

// emitter submits points to the Sink; write errors are counted and logged, not returned,
// because a point the writer could not keep is rewritten at the next change or restart.
func (a *Assessor) emitter(ctx context.Context) func(measurement string, line []byte) {
	if a.opts.Sink == nil {
		return func(measurement string, _ []byte) { a.m.points.WithLabelValues(measurement).Inc() }
	}
	return func(measurement string, line []byte) {
		a.m.points.WithLabelValues(measurement).Inc()
		a.opts.Sink.Submit(ctx, line, func(err error) {
			if err != nil {
				a.m.writeErrors.Inc()
				a.opts.Log.Debug("derived point not written", "measurement", measurement, "err", err)
			}
		})
	}
}

// Rebuild loads the stored hourly readings from the Source (see RebuildSpan) into the state
// without writing anything for the past, then rewrites the results that are still open: the
// hours and days inside the lateness window and the counties' current progress. It is called
// by Run; a failed rebuild leaves the state as it was.
func (a *Assessor) Rebuild(ctx context.Context) error {
	if a.opts.Source == nil {
		return nil
	}
	from, to := RebuildSpan(a.opts.Now(), a.opts.Location, a.opts.Window, a.opts.Heating)
	fresh := newState(&a.opts, a.m)
	fresh.quiet = true
	n := 0
	// Month by month in time order, settling in between, so a year's hours never sit in memory
	// at once: settled days are kept as daily records, their hours evicted.
	for lo := from; lo.Before(to); {
		hi := time.Date(lo.Year(), lo.Month()+1, 1, 0, 0, 0, 0, a.opts.Location)
		hi = minTime(hi, to)
		err := a.opts.Source.AirHours(ctx, lo, hi, func(h *reading.Accepted) error {
			if h.Unregistered {
				return nil
			}
			vals, err := assess.HourFromReading(&h.Reading)
			if err != nil {
				// Stored values were range-checked on the way in; an hour with one that is
				// not usable is left out, as Stored leaves it out live.
				return nil
			}
			in := hourIn{station: h.Station, county: h.County, area: h.Area, start: h.Time.In(a.opts.Location), values: vals}
			if st, ok := a.opts.Registry.Station(h.Station); ok {
				in.county, in.assessed = st.Area, st.Assessed()
			}
			fresh.apply(&in, false)
			n++
			return nil
		})
		if err != nil {
			return fmt.Errorf("rebuild %s … %s: %w", lo.Format(time.DateOnly), hi.Format(time.DateOnly), err)
		}
		if err := fresh.flush(ctx, nil); err != nil {
			return err
		}
		lo = hi
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Readings assessed before the rebuild finished are newer than or equal to the stored ones.
	fresh.merge(a.st)
	fresh.quiet = false
	fresh.reopen()
	a.st = fresh
	a.built = true
	a.ready.Store(true)
	a.st.follow(a.opts.Now())
	a.opts.Log.Info("assessment state rebuilt from InfluxDB", "hours", n, "from", from.Format(time.DateOnly),
		"watermark", a.st.watermarkTime().Format(time.RFC3339))
	err := a.st.flush(ctx, a.emitter(ctx))
	a.hours.Store(int64(a.st.hoursHeld()))
	return err
}

// RebuildSpan is the span of stored hours a restart reloads: from the start of the current
// year (for year-to-date progress) or of the heating season around now when earlier (for the
// season to date), or earlier still when the lateness window plus one day for the SO2 24-h
// mean reaches back further, to one hour from now.
func RebuildSpan(now time.Time, loc *time.Location, window time.Duration, heating assess.Season) (from, to time.Time) {
	now = now.In(loc)
	from = keepFrom(aqi.DateOf(now), heating).Start(loc)
	back := aqi.DateOf(now.Add(-window)).AddDays(-1).Start(loc)
	return minTime(from, back), now.Truncate(time.Hour).Add(time.Hour)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
