package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Alert names the Monitor raises; deploy/alertmanager.yml routes SourceExceedance to the
// enforcement team.
const (
	AlertExceedance = "SourceExceedance"
	AlertQuality    = "SourceDataQuality"
)

// Sink makes a derived point durable; the service's InfluxDB writer is one. line is line
// protocol without a trailing newline; done is called once.
type Sink interface {
	Submit(ctx context.Context, line []byte, done func(error))
}

// Alert is an alert the Monitor raises, in the terms of Alertmanager's v2 API: Labels identify
// it, a zero EndsAt keeps it firing until the same labels come with a non-zero EndsAt, a
// non-zero EndsAt in the future keeps it firing until then.
type Alert struct {
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	EndsAt      time.Time
}

// Notifier raises and clears the Monitor's alerts; the service hands them to Alertmanager.
// Notify must not block.
type Notifier interface {
	Notify(Alert)
}

// MonitorOptions wire a Monitor.
type MonitorOptions struct {
	// Config is the source_monitoring section.
	Config MonitorConfig
	// Location is the zone of natural days (nil: Asia/Shanghai, as for Config).
	Location *time.Location
	// Sources are the registered sources; their outlets are the ones monitored.
	Sources []registry.Source
	// Sink receives the derived points (emission_hourly, exceedance, source_quality,
	// source_quality_daily, emission_daily).
	Sink Sink
	// Notifier receives the alerts; nil drops them.
	Notifier Notifier
	// Notices lists the announcements (warnings issued) that the drop_after_notice rule looks
	// behind; nil when there are none. It is asked at check time.
	Notices func() []Notice
	// History is read at start to continue the hours, events and findings of the previous
	// run (restore.go); nil starts empty.
	History History
	// KeyArea says whether an area is in the plan's key region (the boiler rules); nil: none.
	KeyArea func(area string) bool
	// Registerer gets the metrics; nil keeps them private.
	Registerer prometheus.Registerer
	// Log is the logger (nil: slog.Default()).
	Log *slog.Logger
}

// monitorOutlet is what the monitor knows of a registered outlet.
type monitorOutlet struct {
	county, industry string
	interval         time.Duration // expected reporting interval; 0: no silence check
}

type findingKey struct {
	rule                  Rule
	source, outlet, field string
	start                 time.Time // UTC
}

// Monitor turns stored outlet readings into hours, events, emissions and findings. The
// pipeline hands readings over through a bounded channel; everything else belongs to the run
// goroutine, so that the pure core (not safe for concurrent use) needs no locks.
type Monitor struct {
	cfg         MonitorConfig
	loc         *time.Location
	limits      map[OutletKey]Limits
	outlets     map[OutletKey]monitorOutlet
	order       []OutletKey
	stops       []StopPeriod
	sink        Sink
	notifier    Notifier
	now         func() time.Time // decides which hours and days are complete
	wall        func() time.Time // Alertmanager's clock, for endsAt
	log         *slog.Logger
	m           *monitorMetrics
	in          chan reading.Reading
	lastDropLog atomic.Int64
	// notices lists the announcements (warnings issued) that the drop_after_notice rule looks
	// behind; nil when there are none.
	notices func() []Notice
	history History
	sources []registry.Source
	keyArea func(string) bool
	// coverage is the latest coverage view, made by the run goroutine at each step.
	covMu    sync.Mutex
	coverage []CoverageRow

	agg      *Aggregator
	tracker  *Tracker
	checker  *Checker
	start    time.Time
	lastSeen map[OutletKey]time.Time
	silent   map[OutletKey]Finding
	hours    map[OutletKey][]Hour
	findings map[findingKey]Finding
	nextDay  time.Time // the next local day to judge whole
	// closedUntil is the end of the latest hour closed.
	closedUntil time.Time
}

type monitorMetrics struct {
	readings      *prometheus.CounterVec
	verdicts      *prometheus.CounterVec
	open          *prometheus.GaugeVec
	events        *prometheus.CounterVec
	findings      *prometheus.CounterVec
	silent        *prometheus.GaugeVec
	score         *prometheus.GaugeVec
	rate          *prometheus.GaugeVec
	coverageGap   *prometheus.GaugeVec
	quotaRatio    *prometheus.GaugeVec
	writeErrors   prometheus.Counter
	hoursClosed   prometheus.Counter
	lastHourClose prometheus.Gauge
}

