// Package stationqc checks ambient stations for interference (干扰) as source monitoring does at
// a stack. Today it has one rule, the sudden drop against neighbours that sprinkling water on
// or covering a sampling inlet produces. Rules and parameters: docs/command-centre.md
// "Ambient-station interference".
package stationqc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Config is the `station_quality` section. Zero fields take DefaultConfig's values.
type Config struct {
	Disabled bool `yaml:"disabled"`
	// Pollutants are the fields checked (default pm10 and pm25: water and covers remove
	// particles, not gases).
	Pollutants []string `yaml:"pollutants"`
	// RadiusKm and MinNeighbours: as for hotspots, the located stations within the radius.
	RadiusKm      float64 `yaml:"radius_km"`
	MinNeighbours int     `yaml:"min_neighbours"`
	// DropRatio: the hour's value fell by at least this share of the previous hour's …
	DropRatio float64 `yaml:"drop_ratio"`
	// HoldTolerance: … while the neighbours' median changed by less than this share …
	HoldTolerance float64 `yaml:"hold_tolerance"`
	// MinValue: … and the previous hour was at least this (µg/m³), so that noise at clean
	// levels does not count.
	MinValue float64 `yaml:"min_value"`
	// StuckHours: the same value in this many consecutive judged hours is a stuck analyser
	// (flat line).
	StuckHours int `yaml:"stuck_hours"`
	// PM25OverPM10 is the tolerance (µg/m³) by which an hour's PM2.5 may exceed its PM10
	// before it is flagged: PM2.5 is a fraction of PM10, so above it one analyser is wrong.
	PM25OverPM10 float64 `yaml:"pm25_over_pm10"`
	// AlertFor is how long a finding's alert stays firing.
	AlertFor time.Duration `yaml:"alert_for"`
	// Lateness, Settle, CheckEvery: when an hour is judged, as for hotspots.
	Lateness   time.Duration `yaml:"lateness"`
	Settle     time.Duration `yaml:"settle"`
	CheckEvery time.Duration `yaml:"check_every"`
}

// DefaultConfig: the 60 % drop and the 20 % hold are judgement (HJ 817/818 give no
// interference thresholds for ambient stations); 60 % against a steady surrounding is far
// outside hour-to-hour variation of PM at neighbouring stations under one air mass.
func DefaultConfig() Config {
	return Config{Pollutants: []string{"pm10", "pm25"}, RadiusKm: 3, MinNeighbours: 2, DropRatio: 0.6,
		HoldTolerance: 0.2, MinValue: 30, StuckHours: 6, PM25OverPM10: 10, AlertFor: 24 * time.Hour, Lateness: 15 * time.Minute,
		Settle: time.Minute, CheckEvery: time.Minute}
}

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if len(c.Pollutants) == 0 {
		c.Pollutants = d.Pollutants
	}
	for _, f := range []struct{ v, d *float64 }{{&c.RadiusKm, &d.RadiusKm}, {&c.DropRatio, &d.DropRatio}, {&c.HoldTolerance, &d.HoldTolerance}, {&c.MinValue, &d.MinValue}} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	if c.MinNeighbours == 0 {
		c.MinNeighbours = d.MinNeighbours
	}
	if c.StuckHours == 0 {
		c.StuckHours = d.StuckHours
	}
	if c.PM25OverPM10 == 0 {
		c.PM25OverPM10 = d.PM25OverPM10
	}
	for _, f := range []struct{ v, d *time.Duration }{{&c.AlertFor, &d.AlertFor}, {&c.Lateness, &d.Lateness}, {&c.Settle, &d.Settle}, {&c.CheckEvery, &d.CheckEvery}} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return c
}

// Validate checks the section.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.DropRatio <= 0 || c.DropRatio >= 1 || c.HoldTolerance <= 0 || c.HoldTolerance >= 1 {
		errs = append(errs, errors.New("station_quality.drop_ratio and hold_tolerance must be between 0 and 1"))
	}
	if c.StuckHours < 2 || c.PM25OverPM10 < 0 {
		errs = append(errs, errors.New("station_quality.stuck_hours must be at least 2 and pm25_over_pm10 not negative"))
	}
	if c.RadiusKm < 0 || c.MinValue < 0 || c.MinNeighbours < 1 {
		errs = append(errs, errors.New("station_quality.radius_km and min_value must not be negative, min_neighbours at least 1"))
	}
	for _, p := range c.Pollutants {
		if !slices.Contains(schema.AirPollutants[:], p) {
			errs = append(errs, fmt.Errorf("station_quality.pollutants: unknown %q", p))
		}
	}
	return errors.Join(errs...)
}

