package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/alert/notify"
	"lantian/alert/source"
	"lantian/ingest/pipeline"
	"lantian/ingest/reading"
	"lantian/ingest/schema"
	"lantian/service/config"
)

// Alert names pushed to Alertmanager; deploy/alertmanager.yml routes SourceExceedance to the
// enforcement team.
const (
	alertExceedance = "SourceExceedance"
	alertQuality    = "SourceDataQuality"
)

// sourceObservers builds the pollution-source monitoring (hourly means, exceedance events,
// emission rates, data quality) fed by stored outlet readings.
func (s *Service) sourceObservers() ([]pipeline.Observer, error) {
	sm := s.cfg.SourceMonitoring
	if !sm.Enabled || len(s.cfg.Sources) == 0 {
		return nil, nil
	}
	limits, err := s.cfg.SourceLimits()
	if err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	rules, err := s.cfg.SourceRules()
	if err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	log := s.log.With("component", "sources")
	// The service runs the shared Alertmanager client; the monitor only notifies through it.
	m, err := newSourceMonitor(&s.cfg, rules, limits, s.writer, s.notifier, nil, s.Registry, log)
	if err == nil {
		// The warning office is built after the monitor; ask it at check time.
		m.notices = s.warningNotices
	}
	if err != nil {
		return nil, err
	}
	s.sources = m
	return []pipeline.Observer{m}, nil
}

// srcOutlet is what the monitor knows of a registered outlet.
type srcOutlet struct {
	county, industry string
	interval         time.Duration // expected reporting interval; 0: no silence check
}

type srcFindingKey struct {
	rule                  source.Rule
	source, outlet, field string
	start                 time.Time // UTC
}

// sourceMonitor turns stored outlet readings into hours, events, emissions and findings. The
// pipeline hands readings over through a bounded channel; everything else belongs to the run
// goroutine, so that the pure core (not safe for concurrent use) needs no locks.
type sourceMonitor struct {
	cfg          config.SourceMonitoring
	loc          *time.Location
	limits       map[source.OutletKey]source.Limits
	outlets      map[source.OutletKey]srcOutlet
	order        []source.OutletKey
	stops        []source.StopPeriod
	sink         pipeline.Sink
	notifier     notify.Notifier
	runNotifier  func(context.Context) error
	generatorURL string
	now          func() time.Time // decides which hours and days are complete
	wall         func() time.Time // Alertmanager's clock, for endsAt
	log          *slog.Logger
	m            *srcMetrics
	in           chan reading.Reading
	lastDropLog  atomic.Int64
	// notices lists the announcements (warnings issued) that the drop_after_notice rule looks
	// behind; nil when there are none.
	notices func() []source.Notice

	agg      *source.Aggregator
	tracker  *source.Tracker
	checker  *source.Checker
	start    time.Time
	lastSeen map[source.OutletKey]time.Time
	silent   map[source.OutletKey]source.Finding
	hours    map[source.OutletKey][]source.Hour
	findings map[srcFindingKey]source.Finding
	nextDay  time.Time // the next local day to judge whole
	// closedUntil is the end of the latest hour closed.
	closedUntil time.Time
}

type srcMetrics struct {
	readings      *prometheus.CounterVec
	verdicts      *prometheus.CounterVec
	open          *prometheus.GaugeVec
	events        *prometheus.CounterVec
	findings      *prometheus.CounterVec
	silent        *prometheus.GaugeVec
	score         *prometheus.GaugeVec
	rate          *prometheus.GaugeVec
	writeErrors   prometheus.Counter
	hoursClosed   prometheus.Counter
	lastHourClose prometheus.Gauge
}

func newSrcMetrics(reg prometheus.Registerer, queue func() float64) (*srcMetrics, error) {
	m := &srcMetrics{
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
		m.rate, m.writeErrors, m.hoursClosed, m.lastHourClose, qlen} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("source monitoring metrics: %w", err)
		}
	}
	return m, nil
}