func newMonitorMetrics(reg prometheus.Registerer, queue func() float64) (*monitorMetrics, error) {
	m := &monitorMetrics{
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantian_source_readings_total",
			Help: "Outlet readings seen by source monitoring: added, late (hour already closed), refused (daily or not aggregated), dropped (queue full)."},
			[]string{"result"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantian_source_hour_verdicts_total",
			Help: "Outlet-hours judged per limited pollutant: compliant, exceeding, flagged (maintenance, calibration, fault: not judged), invalid."},
			[]string{"verdict"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_source_exceedances_open",
			Help: "1 while an exceedance event of the outlet and pollutant is open."}, []string{"source", "outlet", "pollutant"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantian_source_exceedance_events_total",
			Help: "Exceedance events opened."}, []string{"source", "outlet", "pollutant"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantian_source_quality_findings_total",
			Help: "Data-quality findings, each counted once when first made."}, []string{"rule"}),
		silent: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_outlet_silent",
			Help: "1 while the outlet has sent nothing for source_monitoring.quality.silent_intervals expected intervals."},
			[]string{"source", "outlet"}),
		score: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_source_quality_score",
			Help: "Data-quality score (0-100) of the outlet's last complete day."}, []string{"source", "outlet"}),
		rate: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_source_emission_rate_kgh",
			Help: "Emission rate (kg/h, measured concentration x flow) of the outlet's last closed hour with a valid rate."},
			[]string{"source", "outlet", "pollutant"}),
		coverageGap: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_source_coverage_gap",
			Help: "1 while an outlet the plan requires to be monitored (reason: stack_height, key_vocs) has no reading within source_monitoring.coverage.window; 0 otherwise, and always 0 for outlets not required (reason empty)."},
			[]string{"source", "outlet", "county", "reason"}),
		quotaRatio: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_emission_quota_ratio",
			Help: "Substituted (HJ 75-style) emission total of the county's last complete day divided by its daily quota (source_monitoring.county_quotas)."},
			[]string{"county", "pollutant"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "lantian_source_write_errors_total",
			Help: "Derived source points the writer could not make durable."}),
		hoursClosed: prometheus.NewCounter(prometheus.CounterOpts{Name: "lantian_source_hours_closed_total",
			Help: "Outlet-hours closed and judged."}),
		lastHourClose: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lantian_source_hours_closed_until_timestamp_seconds",
			Help: "End of the latest outlet-hour closed (unix seconds)."}),
	}
	qlen := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lantian_source_queue_length",
		Help: "Outlet readings waiting for source monitoring."}, queue)
	for _, c := range []prometheus.Collector{m.readings, m.verdicts, m.open, m.events, m.findings, m.silent, m.score,
		m.rate, m.coverageGap, m.quotaRatio, m.writeErrors, m.hoursClosed, m.lastHourClose, qlen} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("source monitoring metrics: %w", err)
		}
	}
	return m, nil
}

// noNotifier drops alerts.
type noNotifier struct{}

func (noNotifier) Notify(Alert) {}

