// Package hotspot finds the grid's pollution hotspots (热点网格): stations, micro-stations above
// all, whose hourly value stands well above their neighbours and their county's assessment
// stations for hours on end, with the registered sources nearby named as the likely cause.
// Rules and parameters: docs/command-centre.md "Hotspot grid".
package hotspot

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// Sink takes the detector's points (line protocol); the service hands them to the durable
// writer.
type Sink interface {
	Submit(ctx context.Context, line []byte, done func(error))
}

// Alert is a hotspot alert for Alertmanager; a non-zero EndsAt resolves it.
type Alert struct {
	Labels, Annotations map[string]string
	StartsAt, EndsAt    time.Time
}

// Notifier raises and clears hotspot alerts; Notify must not block.
type Notifier interface{ Notify(Alert) }

// Nearby is a registered source near a station.
type Nearby struct {
	Source, Name string
	DistanceKm   float64
	// BearingDeg is the direction of the source seen from the station (clockwise from north).
	BearingDeg float64
	// UpwindHours counts the hot hours of the current run in which the wind came from the
	// source's side (within UpwindSectorDeg of its bearing); WindHours those with a wind.
	UpwindHours, WindHours int
}

// State is a station's current standing, for the API and the console.
type State struct {
	Station, Name, Area string
	// Hour is the start of the latest judged hour of the station.
	Hour       time.Time
	Value      float64
	Neighbours float64
	CountyMean float64
	HasCounty  bool
	Ratio      float64
	HotHours   int
	Hotspot    bool
	// Since is the start of the first hot hour of the current hotspot.
	Since   time.Time
	Sources []Nearby
}

// Options wire a Detector.
type Options struct {
	Config   Config
	Registry *registry.Registry
	Location *time.Location
	Sink     Sink
	Notifier Notifier
	Log      *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Registerer takes the detector's metrics (nil: not registered).
	Registerer prometheus.Registerer
}

type station struct {
	st         *registry.Station
	neighbours []string
	sources    []Nearby
	hot, cold  int
	hotspot    bool
	since      time.Time
	last       State
	day        dayAcc
	lastDay    *DayState // the last completed day
}

// DayState is a station's natural day (in the configured zone) so far: the means of its hourly
// value and of its excess over the neighbours' median and over the county mean, and its hot
// hours, over the judged hours of the day.
type DayState struct {
	Station, Name, Area string
	Day                 string // YYYY-MM-DD
	Hours, HotHours     int
	Value               float64
	ExcessNeighbours    float64
	// ExcessCounty averages the hours that had a county mean (CountyHours of them).
	ExcessCounty float64
	CountyHours  int
}

type dayAcc struct {
	day                                   time.Time
	hours, hot, countyHours               int
	sumValue, sumExcessN, sumExcessCounty float64
}

func (a *dayAcc) state(x *station) DayState {
	s := DayState{Station: x.st.ID, Name: x.st.Name, Area: x.st.Area, Day: a.day.Format(time.DateOnly), Hours: a.hours,
		HotHours: a.hot, CountyHours: a.countyHours}
	if a.hours > 0 {
		s.Value, s.ExcessNeighbours = a.sumValue/float64(a.hours), a.sumExcessN/float64(a.hours)
	}
	if a.countyHours > 0 {
		s.ExcessCounty = a.sumExcessCounty / float64(a.countyHours)
	}
	return s
}

type hourData struct {
	wind        map[string]float64 // station → wind_dir, degrees the wind comes from
	values      map[string]float64
	lastArrival time.Time
}

// Detector judges every ended hour once, in order. It implements pipeline.Observer.
type Detector struct {
	cfg  Config
	reg  *registry.Registry
	loc  *time.Location
	sink Sink
	note Notifier
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	stations map[string]*station
	hours    map[time.Time]*hourData
	judged   time.Time // start of the latest judged hour

	hotspotGauge *prometheus.GaugeVec
}