func newSourceMonitor(cfg *config.Config, rules source.Config, limits map[source.OutletKey]source.Limits,
	sink pipeline.Sink, notifier notify.Notifier, runNotifier func(context.Context) error,
	reg prometheus.Registerer, log *slog.Logger) (*sourceMonitor, error) {
	sm := cfg.SourceMonitoring
	if sm.CheckInterval <= 0 || sm.QueueSize < 1 {
		return nil, fmt.Errorf("source monitoring: check_interval %v and queue_size %d must be positive (config defaults missing?)",
			sm.CheckInterval, sm.QueueSize)
	}
	m := &sourceMonitor{
		cfg: sm, loc: cfg.Location(), limits: limits, outlets: make(map[source.OutletKey]srcOutlet),
		stops: cfg.SourceStops(), sink: sink, notifier: notifier, runNotifier: runNotifier,
		generatorURL: cfg.Alertmanager.GeneratorURL, now: sm.Now, wall: time.Now, log: log,
		in:       make(chan reading.Reading, sm.QueueSize),
		lastSeen: make(map[source.OutletKey]time.Time), silent: make(map[source.OutletKey]source.Finding),
		hours: make(map[source.OutletKey][]source.Hour), findings: make(map[srcFindingKey]source.Finding),
	}
	if m.now == nil {
		m.now = time.Now
	}
	for _, src := range cfg.Sources {
		for _, o := range src.Outlets {
			k := source.OutletKey{Source: src.ID, Outlet: o.ID}
			iv := sm.ExpectedInterval
			if v, ok := sm.ExpectedIntervals[k.String()]; ok {
				iv = v
			}
			m.outlets[k] = srcOutlet{county: src.Area, industry: src.Industry, interval: iv}
			m.order = append(m.order, k)
		}
	}
	slices.SortFunc(m.order, func(a, b source.OutletKey) int { return strings.Compare(a.String(), b.String()) })
	var err error
	if m.agg, err = source.NewAggregator(rules, limits); err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	if m.tracker, err = source.NewTracker(rules); err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	if m.checker, err = source.NewChecker(rules); err != nil {
		return nil, fmt.Errorf("source monitoring: %w", err)
	}
	if m.m, err = newSrcMetrics(reg, func() float64 { return float64(len(m.in)) }); err != nil {
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

// Stored implements pipeline.Observer. It never blocks: a full queue drops the reading and
// counts it (it is stored in InfluxDB all the same, and the report reads it from there).
func (m *sourceMonitor) Stored(a *reading.Accepted) {
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

// run is the monitor's background loop. At shutdown it takes the readings already handed
// over, closes the hours that are complete and lets the notifier deliver the last alerts.
func (m *sourceMonitor) run(ctx context.Context) error {
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	notifyDone := make(chan struct{})
	if m.runNotifier != nil {
		go func() {
			defer close(notifyDone)
			_ = m.runNotifier(notifyCtx)
		}()
	} else {
		close(notifyDone)
	}
	defer func() { stopNotify(); <-notifyDone }()
	tick := time.NewTicker(m.cfg.CheckInterval)
	defer tick.Stop()
	for {
		select {
		case r := <-m.in:
			m.add(r)
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

func (m *sourceMonitor) add(r reading.Reading) {
	k := source.OutletKey{Source: r.Source, Outlet: r.Outlet}
	if err := m.agg.Add(r); err != nil {
		result := "refused"
		if errors.Is(err, source.ErrLate) {
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

func (m *sourceMonitor) midnight(t time.Time) time.Time {
	l := t.In(m.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, m.loc)
}

// step closes the complete hours, judges them, checks silence and judges complete days.
func (m *sourceMonitor) step(ctx context.Context, now time.Time) {
	touched := make(map[source.OutletKey]map[time.Time]bool)
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

func (m *sourceMonitor) lateness() time.Duration { return m.cfg.Rules.Lateness }

// hour judges one closed hour and writes it.
func (m *sourceMonitor) hour(ctx context.Context, h source.Hour) {
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
	for p, e := range source.HourEmissions(h) {
		m.m.rate.WithLabelValues(k.Source, k.Outlet, p).Set(e.RateKgH)
	}
	m.write(ctx, m.hourLine(h, lim, verdicts))
	for _, e := range events {
		m.event(ctx, e)
	}
}

func (m *sourceMonitor) event(ctx context.Context, e source.Event) {
	k := e.Key()
	out := m.outlets[k]
	switch e.State {
	case source.EventOpened:
		m.m.events.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Inc()
		m.m.open.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Set(1)
	case source.EventExtended:
		m.m.open.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Set(1)
	case source.EventClosed:
		m.m.open.WithLabelValues(k.Source, k.Outlet, e.Pollutant).Set(0)
	}
	l := newSrcLine(schema.Exceedance)
	l.tag("county", out.county).tag("outlet", k.Outlet).tag("pollutant", e.Pollutant).tag("source", k.Source).tag("state", string(e.State))
	l.float("limit", e.Limit).float("peak", e.Peak).str("peak_at", e.PeakAt.Format(time.RFC3339)).str("basis", string(e.Basis))
	l.int("hours", e.Hours).int("gap_hours", e.GapHours).int("flagged_hours", e.FlaggedHours)
	l.str("start", e.Start.Format(time.RFC3339)).str("end", e.End.Format(time.RFC3339)).float("duration_h", e.Duration().Hours())
	m.write(ctx, l.at(e.Start))

	a := notify.Alert{
		Labels: map[string]string{"alertname": alertExceedance, "severity": "warning", "source": k.Source,
			"outlet": k.Outlet, "county": out.county, "pollutant": e.Pollutant},
		Annotations: map[string]string{
			"summary": fmt.Sprintf("排口 %s %s above its limit: peak %.4g mg/m³ > %g", k, e.Pollutant, e.Peak, e.Limit),
			"description": fmt.Sprintf("Hourly mean of %s at outlet %s (%s) exceeded %g mg/m³ for %d hour(s) since %s; peak %.4g at %s (%s value); %d flagged hour(s).",
				e.Pollutant, k, out.county, e.Limit, e.Hours, e.Start.In(m.loc).Format("2006-01-02 15:04"), e.Peak,
				e.PeakAt.In(m.loc).Format("2006-01-02 15:04"), e.Basis, e.FlaggedHours),
		},
		StartsAt:     e.Start,
		GeneratorURL: m.generatorURL,
	}
	if e.State == source.EventClosed {
		a.EndsAt = e.End
	}
	m.notifier.Notify(a)
}

// silence runs the stream form of the silent rule for every registered outlet.
func (m *sourceMonitor) silence(ctx context.Context, now time.Time) {
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
			m.m.findings.WithLabelValues(string(source.RuleSilent)).Inc()
			m.write(ctx, m.findingLine(f, "stream"))
			m.notifier.Notify(m.qualityAlert(f, time.Time{}))
		case !silent && was:
			delete(m.silent, k)
			m.m.silent.WithLabelValues(k.Source, k.Outlet).Set(0)
			prev.End = last
			prev.Hours = int(prev.End.Sub(prev.Start) / time.Hour)
			prev.Detail = fmt.Sprintf("no data for %s; data again from %s", prev.End.Sub(prev.Start).Round(time.Second),
				last.In(m.loc).Format("2006-01-02 15:04"))
			m.write(ctx, m.findingLine(prev, "stream"))
			m.notifier.Notify(m.qualityAlert(prev, m.wall()))
		case !was:
			m.m.silent.WithLabelValues(k.Source, k.Outlet).Set(0)
		}
	}
}

// progressive are the rules whose findings on a day in progress stay true when more hours
// come; silent and missing_hours need the whole day.
func progressive(r source.Rule) bool {
	return r != source.RuleSilent && r != source.RuleMissingHours
}

// dayCheck runs the daily rules on one outlet's day: in progress (progressive rules only) or
// whole (every rule, staggered production, the score).
func (m *sourceMonitor) dayCheck(ctx context.Context, k source.OutletKey, day time.Time, whole bool) {
	var notices []source.Notice
	if m.notices != nil {
		for _, n := range m.notices() {
			if n.Source == "" || n.Source == k.Source {
				notices = append(notices, n)
			}
		}
	}
	dq := m.checker.Day(source.DayInput{Source: k.Source, Outlet: k.Outlet, Day: day, Hours: m.hours[k], Limits: m.limits[k], Notices: notices})
	if whole && len(m.stops) > 0 {
		var in []source.Hour
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
	counts := make(map[source.Rule]int)
	for _, f := range dq.Findings {
		counts[f.Rule]++
	}
	var rules []string
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		rules = append(rules, fmt.Sprintf("%s:%d", r, counts[r]))
	}
	l := newSrcLine(schema.SourceQualityDaily)
	l.tag("county", out.county).tag("outlet", k.Outlet).tag("source", k.Source)
	l.float("score", dq.Score).int("valid_hours", dq.ValidHours).int("flagged_hours", dq.FlaggedHours).
		int("findings", len(dq.Findings)).str("rules", strings.Join(rules, ";"))
	m.write(ctx, l.at(day))
}

// finding records a day-scope finding: counted and alerted once, rewritten while it grows.
func (m *sourceMonitor) finding(ctx context.Context, f source.Finding) {
	key := srcFindingKey{f.Rule, f.Source, f.Outlet, f.Field, f.Start.UTC()}
	prev, seen := m.findings[key]
	if seen && prev.End.Equal(f.End) && prev.Value == f.Value && prev.Hours == f.Hours {
		return
	}
	m.findings[key] = f
	m.write(ctx, m.findingLine(f, "day"))
	if seen {
		return
	}
	m.m.findings.WithLabelValues(string(f.Rule)).Inc()
	// The stream silence alert already covers a silent outlet.
	if f.Rule != source.RuleSilent {
		m.notifier.Notify(m.qualityAlert(f, m.wall().Add(m.cfg.QualityAlertHold)))
	}
}

func (m *sourceMonitor) qualityAlert(f source.Finding, endsAt time.Time) notify.Alert {
	k := f.Key()
	labels := map[string]string{"alertname": alertQuality, "severity": "warning", "rule": string(f.Rule),
		"source": k.Source, "outlet": k.Outlet, "county": m.outlets[k].county}
	if slices.Contains(source.Pollutants(), f.Field) {
		labels["pollutant"] = f.Field
	} else if f.Field != "" {
		labels["field"] = f.Field
	}
	return notify.Alert{
		Labels: labels,
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("排口 %s: %s", k, strings.ReplaceAll(string(f.Rule), "_", " ")),
			"description": f.Detail,
		},
		StartsAt: f.Start, EndsAt: endsAt, GeneratorURL: m.generatorURL,
	}
}

// dailyTotals writes the day's emissions per source and per county.
func (m *sourceMonitor) dailyTotals(ctx context.Context, day time.Time) {
	var hs []source.Hour
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
	bySource, byCounty := source.DailyTotals(hs, countyOf, rules)
	for _, set := range []struct {
		scope  string
		totals []source.Total
	}{{"source", bySource}, {"county", byCounty}} {
		for _, t := range set.totals {
			l := newSrcLine(schema.EmissionDaily)
			l.tag("county", t.County).tag("pollutant", t.Pollutant).tag("scope", set.scope).tag("source", t.Source)
			l.float("kg", t.Kg).int("hours", t.Hours)
			m.write(ctx, l.at(day))
		}
	}
}

// prune forgets hours and findings older than the day before day: the last judged day and the
// one before stay for the drop windows and late rewrites.
func (m *sourceMonitor) prune(day time.Time) {
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

func (m *sourceMonitor) write(ctx context.Context, line []byte) {
	m.sink.Submit(ctx, line, func(err error) {
		if err != nil {
			m.m.writeErrors.Inc()
			m.log.Warn("source point not stored", "err", err)
		}
	})
}

func (m *sourceMonitor) hourLine(h source.Hour, lim source.Limits, verdicts map[string]source.Verdict) []byte {
	k := h.Key()
	out := m.outlets[k]
	l := newSrcLine(schema.EmissionHourly)
	l.tag("county", out.county).tag("industry", out.industry).tag("outlet", k.Outlet).tag("period", string(h.Period)).tag("source", k.Source)
	l.int("samples", h.Samples)
	for _, p := range source.Pollutants() {
		meas := h.Field(p)
		conv, basis := h.Converted(p)
		limit, limited := lim.Values[p]
		if meas.Total == 0 && conv.Total == 0 && !limited {
			continue
		}
		if meas.Valid > 0 {
			l.float(p, meas.Mean)
		}
		if conv.Valid > 0 && basis != source.BasisNone {
			l.float(p+"_conv", conv.Mean)
		}
		l.str(p+"_basis", string(basis)).str(p+"_status", conv.Status.String())
		if r := h.Field(p + source.SuffixRate); r.Status == source.StatusValid {
			l.float(p+"_kgh", r.Mean)
		}
		if limited {
			l.float(p+"_limit", limit).str(p+"_verdict", string(verdicts[p]))
		}
	}
	for _, f := range []string{source.FieldO2, source.FieldFlow, source.FieldTemp} {
		if s := h.Field(f); s.Valid > 0 {
			l.float(f, s.Mean)
		}
	}
	return l.at(h.Start)
}

func (m *sourceMonitor) findingLine(f source.Finding, scope string) []byte {
	k := f.Key()
	l := newSrcLine(schema.SourceQuality)
	l.tag("county", m.outlets[k].county).tag("field", f.Field).tag("outlet", k.Outlet).tag("rule", string(f.Rule)).
		tag("scope", scope).tag("source", k.Source)
	l.float("value", f.Value).int("hours", f.Hours).str("start", f.Start.Format(time.RFC3339)).
		str("end", f.End.Format(time.RFC3339)).str("detail", f.Detail)
	return l.at(f.Start)
}

// srcLine wraps influx.Line: it leaves out non-finite floats, which InfluxDB refuses, and
// keeps texts on one line, since the writer and the spool hold one point per line.
type srcLine struct{ l *schema.Line }

func newSrcLine(measurement string) *srcLine { return &srcLine{schema.NewLine(measurement, 256)} }

// tag adds a tag; callers give tags sorted by key, as InfluxDB prefers.
func (l *srcLine) tag(k, v string) *srcLine { l.l.Tag(k, v); return l }

func (l *srcLine) float(k string, v float64) *srcLine {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		l.l.Float(k, v)
	}
	return l
}

func (l *srcLine) int(k string, v int) *srcLine { l.l.Int(k, int64(v)); return l }

func (l *srcLine) str(k, v string) *srcLine {
	l.l.String(k, strings.NewReplacer("\n", " ", "\r", " ").Replace(v))
	return l
}

func (l *srcLine) at(t time.Time) []byte { return l.l.At(t) }