// NewMonitor builds the monitor of the registered outlets; give it the stored readings through
// Stored and run Run.
func NewMonitor(o MonitorOptions) (*Monitor, error) {
	sm := o.Config
	if sm.CheckInterval <= 0 || sm.QueueSize < 1 {
		return nil, fmt.Errorf("source monitoring: check_interval %v and queue_size %d must be positive (config defaults missing?)",
			sm.CheckInterval, sm.QueueSize)
	}
	limits, err := sm.Limits(o.Sources)
	if err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	rules, err := sm.OutletRules(o.Sources, o.Location)
	if err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	if o.Notifier == nil {
		o.Notifier = noNotifier{}
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	m := &Monitor{
		cfg: sm, loc: rules.location(), limits: limits, outlets: make(map[OutletKey]monitorOutlet),
		stops: sm.StopPeriods(), sink: o.Sink, notifier: o.Notifier, notices: o.Notices, history: o.History,
		sources: o.Sources, keyArea: o.KeyArea,
		now: sm.Now, wall: time.Now, log: o.Log,
		in:       make(chan reading.Reading, sm.QueueSize),
		lastSeen: make(map[OutletKey]time.Time), silent: make(map[OutletKey]Finding),
		hours: make(map[OutletKey][]Hour), findings: make(map[findingKey]Finding),
	}
	if m.now == nil {
		m.now = time.Now
	}
	for _, src := range o.Sources {
		for _, out := range src.Outlets {
			k := OutletKey{Source: src.ID, Outlet: out.ID}
			iv := sm.ExpectedInterval
			if v, ok := sm.ExpectedIntervals[k.String()]; ok {
				iv = v
			}
			m.outlets[k] = monitorOutlet{county: src.Area, industry: src.Industry, interval: iv}
			m.order = append(m.order, k)
		}
	}
	slices.SortFunc(m.order, func(a, b OutletKey) int { return strings.Compare(a.String(), b.String()) })
	if m.agg, err = NewAggregator(rules, limits); err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	if m.tracker, err = NewTracker(rules); err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	if m.checker, err = NewChecker(rules); err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	if m.m, err = newMonitorMetrics(o.Registerer, func() float64 { return float64(len(m.in)) }); err != nil {
		return nil, err
	}
	m.start = m.now()
	// The day the service starts in is not judged whole: its earlier hours were never seen.
	m.nextDay = m.midnight(m.start)
	if m.start.After(m.nextDay) {
		m.nextDay = m.nextDay.AddDate(0, 0, 1)
	}
	return m, nil
}

// Stored takes a stored reading (it is the pipeline's Observer). It never blocks: a full queue
// drops the reading and counts it (it is stored in InfluxDB all the same, and the report reads
// it from there).
func (m *Monitor) Stored(a *reading.Accepted) {
	if a.Kind != reading.Source {
		return
	}
	r := a.Reading
	r.Values = slices.Clone(r.Values)
	select {
	case m.in <- r:
	default:
		m.m.readings.WithLabelValues("dropped").Inc()
		now := time.Now().Unix()
		if last := m.lastDropLog.Load(); now-last >= 60 && m.lastDropLog.CompareAndSwap(last, now) {
			m.log.Warn("source monitoring queue full: outlet readings dropped from hourly means (see lantian_source_readings_total{result=\"dropped\"})",
				"queue_size", cap(m.in))
		}
	}
}

// Run is the monitor's loop; it returns nil once ctx is cancelled. At shutdown it takes the
// readings already handed over and closes the hours that are complete, so the notifier must
// still take alerts until Run returns.
func (m *Monitor) Run(ctx context.Context) error {
	if m.history != nil {
		// Without the stored state the monitor still runs, as it would after a first start;
		// the log says what was lost.
		if err := m.restore(ctx, m.now()); err != nil {
			m.log.Error("source monitoring state not restored: open hours and events start afresh", "err", err)
		}
	}
	m.updateCoverage(m.now())
	tick := time.NewTicker(m.cfg.CheckInterval)
	defer tick.Stop()
	for {
		select {
		case r := <-m.in:
			m.add(r)
			if m.agg.Crowded() {
				m.step(ctx, m.now())
			}
		case <-tick.C:
			m.step(ctx, m.now())
		case <-ctx.Done():
			for drained := false; !drained; {
				select {
				case r := <-m.in:
					m.add(r)
				default:
					drained = true
				}
			}
			// The writer runs until background components return; a fresh context lets the
			// last points reach it although ctx is already cancelled.
			final, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			m.step(final, m.now())
			cancel()
			return nil
		}
	}
}

func (m *Monitor) add(r reading.Reading) {
	k := OutletKey{Source: r.Source, Outlet: r.Outlet}
	if err := m.agg.Add(r); err != nil {
		result := "refused"
		if errors.Is(err, ErrLate) {
			result = "late"
		}
		m.m.readings.WithLabelValues(result).Inc()
		m.log.Debug("outlet reading not aggregated", "outlet", k.String(), "err", err)
	} else {
		m.m.readings.WithLabelValues("added").Inc()
	}
	// The reading covers its period, so an hourly record stamped 10:00 shows the outlet
	// alive until 11:00; a late reading still proves the logger is talking.
	end := r.Time.Add(r.Period.Length())
	if end.After(m.lastSeen[k]) {
		m.lastSeen[k] = end
	}
}

func (m *Monitor) midnight(t time.Time) time.Time {
	l := t.In(m.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, m.loc)
}

// step closes the complete hours, judges them, checks silence and judges complete days.
func (m *Monitor) step(ctx context.Context, now time.Time) {
	touched := make(map[OutletKey]map[time.Time]bool)
	for _, h := range m.agg.Close(now) {
		m.hour(ctx, h)
		k := h.Key()
		if touched[k] == nil {
			touched[k] = make(map[time.Time]bool)
		}
		touched[k][m.midnight(h.Start)] = true
	}
	// Days in progress: the rules that can only grow with more hours report at once, so that
	// an operator hears of a diluted stack within the hour rather than the next morning. (A
	// day judged whole has no hours left to close: all were due before it was judged.)
	for _, k := range m.order {
		for _, day := range slices.SortedFunc(maps.Keys(touched[k]), time.Time.Compare) {
			m.dayCheck(ctx, k, day, false)
		}
	}
	m.silence(ctx, now)
	m.updateCoverage(now)
	for !m.nextDay.AddDate(0, 0, 1).Add(m.lateness()).After(now) {
		day := m.nextDay
		for _, k := range m.order {
			m.dayCheck(ctx, k, day, true)
		}
		m.dailyTotals(ctx, day)
		m.nextDay = day.AddDate(0, 0, 1)
		m.prune(day)
	}
}

func (m *Monitor) lateness() time.Duration { return m.cfg.Rules.Lateness }

// hour judges one closed hour and writes it.
func (m *Monitor) hour(ctx context.Context, h Hour) {
	k := h.Key()
	lim := m.limits[k]
	events, verdicts, err := m.tracker.Observe(h, lim)
	if err != nil {
		m.log.Warn("outlet hour not judged", "outlet", k.String(), "hour", h.Start, "err", err)
	}
	m.m.hoursClosed.Inc()
	if end := h.End(); end.After(m.closedUntil) {
		m.closedUntil = end
		m.m.lastHourClose.Set(float64(end.Unix()))
	}
	for _, v := range verdicts {
		m.m.verdicts.WithLabelValues(string(v)).Inc()
	}
	m.hours[k] = append(m.hours[k], h)
	for p, e := range HourEmissions(h) {
		m.m.rate.WithLabelValues(k.Source, k.Outlet, p).Set(e.RateKgH)
	}
	m.write(ctx, m.hourLine(h, lim, verdicts))
	for _, e := range events {
		m.event(ctx, e)
	}
}

func (m *Monitor) event(ctx context.Context, e Event) {
	k := e.Key()
	out := m.outlets[k]
	switch e.State {
	case EventOpened:
		m.m.events.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Inc()
		m.m.open.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Set(1)
	case EventExtended:
		m.m.open.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Set(1)
	case EventClosed:
		m.m.open.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Set(0)
	}
	l := newPointLine(schema.Exceedance)
	l.tag(schema.TagCounty, out.county).tag(schema.TagOutlet, k.Outlet).tag(schema.TagPollutant, e.Pollutant).
		tag(schema.TagSource, k.Source).tag(schema.TagState, string(e.State))
	l.float(schema.FieldLimit, e.Limit).float(schema.FieldPeak, e.Peak).str(schema.FieldPeakAt, e.PeakAt.In(m.loc).Format(time.RFC3339)).
		str(schema.FieldBasis, string(e.Basis))
	l.int(schema.FieldHours, e.Hours).int(schema.FieldGapHours, e.GapHours).int(schema.FieldFlaggedHours, e.FlaggedHours)
	l.str(schema.FieldStart, e.Start.In(m.loc).Format(time.RFC3339)).str(schema.FieldEnd, e.End.In(m.loc).Format(time.RFC3339)).
		float(schema.FieldDurationH, e.Duration().Hours())
	m.write(ctx, l.at(e.Start))

	m.notifier.Notify(m.exceedanceAlert(e))
}

// exceedanceAlert is the alert of an event: firing while it is open, resolved when closed.
func (m *Monitor) exceedanceAlert(e Event) Alert {
	k := e.Key()
	out := m.outlets[k]
	a := Alert{
		Labels: map[string]string{"alertname": AlertExceedance, "severity": "warning", "source": k.Source,
			"outlet": k.Outlet, "county": out.county, "pollutant": e.Pollutant},
		Annotations: map[string]string{
			"summary": fmt.Sprintf("排口 %s %s above its limit: peak %.4g mg/m³ > %g", k, e.Pollutant, e.Peak, e.Limit),
			"description": fmt.Sprintf("Hourly mean of %s at outlet %s (%s) exceeded %g mg/m³ for %d hour(s) since %s; peak %.4g at %s (%s value); %d flagged hour(s).",
				e.Pollutant, k, out.county, e.Limit, e.Hours, e.Start.In(m.loc).Format("2006-01-02 15:04"), e.Peak,
				e.PeakAt.In(m.loc).Format("2006-01-02 15:04"), e.Basis, e.FlaggedHours),
		},
		StartsAt: e.Start,
	}
	if e.State == EventClosed {
		a.EndsAt = e.End
	}
	return a
}

// silence runs the stream form of the silent rule for every registered outlet.
func (m *Monitor) silence(ctx context.Context, now time.Time) {
	for _, k := range m.order {
		out := m.outlets[k]
		last, ok := m.lastSeen[k]
		if !ok {
			last = m.start
		}
		f, silent := m.checker.Silent(k, last, now, out.interval)
		prev, was := m.silent[k]
		switch {
		case silent && !was:
			m.silent[k] = f
			m.m.silent.WithLabelValues(k.Source, k.Outlet).Set(1)
			m.m.findings.WithLabelValues(string(RuleSilent)).Inc()
			m.write(ctx, m.findingLine(f, schema.ScopeStream))
			m.notifier.Notify(m.qualityAlert(f, time.Time{}))
		case !silent && was:
			delete(m.silent, k)
			m.m.silent.WithLabelValues(k.Source, k.Outlet).Set(0)
			prev.End = last
			prev.Hours = int(prev.End.Sub(prev.Start) / time.Hour)
			prev.Detail = fmt.Sprintf("no data for %s; data again from %s", prev.End.Sub(prev.Start).Round(time.Second),
				last.In(m.loc).Format("2006-01-02 15:04"))
			m.write(ctx, m.findingLine(prev, schema.ScopeStream))
			m.notifier.Notify(m.qualityAlert(prev, m.wall()))
		case !was:
			m.m.silent.WithLabelValues(k.Source, k.Outlet).Set(0)
		}
	}
}

// progressive are the rules whose findings on a day in progress stay true when more hours
// come; silent and missing_hours need the whole day.
func progressive(r Rule) bool {
	return r != RuleSilent && r != RuleMissingHours
}

// dayCheck runs the daily rules on one outlet's day: in progress (progressive rules only) or
// whole (every rule, staggered production, the score).
func (m *Monitor) dayCheck(ctx context.Context, k OutletKey, day time.Time, whole bool) {
	var notices []Notice
	if m.notices != nil {
		for _, n := range m.notices() {
			if n.Source == "" || n.Source == k.Source {
				notices = append(notices, n)
			}
		}
	}
	dq := m.checker.Day(DayInput{Source: k.Source, Outlet: k.Outlet, Day: day, Hours: m.hours[k], Limits: m.limits[k], Notices: notices})
	if whole && len(m.stops) > 0 {
		var in []Hour
		for _, h := range m.hours[k] {
			if !h.Start.Before(day) && h.Start.Before(day.AddDate(0, 0, 1)) {
				in = append(in, h)
			}
		}
		dq.Findings = append(dq.Findings, m.checker.Staggered(m.stops, in)...)
	}
	for _, f := range dq.Findings {
		if whole || progressive(f.Rule) {
			m.finding(ctx, f)
		}
	}
	if !whole {
		return
	}
	out := m.outlets[k]
	m.m.score.WithLabelValues(k.Source, k.Outlet).Set(dq.Score)
	counts := make(map[Rule]int)
	for _, f := range dq.Findings {
		counts[f.Rule]++
	}
	var rules []string
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		rules = append(rules, fmt.Sprintf("%s:%d", r, counts[r]))
	}
	l := newPointLine(schema.SourceQualityDaily)
	l.tag(schema.TagCounty, out.county).tag(schema.TagOutlet, k.Outlet).tag(schema.TagSource, k.Source)
	l.float(schema.FieldScore, dq.Score).int(schema.FieldValidHours, dq.ValidHours).int(schema.FieldFlaggedHours, dq.FlaggedHours).
		int(schema.FieldFindings, len(dq.Findings)).str(schema.FieldRules, strings.Join(rules, ";"))
	m.write(ctx, l.at(day))
}