// Sink takes line protocol; Notifier raises alerts (must not block).
type Sink interface {
	Submit(ctx context.Context, line []byte, done func(error))
}

// Alert is a finding's alert; EndsAt is when it stops firing.
type Alert struct {
	Labels, Annotations map[string]string
	StartsAt, EndsAt    time.Time
}

// Notifier raises alerts.
type Notifier interface{ Notify(Alert) }

// maxFindings bounds the findings kept in memory for the API; InfluxDB keeps them all.
const maxFindings = 1000

// Finding is one rule hit.
type Finding struct {
	Station, Name, County, Rule, Pollutant string
	Hour                                   time.Time
	Value, Previous                        float64
	NeighboursNow, NeighboursBefore        float64
	// PM10 is the hour's PM10 (rule pm25_over_pm10); Hours the length of the run (stuck).
	PM10  float64
	Hours int
}

// The rules.
const (
	RuleSuddenDrop   = "sudden_drop"
	RuleStuck        = "stuck"
	RulePM25OverPM10 = "pm25_over_pm10"
)

type run struct {
	value float64
	hours int
}

// Options wire a Checker.
type Options struct {
	Config   Config
	Registry *registry.Registry
	Location *time.Location
	Sink     Sink
	Notifier Notifier
	Log      *slog.Logger
	Now      func() time.Time
	// Registerer takes the checker's metrics (nil: not registered).
	Registerer prometheus.Registerer
}

// Checker judges each ended hour once against the hour before. It implements pipeline.Observer.
type Checker struct {
	cfg  Config
	loc  *time.Location
	sink Sink
	note Notifier
	log  *slog.Logger
	now  func() time.Time

	stations   map[string]*registry.Station
	neighbours map[string][]string

	mu       sync.Mutex
	hours    map[time.Time]*hour
	prev     map[string]map[string]float64 // pollutant → station → value, of the last judged hour
	prevHour time.Time
	findings []Finding
	stuck    map[string]map[string]run // pollutant → station → the current run of equal values

	findingsTotal *prometheus.CounterVec
}

type hour struct {
	values      map[string]map[string]float64 // pollutant → station → value
	lastArrival time.Time
}

// New builds a Checker over the located stations of the registry.
func New(o Options) (*Checker, error) {
	cfg := o.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Checker{cfg: cfg, loc: o.Location, sink: o.Sink, note: o.Notifier, log: o.Log, now: o.Now,
		stations: map[string]*registry.Station{}, neighbours: map[string][]string{}, hours: map[time.Time]*hour{},
		stuck: map[string]map[string]run{}}
	if c.loc == nil {
		c.loc = time.UTC
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.findingsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantian_station_quality_findings_total",
		Help: "Interference findings at ambient stations, by station, county, rule and pollutant."}, []string{"station", "county", "rule", "pollutant"})
	if o.Registerer != nil {
		if err := o.Registerer.Register(c.findingsTotal); err != nil {
			return nil, fmt.Errorf("station-quality metrics: %w", err)
		}
	}
	located := func(s *registry.Station) bool { return s.Lat != 0 || s.Lon != 0 }
	for i := range o.Registry.Stations {
		s := &o.Registry.Stations[i]
		if !located(s) {
			continue
		}
		c.stations[s.ID] = s
		for j := range o.Registry.Stations {
			n := &o.Registry.Stations[j]
			if i != j && located(n) && registry.DistanceKm(s.Lat, s.Lon, n.Lat, n.Lon) <= cfg.RadiusKm {
				c.neighbours[s.ID] = append(c.neighbours[s.ID], n.ID)
			}
		}
	}
	return c, nil
}

