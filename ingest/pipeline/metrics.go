package pipeline

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/reading"
)

// Metrics are the pipeline's Prometheus series. Per-station series are kept only for registered
// stations and outlets, so their number is bounded by the registry.
type Metrics struct {
	messages         *prometheus.CounterVec
	rejected         *prometheus.CounterVec
	readings         *prometheus.CounterVec
	unregistered     prometheus.Counter
	arrivalToDurable prometheus.Histogram
	readingAge       prometheus.Histogram
	lastSeen         *prometheus.GaugeVec
	latest           *prometheus.GaugeVec
	sourceLastSeen   *prometheus.GaugeVec
	sourceLatest     *prometheus.GaugeVec
	now              func() time.Time
	storedAir        prometheus.Counter
	storedSource     prometheus.Counter

	// series caches each station's and outlet's gauges: looking a label set up in a vector
	// hashes and compares every label on every reading, which cost more than validating it.
	// Its key is a struct, so that a lookup builds no string.
	seriesMu sync.RWMutex
	series   map[seriesKey]*seriesSet
}

type seriesKey struct {
	kind                    reading.Kind
	station, source, outlet string
}

type seriesSet struct {
	lastSeen prometheus.Gauge
	mu       sync.Mutex
	fields   map[string]prometheus.Gauge
}

func (s *seriesSet) field(name string, make func() prometheus.Gauge) prometheus.Gauge {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.fields[name]
	if !ok {
		g = make()
		s.fields[name] = g
	}
	return g
}

// NewMetrics registers the pipeline's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_messages_total", Help: "Messages received by route (air, source, hj212, unknown, oversize).",
		}, []string{"route"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_rejected_total", Help: "Refused messages and points by reason; each is kept as a dead letter.",
		}, []string{"reason"}),
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_readings_stored_total", Help: "Readings made durable (InfluxDB or spool) by kind (air, source).",
		}, []string{"kind"}),
		unregistered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_unregistered_station_readings_total", Help: "Readings of stations not in the registry, stored with county \"unknown\".",
		}),
		arrivalToDurable: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lantian_arrival_to_durable_seconds", Help: "Time from a message's arrival to its readings being durable.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		readingAge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lantian_reading_age_at_durable_seconds", Help: "Time from a reading's own timestamp to it being durable (end-to-end latency of real-time data).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400},
		}),
		lastSeen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_station_last_seen_timestamp_seconds", Help: "Unix time at which a reading of the station was last stored.",
		}, []string{"station", "county"}),
		latest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_station_latest_value", Help: "Latest stored value per station and field (µg/m³; CO mg/m³).",
		}, []string{"station", "county", "field"}),
		sourceLastSeen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_outlet_last_seen_timestamp_seconds", Help: "Unix time at which a reading of the outlet was last stored.",
		}, []string{"source", "outlet", "county"}),
		sourceLatest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_outlet_latest_value", Help: "Latest stored value per outlet and field (mg/m³; o2 %; flow m³/h).",
		}, []string{"source", "outlet", "county", "field"}),
		now:    time.Now,
		series: map[seriesKey]*seriesSet{},
	}
	m.storedAir, m.storedSource = m.readings.WithLabelValues("air"), m.readings.WithLabelValues("source")
	reg.MustRegister(m.messages, m.rejected, m.readings, m.unregistered, m.arrivalToDurable,
		m.readingAge, m.lastSeen, m.latest, m.sourceLastSeen, m.sourceLatest)
	return m
}

func (m *Metrics) stored(a *reading.Accepted) {
	now := m.now()
	if a.Kind == reading.Source {
		m.storedSource.Inc()
	} else {
		m.storedAir.Inc()
	}
	m.readingAge.Observe(now.Sub(a.Time).Seconds())
	if a.Unregistered {
		m.unregistered.Inc()
		return
	}
	set := m.seriesOf(a)
	set.lastSeen.Set(float64(now.Unix()))
	for _, v := range a.Values {
		if v.NoValue || !v.Flag.Valid() {
			continue
		}
		name := v.Name
		set.field(name, func() prometheus.Gauge {
			if a.Kind == reading.Source {
				return m.sourceLatest.WithLabelValues(a.Source, a.Outlet, a.County, name)
			}
			return m.latest.WithLabelValues(a.Station, a.County, name)
		}).Set(v.Value)
	}
}

func (m *Metrics) seriesOf(a *reading.Accepted) *seriesSet {
	key := seriesKey{kind: a.Kind, station: a.Station, source: a.Source, outlet: a.Outlet}
	m.seriesMu.RLock()
	s, ok := m.series[key]
	m.seriesMu.RUnlock()
	if ok {
		return s
	}
	m.seriesMu.Lock()
	defer m.seriesMu.Unlock()
	if s, ok := m.series[key]; ok {
		return s
	}
	s = &seriesSet{fields: map[string]prometheus.Gauge{}}
	if a.Kind == reading.Source {
		s.lastSeen = m.sourceLastSeen.WithLabelValues(a.Source, a.Outlet, a.County)
	} else {
		s.lastSeen = m.lastSeen.WithLabelValues(a.Station, a.County)
	}
	m.series[key] = s
	return s
}