// finding records a day-scope finding: counted and alerted once, rewritten while it grows.
func (m *Monitor) finding(ctx context.Context, f Finding) {
	key := findingKey{f.Rule, f.Source, f.Outlet, f.Field, f.Start.UTC()}
	prev, seen := m.findings[key]
	if seen && prev.End.Equal(f.End) && prev.Value == f.Value && prev.Hours == f.Hours {
		return
	}
	m.findings[key] = f
	m.write(ctx, m.findingLine(f, schema.ScopeDay))
	if seen {
		return
	}
	m.m.findings.WithLabelValues(string(f.Rule)).Inc()
	// The stream silence alert already covers a silent outlet.
	if f.Rule != RuleSilent {
		m.notifier.Notify(m.qualityAlert(f, m.wall().Add(m.cfg.QualityAlertHold)))
	}
}

func (m *Monitor) qualityAlert(f Finding, endsAt time.Time) Alert {
	k := f.Key()
	labels := map[string]string{"alertname": AlertQuality, "severity": "warning", "rule": string(f.Rule),
		"source": k.Source, "outlet": k.Outlet, "county": m.outlets[k].county}
	if slices.Contains(Pollutants(), f.Field) {
		labels["pollutant"] = f.Field
	} else if f.Field != "" {
		labels["field"] = f.Field
	}
	return Alert{
		Labels: labels,
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("排口 %s: %s", k, strings.ReplaceAll(string(f.Rule), "_", " ")),
			"description": f.Detail,
		},
		StartsAt: f.Start, EndsAt: endsAt,
	}
}