// New builds a Detector from the registry's coordinates: stations without coordinates are
// neither judged nor neighbours.
func New(o Options) (*Detector, error) {
	cfg := o.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, reg: o.Registry, loc: o.Location, sink: o.Sink, note: o.Notifier, log: o.Log, now: o.Now,
		stations: map[string]*station{}, hours: map[time.Time]*hourData{}}
	if d.loc == nil {
		d.loc = time.UTC
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.hotspotGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_grid_hotspot",
		Help: "1 while the station is a persistent grid hotspot, 0 otherwise (judged stations only)."}, []string{"station", "county"})
	if o.Registerer != nil {
		if err := o.Registerer.Register(d.hotspotGauge); err != nil {
			return nil, fmt.Errorf("hotspot metrics: %w", err)
		}
	}
	located := func(s *registry.Station) bool { return s.Lat != 0 || s.Lon != 0 }
	for i := range o.Registry.Stations {
		s := &o.Registry.Stations[i]
		if !located(s) {
			continue
		}
		x := &station{st: s}
		for j := range o.Registry.Stations {
			n := &o.Registry.Stations[j]
			if i != j && located(n) && registry.DistanceKm(s.Lat, s.Lon, n.Lat, n.Lon) <= cfg.RadiusKm {
				x.neighbours = append(x.neighbours, n.ID)
			}
		}
		for _, src := range o.Registry.Sources {
			if !src.Located() {
				continue
			}
			if km := registry.DistanceKm(s.Lat, s.Lon, src.Lat, src.Lon); km <= cfg.SourceRadiusKm {
				x.sources = append(x.sources, Nearby{Source: src.ID, Name: src.Name, DistanceKm: math.Round(km*100) / 100,
					BearingDeg: math.Round(registry.BearingDeg(s.Lat, s.Lon, src.Lat, src.Lon))})
			}
		}
		slices.SortFunc(x.sources, func(a, b Nearby) int { return cmp.Compare(a.DistanceKm, b.DistanceKm) })
		d.stations[s.ID] = x
	}
	return d, nil
}