// Stored records a stored hourly reading of a located station.
func (c *Checker) Stored(a *reading.Accepted) {
	if a.Kind != reading.Air || a.Period != reading.Hour {
		return
	}
	if _, ok := c.stations[a.Station]; !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := a.Time.Truncate(time.Hour)
	if !c.prevHour.IsZero() && !h.After(c.prevHour) {
		return
	}
	hd := c.hours[h]
	if hd == nil {
		hd = &hour{values: map[string]map[string]float64{}}
		c.hours[h] = hd
	}
	for _, p := range c.cfg.Pollutants {
		if v, ok := a.Get(p); ok && !v.NoValue && v.Flag.Valid() {
			if hd.values[p] == nil {
				hd.values[p] = map[string]float64{}
			}
			hd.values[p][a.Station] = v.Value
		}
	}
	hd.lastArrival = c.now()
}

// Run judges ended hours every CheckEvery until ctx ends.
func (c *Checker) Run(ctx context.Context) error {
	t := time.NewTicker(c.cfg.CheckEvery)
	defer t.Stop()
	for {
		c.Check(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Check judges, in order, the hours that ended Lateness ago and were quiet for Settle.
func (c *Checker) Check(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, h := range slices.SortedFunc(maps.Keys(c.hours), time.Time.Compare) {
		hd := c.hours[h]
		if now.Before(h.Add(time.Hour+c.cfg.Lateness)) || now.Sub(hd.lastArrival) < c.cfg.Settle {
			break
		}
		c.judge(ctx, h, hd.values, !c.prevHour.IsZero() && h.Sub(c.prevHour) == time.Hour)
		c.prev, c.prevHour = hd.values, h
		delete(c.hours, h)
	}
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// judge applies the rules to hour h; consecutive says the previous judged hour is h − 1 h
// (the sudden drop compares them, a stuck run continues across them).
func (c *Checker) judge(ctx context.Context, h time.Time, values map[string]map[string]float64, consecutive bool) {
	c.judgeStuck(ctx, h, values, consecutive)
	c.judgePM25(ctx, h, values)
	if !consecutive {
		return
	}
	for _, p := range c.cfg.Pollutants {
		cur, before := values[p], c.prev[p]
		for _, id := range slices.Sorted(maps.Keys(cur)) {
			v, ok := cur[id]
			pv, okp := before[id]
			if !ok || !okp || pv < c.cfg.MinValue {
				continue
			}
			var now, was []float64
			for _, n := range c.neighbours[id] {
				a, ok1 := cur[n]
				b, ok2 := before[n]
				if ok1 && ok2 {
					now, was = append(now, a), append(was, b)
				}
			}
			if len(now) < c.cfg.MinNeighbours {
				continue
			}
			mNow, mWas := median(now), median(was)
			held := mWas > 0 && abs(mNow-mWas) <= c.cfg.HoldTolerance*mWas
			if (pv-v) >= c.cfg.DropRatio*pv && held {
				st := c.stations[id]
				f := Finding{Station: id, Name: st.Name, County: st.Area, Rule: RuleSuddenDrop, Pollutant: p, Hour: h,
					Value: v, Previous: pv, NeighboursNow: mNow, NeighboursBefore: mWas}
				c.add(ctx, f)
			}
		}
	}
}

// judgeStuck flags a station whose value was the same in StuckHours consecutive hours, once
// per run.
func (c *Checker) judgeStuck(ctx context.Context, h time.Time, values map[string]map[string]float64, consecutive bool) {
	for _, p := range c.cfg.Pollutants {
		runs := c.stuck[p]
		if runs == nil || !consecutive {
			runs = map[string]run{}
		}
		next := map[string]run{}
		for _, id := range slices.Sorted(maps.Keys(values[p])) {
			v := values[p][id]
			r := runs[id]
			if r.hours > 0 && r.value == v {
				r.hours++
			} else {
				r = run{value: v, hours: 1}
			}
			next[id] = r
			if r.hours == c.cfg.StuckHours {
				st := c.stations[id]
				c.add(ctx, Finding{Station: id, Name: st.Name, County: st.Area, Rule: RuleStuck, Pollutant: p, Hour: h,
					Value: v, Hours: r.hours})
			}
		}
		c.stuck[p] = next
	}
}

// judgePM25 flags an hour whose PM2.5 exceeds its PM10 by more than the tolerance.
func (c *Checker) judgePM25(ctx context.Context, h time.Time, values map[string]map[string]float64) {
	pm25, pm10 := values["pm25"], values["pm10"]
	for _, id := range slices.Sorted(maps.Keys(pm25)) {
		v25 := pm25[id]
		v10, ok := pm10[id]
		if ok && v25 > v10+c.cfg.PM25OverPM10 {
			st := c.stations[id]
			c.add(ctx, Finding{Station: id, Name: st.Name, County: st.Area, Rule: RulePM25OverPM10, Pollutant: "pm25", Hour: h,
				Value: v25, PM10: v10})
		}
	}
}

func (c *Checker) add(ctx context.Context, f Finding) {
	c.findings = append(c.findings, f)
	if len(c.findings) > maxFindings {
		c.findings = slices.Delete(c.findings, 0, len(c.findings)-maxFindings)
	}
	c.report(ctx, f)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func (c *Checker) report(ctx context.Context, f Finding) {
	c.findingsTotal.WithLabelValues(f.Station, f.County, f.Rule, f.Pollutant).Inc()
	at := f.Hour.In(c.loc).Format(time.RFC3339)
	var summary, description string
	l := schema.NewLine(schema.MeasurementStationQuality, 200).
		Tag(schema.TagCounty, f.County).Tag(schema.TagPollutant, f.Pollutant).Tag(schema.TagRule, f.Rule).Tag(schema.TagStation, f.Station).
		Float(schema.FieldQCValue, f.Value)
	switch f.Rule {
	case RuleSuddenDrop:
		drop := 100 * (f.Previous - f.Value) / f.Previous
		l.Float(schema.FieldQCPrevious, f.Previous).Float(schema.FieldQCNeighbours, f.NeighboursNow).Float(schema.FieldQCNeighboursBefore, f.NeighboursBefore)
		summary = fmt.Sprintf("疑似干扰采样（洒水或遮挡进气口）：%s（%s）%s 在 %s 一小时内下降 %.0f%%（%.0f → %.0f µg/m³），周边站点中位数基本不变（%.0f → %.0f）",
			f.Name, f.Station, f.Pollutant, at, drop, f.Previous, f.Value, f.NeighboursBefore, f.NeighboursNow)
		description = fmt.Sprintf("Sudden %.0f%% drop at station %s while neighbours held", drop, f.Station)
	case RuleStuck:
		l.Int(schema.FieldQCHours, int64(f.Hours))
		summary = fmt.Sprintf("数据恒定不变：%s（%s）%s 连续 %d 小时均为 %g，至 %s，疑似仪器卡滞或数据造假", f.Name, f.Station, f.Pollutant, f.Hours, f.Value, at)
		description = fmt.Sprintf("Station %s reported the same %s value for %d hours", f.Station, f.Pollutant, f.Hours)
	case RulePM25OverPM10:
		l.Float(schema.FieldQCPM10, f.PM10)
		summary = fmt.Sprintf("PM2.5 高于 PM10：%s（%s）%s PM2.5 %g > PM10 %g µg/m³（容差 %g），至少一台分析仪数据有误", f.Name, f.Station, at, f.Value, f.PM10, c.cfg.PM25OverPM10)
		description = fmt.Sprintf("PM2.5 above PM10 at station %s", f.Station)
	}
	if c.sink != nil {
		c.sink.Submit(ctx, l.At(f.Hour), func(err error) {
			if err != nil {
				c.log.Error("station-quality finding not stored", "station", f.Station, "err", err)
			}
		})
	}
	if c.note != nil {
		c.note.Notify(Alert{
			Labels: map[string]string{"alertname": "StationInterference", "severity": "warning", "station": f.Station,
				"county": f.County, "rule": f.Rule, "pollutant": f.Pollutant},
			Annotations: map[string]string{"summary": summary, "description": description},
			StartsAt:    f.Hour, EndsAt: f.Hour.Add(time.Hour + c.cfg.AlertFor),
		})
	}
}

// Findings lists the findings of this run, oldest first.
func (c *Checker) Findings() []Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.findings)
}