// dailyTotals writes the day's emissions per source and per county.
func (m *Monitor) dailyTotals(ctx context.Context, day time.Time) {
	var hs []Hour
	countyOf := make(map[string]string)
	for _, k := range m.order {
		countyOf[k.Source] = m.outlets[k].county
		for _, h := range m.hours[k] {
			if !h.Start.Before(day) && h.Start.Before(day.AddDate(0, 0, 1)) {
				hs = append(hs, h)
			}
		}
	}
	rules := m.cfg.Rules
	rules.Location = m.loc
	bySource, byCounty := DailyTotals(hs, countyOf, rules)
	for _, set := range []struct {
		scope  string
		totals []Total
	}{{schema.ScopeSource, bySource}, {schema.ScopeCounty, byCounty}} {
		for _, t := range set.totals {
			l := newPointLine(schema.EmissionDaily)
			l.tag(schema.TagCounty, t.County).tag(schema.TagPollutant, t.Pollutant).tag(schema.TagScope, set.scope).
				tag(schema.TagSource, t.Source)
			l.float(schema.FieldKg, t.Kg).int(schema.FieldHours, t.Hours)
			m.write(ctx, l.at(day))
		}
	}
	m.substitutedTotals(ctx, day)
}

// prune forgets hours and findings older than the day before day: the last judged day and the
// one before stay for the drop windows and late rewrites.
func (m *Monitor) prune(day time.Time) {
	cut := day.AddDate(0, 0, -1)
	for k, hs := range m.hours {
		i := 0
		for i < len(hs) && hs[i].Start.Before(cut) {
			i++
		}
		m.hours[k] = slices.Clone(hs[i:])
	}
	for key := range m.findings {
		if key.start.Before(cut) {
			delete(m.findings, key)
		}
	}
}

