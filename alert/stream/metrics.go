package stream

import (
	"github.com/prometheus/client_golang/prometheus"

	"lantian/alert/aqi"
)

type metrics struct {
	reg         prometheus.Registerer
	readings    *prometheus.CounterVec
	points      *prometheus.CounterVec
	writeErrors prometheus.Counter
	watermark   prometheus.Gauge

	stationAQI, stationLevel, stationHour *prometheus.GaugeVec
	countyAQI, countyLevel, countyHour    *prometheus.GaugeVec

	pm25YTD, pm25Target, goodYTD, goodTarget, validDays, heavyDays *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	station := []string{"station", "county"}
	county := []string{"county"}
	m := &metrics{
		reg: reg,
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantian_assess_readings_total",
			Help: "Stored ambient readings seen by the streaming assessor by outcome (assessed, not_hourly, too_late, unregistered, not_on_hour, bad_value, dropped)."}, []string{"outcome"}),
		points: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantian_assess_points_total",
			Help: "Derived points submitted to InfluxDB by measurement (rewrites of a changed hour or day included)."}, []string{"measurement"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "lantian_assess_write_errors_total",
			Help: "Derived points the writer could not make durable (rewritten at the next change or restart)."}),
		watermark: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lantian_assess_watermark_timestamp_seconds",
			Help: "End of the latest hour assessed (or the wall clock while data is live); days end this way."}),
		stationAQI: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_aqi_station",
			Help: "Hourly (real-time) AQI of the station's latest hour; absent when that hour has no AQI."}, station),
		stationLevel: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_aqi_level_station",
			Help: "AQI level 1-6 of the station's latest hour; absent when that hour has no AQI."}, station),
		stationHour: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_aqi_station_hour_timestamp_seconds",
			Help: "Start of the station's latest assessed hour (the hour the station AQI gauges describe)."}, station),
		countyAQI: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_aqi_county",
			Help: "Hourly AQI of the county's latest hour, from the mean of its stations' hourly values."}, county),
		countyLevel: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_aqi_level_county",
			Help: "AQI level 1-6 of the county's latest hour."}, county),
		countyHour: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_aqi_county_hour_timestamp_seconds",
			Help: "Start of the county's latest assessed hour."}, county),
		pm25YTD: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_pm25_ytd",
			Help: "Year-to-date mean of the county's daily PM2.5 (µg/m³, one decimal)."}, county),
		pm25Target: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_pm25_target",
			Help: "The plan's 2020 PM2.5 target of the county (µg/m³)."}, county),
		goodYTD: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_good_ratio_ytd",
			Help: "Year-to-date good-day ratio of the county (% of valid days with AQI ≤ 100)."}, county),
		goodTarget: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_good_ratio_target",
			Help: "The plan's 2020 good-day ratio target of the county (%; the 2017 ratio where the plan says keep)."}, county),
		validDays: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_valid_days_ytd",
			Help: "Year-to-date days with a published county daily AQI."}, county),
		heavyDays: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_heavy_days_ytd",
			Help: "Year-to-date heavy-pollution days (daily AQI > 200) of the county."}, county),
	}
	for _, c := range []prometheus.Collector{m.readings, m.points, m.writeErrors, m.watermark,
		m.stationAQI, m.stationLevel, m.stationHour, m.countyAQI, m.countyLevel, m.countyHour,
		m.pm25YTD, m.pm25Target, m.goodYTD, m.goodTarget, m.validDays, m.heavyDays} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// queue registers the gauge of readings waiting to be assessed.
func (m *metrics) queue(f func() float64) {
	// A duplicate registration can only come from a second assessor on one registry, which
	// New already refused through the other collectors.
	_ = m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lantian_assess_queue_length",
		Help: "Stored readings waiting to be assessed."}, f))
}

// hoursHeld registers the gauge of station-hours the assessor keeps in memory.
func (m *metrics) hoursHeld(f func() float64) {
	_ = m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lantian_assess_hours_held",
		Help: "Station-hours the streaming assessor keeps in memory (bounded by its lateness window in data time)."}, f))
}

func (m *metrics) setCurrent(county bool, countyID, station string, res aqi.Result, hourStart int64) {
	aqiG, levelG, hourG := m.stationAQI, m.stationLevel, m.stationHour
	labels := []string{station, countyID}
	if county {
		aqiG, levelG, hourG = m.countyAQI, m.countyLevel, m.countyHour
		labels = []string{countyID}
	}
	hourG.WithLabelValues(labels...).Set(float64(hourStart))
	if !res.Published {
		aqiG.DeleteLabelValues(labels...)
		levelG.DeleteLabelValues(labels...)
		return
	}
	aqiG.WithLabelValues(labels...).Set(float64(res.AQI))
	levelG.WithLabelValues(labels...).Set(float64(res.Level))
}

func (m *metrics) setProgress(p Progress) {
	set := func(g *prometheus.GaugeVec, v *float64) {
		if v == nil {
			g.DeleteLabelValues(p.County)
			return
		}
		g.WithLabelValues(p.County).Set(*v)
	}
	set(m.pm25YTD, p.PM25)
	set(m.goodYTD, p.GoodRatio)
	set(m.pm25Target, p.PM25Target)
	set(m.goodTarget, p.GoodTarget)
	m.validDays.WithLabelValues(p.County).Set(float64(p.Stats.ValidDays))
	m.heavyDays.WithLabelValues(p.County).Set(float64(p.Stats.HeavyDays))
}