// Stored records a stored hourly ambient reading of a located station.
func (d *Detector) Stored(a *reading.Accepted) {
	if a.Kind != reading.Air || a.Period != reading.Hour {
		return
	}
	v, ok := a.Get(d.cfg.Pollutant)
	if !ok || v.NoValue || !v.Flag.Valid() {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.stations[a.Station]; !ok {
		return
	}
	h := a.Time.Truncate(time.Hour)
	if !d.judged.IsZero() && !h.After(d.judged) {
		return // that hour was judged already: late readings do not reopen it
	}
	hd := d.hours[h]
	if hd == nil {
		hd = &hourData{values: map[string]float64{}, wind: map[string]float64{}}
		d.hours[h] = hd
	}
	hd.values[a.Station] = v.Value
	if w, ok := a.Get("wind_dir"); ok && !w.NoValue && w.Flag.Valid() {
		hd.wind[a.Station] = w.Value
	}
	hd.lastArrival = d.now()
}

// Run judges ended hours every CheckEvery until ctx ends.
func (d *Detector) Run(ctx context.Context) error {
	t := time.NewTicker(d.cfg.CheckEvery)
	defer t.Stop()
	for {
		d.Check(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Check judges, in order, every hour that ended Lateness ago and has been quiet for Settle.
func (d *Detector) Check(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for _, h := range slices.SortedFunc(maps.Keys(d.hours), time.Time.Compare) {
		hd := d.hours[h]
		if now.Before(h.Add(time.Hour+d.cfg.Lateness)) || now.Sub(hd.lastArrival) < d.cfg.Settle {
			break // hours are judged in order: a later hour waits for this one
		}
		d.judge(ctx, h, hd.values, hd.wind)
		delete(d.hours, h)
		d.judged = h
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

// windAt is the wind direction at station x: its own, else the vector mean of its neighbours'.
func windAt(x *station, wind map[string]float64) (float64, bool) {
	if w, ok := wind[x.st.ID]; ok {
		return w, true
	}
	var sx, sy float64
	n := 0
	for _, id := range x.neighbours {
		if w, ok := wind[id]; ok {
			sx, sy, n = sx+math.Sin(w*math.Pi/180), sy+math.Cos(w*math.Pi/180), n+1
		}
	}
	if n == 0 || math.Hypot(sx, sy) < 1e-9 {
		return 0, false
	}
	return math.Mod(math.Atan2(sx, sy)*180/math.Pi+360, 360), true
}

// angleDiff is the smaller angle between two directions in degrees.
func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	return math.Min(d, 360-d)
}

func (d *Detector) judge(ctx context.Context, h time.Time, values, wind map[string]float64) {
	countyMean := map[string][2]float64{} // sum, count of assessment stations
	for id, v := range values {
		if st := d.stations[id].st; st.Assessed() {
			c := countyMean[st.Area]
			countyMean[st.Area] = [2]float64{c[0] + v, c[1] + 1}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(values)) {
		x := d.stations[id]
		v := values[id]
		var nv []float64
		for _, n := range x.neighbours {
			if w, ok := values[n]; ok {
				nv = append(nv, w)
			}
		}
		if len(nv) < d.cfg.MinNeighbours {
			continue
		}
		med := median(nv)
		s := State{Station: id, Name: x.st.Name, Area: x.st.Area, Hour: h, Value: v, Neighbours: med, Sources: x.sources}
		if c := countyMean[x.st.Area]; c[1] > 0 {
			s.CountyMean, s.HasCounty = c[0]/c[1], true
		}
		if med > 0 {
			s.Ratio = v / med
		}
		hot := v >= d.cfg.Ratio*med && v-med >= d.cfg.MinExcess && (!s.HasCounty || v-s.CountyMean >= d.cfg.MinExcess)
		if hot {
			x.hot, x.cold = x.hot+1, 0
			if x.hot == 1 && !x.hotspot {
				for i := range x.sources {
					x.sources[i].UpwindHours, x.sources[i].WindHours = 0, 0
				}
			}
			if w, ok := windAt(x, wind); ok {
				for i := range x.sources {
					x.sources[i].WindHours++
					if angleDiff(w, x.sources[i].BearingDeg) <= d.cfg.UpwindSectorDeg {
						x.sources[i].UpwindHours++
					}
				}
			}
		} else {
			x.hot, x.cold = 0, x.cold+1
		}
		if hot && !x.hotspot && x.hot >= d.cfg.PersistHours {
			x.hotspot, x.since = true, h.Add(-time.Duration(x.hot-1)*time.Hour)
			orderByWind(x.sources)
			s.Sources = x.sources
			d.raise(x, s)
		} else if x.hotspot && x.cold >= d.cfg.ClearHours {
			x.hotspot = false
			d.clear(x, h)
		}
		d.addToDay(ctx, x, s, hot)
		s.HotHours, s.Hotspot, s.Since = x.hot, x.hotspot, x.since
		g := 0.0
		if x.hotspot {
			g = 1
		}
		d.hotspotGauge.WithLabelValues(id, x.st.Area).Set(g)
		x.last = s
		d.write(ctx, s, hot)
	}
}

// upwind reports whether the wind came from the source's side in most of the hot hours that
// had a wind.
func (n Nearby) upwind() bool { return n.WindHours > 0 && 2*n.UpwindHours > n.WindHours }

// orderByWind puts the sources that were upwind in most hot hours first, each group by distance.
func orderByWind(sources []Nearby) {
	slices.SortStableFunc(sources, func(a, b Nearby) int {
		if a.upwind() != b.upwind() {
			if a.upwind() {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.DistanceKm, b.DistanceKm)
	})
}

func (d *Detector) labels(x *station) map[string]string {
	return map[string]string{"alertname": "GridHotspot", "severity": "warning", "station": x.st.ID, "county": x.st.Area}
}

func (d *Detector) raise(x *station, s State) {
	if d.note == nil {
		return
	}
	src := fmt.Sprintf("周边 %g km 内无登记污染源", d.cfg.SourceRadiusKm)
	labels := d.labels(x)
	if len(x.sources) > 0 {
		var parts []string
		for _, n := range x.sources {
			wind := ""
			if n.WindHours > 0 {
				wind = fmt.Sprintf("，%d/%d 小时处于上风向", n.UpwindHours, n.WindHours)
			}
			parts = append(parts, fmt.Sprintf("%s（%s，%.2f km，方位 %.0f°%s）", n.Name, n.Source, n.DistanceKm, n.BearingDeg, wind))
		}
		src = "可能来源：" + strings.Join(parts, "、")
		labels["source"] = x.sources[0].Source
	}
	name := "PM10"
	if d.cfg.Pollutant == "pm25" {
		name = "PM2.5"
	}
	d.note.Notify(Alert{Labels: labels, StartsAt: x.since, Annotations: map[string]string{
		"summary": fmt.Sprintf("网格热点：%s（%s）%s 自 %s 起连续 %d 小时高于周边站点中位数 %.1f 倍（%.0f 对 %.0f µg/m³）；%s",
			x.st.Name, x.st.ID, name, x.since.In(d.loc).Format(time.RFC3339), x.hot, s.Ratio, s.Value, s.Neighbours, src),
		"description": fmt.Sprintf("Grid hotspot: station %s above %.1f× its neighbours' median for %d hours", x.st.ID, s.Ratio, x.hot),
	}})
}

func (d *Detector) clear(x *station, h time.Time) {
	if d.note == nil {
		return
	}
	labels := d.labels(x)
	if len(x.sources) > 0 {
		labels["source"] = x.sources[0].Source
	}
	d.note.Notify(Alert{Labels: labels, StartsAt: x.since, EndsAt: h.Add(time.Hour)})
}

func (d *Detector) write(ctx context.Context, s State, hot bool) {
	if d.sink == nil {
		return
	}
	l := schema.NewLine(schema.MeasurementHotspot, 256).
		Tag(schema.TagCounty, s.Area).Tag(schema.TagStation, s.Station).
		Float(schema.FieldHotspotValue, s.Value).
		Float(schema.FieldHotspotNeighbours, s.Neighbours).
		Float(schema.FieldHotspotExcessN, s.Value-s.Neighbours).
		Float(schema.FieldHotspotRatio, s.Ratio).
		Bool(schema.FieldHotspotHot, hot).
		Int(schema.FieldHotspotRun, int64(s.HotHours)).
		Bool(schema.FieldHotspotIsHotspot, s.Hotspot)
	if x, ok := d.stations[s.Station]; ok {
		l.Float(schema.FieldHotspotLat, x.st.Lat).Float(schema.FieldHotspotLon, x.st.Lon)
	}
	if s.HasCounty {
		l.Float(schema.FieldHotspotCounty, s.CountyMean).Float(schema.FieldHotspotExcessC, s.Value-s.CountyMean)
	}
	if s.Hotspot && len(s.Sources) > 0 {
		l.String(schema.FieldHotspotSource, s.Sources[0].Source)
	}
	station := s.Station
	d.sink.Submit(ctx, l.At(s.Hour), func(err error) {
		if err != nil {
			d.log.Error("hotspot point not stored", "station", station, "err", err)
		}
	})
}

// addToDay adds a judged hour to the station's day, first closing (writing) the previous day
// when the hour belongs to a later one.
func (d *Detector) addToDay(ctx context.Context, x *station, s State, hot bool) {
	lt := s.Hour.In(d.loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, d.loc)
	if !x.day.day.Equal(day) {
		if x.day.hours > 0 {
			done := x.day.state(x)
			x.lastDay = &done
			d.writeDay(ctx, x.day.day, done)
		}
		x.day = dayAcc{day: day}
	}
	a := &x.day
	a.hours++
	a.sumValue += s.Value
	a.sumExcessN += s.Value - s.Neighbours
	if s.HasCounty {
		a.countyHours++
		a.sumExcessCounty += s.Value - s.CountyMean
	}
	if hot {
		a.hot++
	}
}

func (d *Detector) writeDay(ctx context.Context, day time.Time, s DayState) {
	if d.sink == nil {
		return
	}
	l := schema.NewLine(schema.MeasurementHotspotDaily, 200).
		Tag(schema.TagCounty, s.Area).Tag(schema.TagStation, s.Station).
		Float(schema.FieldHotspotValue, s.Value).
		Float(schema.FieldHotspotExcessN, s.ExcessNeighbours).
		Int(schema.FieldHotspotHours, int64(s.Hours)).
		Int(schema.FieldHotspotRun, int64(s.HotHours))
	if s.CountyHours > 0 {
		l.Float(schema.FieldHotspotExcessC, s.ExcessCounty)
	}
	station := s.Station
	d.sink.Submit(ctx, l.At(day), func(err error) {
		if err != nil {
			d.log.Error("hotspot daily point not stored", "station", station, "err", err)
		}
	})
}

// DailyRanking ranks the stations per county by their mean excess over the neighbours on one
// day: today (so far) when today is true, else the last completed day.
func (d *Detector) DailyRanking(today bool) []DayState {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []DayState
	for _, x := range d.stations {
		switch {
		case today && x.day.hours > 0:
			out = append(out, x.day.state(x))
		case !today && x.lastDay != nil:
			out = append(out, *x.lastDay)
		}
	}
	slices.SortFunc(out, func(a, b DayState) int {
		if c := strings.Compare(a.Area, b.Area); c != 0 {
			return c
		}
		return cmp.Compare(b.ExcessNeighbours, a.ExcessNeighbours)
	})
	return out
}

// Ranking is the latest judged state of every judged station, hotspots first, then by ratio
// over the neighbours, per county in registry order of counties.
func (d *Detector) Ranking() []State {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []State
	for _, x := range d.stations {
		if !x.last.Hour.IsZero() {
			st := x.last
			st.Sources = slices.Clone(st.Sources) // judge updates the counts in place
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b State) int {
		if c := strings.Compare(a.Area, b.Area); c != 0 {
			return c
		}
		if a.Hotspot != b.Hotspot {
			if a.Hotspot {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Ratio, a.Ratio)
	})
	return out
}