func (m *Monitor) write(ctx context.Context, line []byte) {
	m.sink.Submit(ctx, line, func(err error) {
		if err != nil {
			m.m.writeErrors.Inc()
			m.log.Warn("source point not stored", "err", err)
		}
	})
}

func (m *Monitor) hourLine(h Hour, lim Limits, verdicts map[string]Verdict) []byte {
	k := h.Key()
	out := m.outlets[k]
	l := newPointLine(schema.EmissionHourly)
	l.tag(schema.TagCounty, out.county).tag(schema.TagIndustry, out.industry).tag(schema.TagOutlet, k.Outlet).
		tag(schema.TagPeriod, string(h.Period)).tag(schema.TagSource, k.Source)
	l.int(schema.FieldSamples, h.Samples)
	for _, p := range Pollutants() {
		meas := h.Field(p)
		conv, basis := h.Converted(p)
		limit, limited := lim.Values[p]
		if meas.Total == 0 && conv.Total == 0 && !limited {
			continue
		}
		if meas.Valid > 0 {
			l.float(p, meas.Mean)
		}
		if conv.Valid > 0 && basis != BasisNone {
			l.float(p+schema.ConvSuffix, conv.Mean)
		}
		l.str(p+schema.BasisSuffix, string(basis)).str(p+schema.StatusSuffix, conv.Status.String())
		if r := h.Field(p + SuffixRate); r.Status == StatusValid {
			l.float(p+schema.RateSuffix, r.Mean)
		}
		if limited {
			l.float(p+schema.LimitSuffix, limit).str(p+schema.VerdictSuffix, string(verdicts[p]))
		}
	}
	for _, f := range []string{FieldO2, FieldFlow, FieldTemp} {
		if s := h.Field(f); s.Valid > 0 {
			l.float(f, s.Mean)
		}
	}
	return l.at(h.Start)
}

func (m *Monitor) findingLine(f Finding, scope string) []byte {
	k := f.Key()
	l := newPointLine(schema.SourceQuality)
	l.tag(schema.TagCounty, m.outlets[k].county).tag(schema.TagField, f.Field).tag(schema.TagOutlet, k.Outlet).tag(schema.TagRule, string(f.Rule)).
		tag(schema.TagScope, scope).tag(schema.TagSource, k.Source)
	l.float(schema.FieldValue, f.Value).int(schema.FieldHours, f.Hours).str(schema.FieldStart, f.Start.In(m.loc).Format(time.RFC3339)).
		str(schema.FieldEnd, f.End.In(m.loc).Format(time.RFC3339)).str(schema.FieldDetail, f.Detail)
	return l.at(f.Start)
}

// pointLine wraps schema.Line: it leaves out non-finite floats, which InfluxDB refuses, and
// keeps texts on one line, since the writer and the spool hold one point per line.
type pointLine struct{ l *schema.Line }

func newPointLine(measurement string) *pointLine { return &pointLine{schema.NewLine(measurement, 256)} }

// tag adds a tag; callers give tags sorted by key, as InfluxDB prefers.
func (l *pointLine) tag(k, v string) *pointLine { l.l.Tag(k, v); return l }

func (l *pointLine) float(k string, v float64) *pointLine {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		l.l.Float(k, v)
	}
	return l
}

func (l *pointLine) int(k string, v int) *pointLine { l.l.Int(k, int64(v)); return l }

func (l *pointLine) str(k, v string) *pointLine {
	l.l.String(k, strings.NewReplacer("\n", " ", "\r", " ").Replace(v))
	return l
}

func (l *pointLine) at(t time.Time) []byte { return l.l.At(t) }
