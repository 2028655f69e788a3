package stream

import (
	"github.com/prometheus/client_golang/prometheus"

	"lantian/alert/aqi"
	"lantian/alert/assess"
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
	incompleteDays, trajectory, budget                             *prometheus.GaugeVec
	// goal and goalRef are the plan's other goals by figure: so2 (mean, ref the Grade II
	// annual limit), co_p95 (ref the 24-h limit), no2 (mean) and o3_p90 (ref the base year).
	goal, goalRef *prometheus.GaugeVec
	// seasonPM25 and seasonGood are the heating season to date (absent outside the season).
	seasonPM25, seasonGood *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	station := []string{"station", "county"}
	county := []string{"county"}
	// Progress gauges: county is a county id or "prefecture" (the mean of the target counties);
	// deducted "true" leaves out the particulate data of sand-dust periods.
	prog := []string{"county", "deducted"}
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
			Help: "Year-to-date mean of the county's daily PM2.5 (µg/m³, one decimal); county=\"prefecture\" is the mean of the target counties'."}, prog),
		pm25Target: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_pm25_target",
			Help: "The plan's 2020 PM2.5 target of the county (µg/m³)."}, prog),
		goodYTD: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_good_ratio_ytd",
			Help: "Year-to-date good-day ratio of the county (% of valid days with AQI ≤ 100)."}, prog),
		goodTarget: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_good_ratio_target",
			Help: "The plan's 2020 good-day ratio target of the county (%; the 2017 ratio where the plan says keep)."}, prog),
		validDays: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_valid_days_ytd",
			Help: "Year-to-date valid days of the county: daily AQI published from valid daily values of every indicator."}, prog),
		heavyDays: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_heavy_days_ytd",
			Help: "Year-to-date heavy-pollution days (valid days with daily AQI > 200) of the county."}, prog),
		incompleteDays: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_incomplete_days_ytd",
			Help: "Year-to-date days with a record that are not valid days (counted apart from every ratio)."}, prog),
		trajectory: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_pm25_trajectory",
			Help: "On-track year-to-date PM2.5 (µg/m³): the base year's same-period mean scaled to the 2020 target; absent without a base profile."}, prog),
		goal: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_goal_ytd",
			Help: "Year-to-date figure of the plan's other goals: figure so2 (mean µg/m³), co_p95 (95th percentile of daily means, mg/m³), no2 (mean µg/m³), o3_p90 (90th percentile of daily max 8 h, µg/m³)."}, append(prog, "figure")),
		goalRef: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_goal_reference",
			Help: "What lantian_county_goal_ytd is held against: so2 60 and co_p95 4 (Grade II), no2 and o3_p90 the base year's value (configured)."}, append(prog, "figure")),
		seasonPM25: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_heating_pm25",
			Help: "Mean PM2.5 of the county from the start of the current heating season (µg/m³); absent outside the season."}, prog),
		seasonGood: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_heating_good_ratio",
			Help: "Good-day ratio of the county in the current heating season to date (%); absent outside the season."}, prog),
		budget: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lantian_county_good_day_budget",
			Help: "Non-good days the rest of the year can afford with the good-day target still met; negative: out of reach."}, prog),
	}
	for _, c := range []prometheus.Collector{m.readings, m.points, m.writeErrors, m.watermark,
		m.stationAQI, m.stationLevel, m.stationHour, m.countyAQI, m.countyLevel, m.countyHour,
		m.pm25YTD, m.pm25Target, m.goodYTD, m.goodTarget, m.validDays, m.heavyDays,
		m.incompleteDays, m.trajectory, m.budget, m.goal, m.goalRef, m.seasonPM25, m.seasonGood} {
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
	labels := []string{p.County, "false"}
	if p.Deducted {
		labels[1] = "true"
	}
	set := func(g *prometheus.GaugeVec, v *float64) {
		if v == nil {
			g.DeleteLabelValues(labels...)
			return
		}
		g.WithLabelValues(labels...).Set(*v)
	}
	set(m.pm25YTD, p.PM25)
	set(m.goodYTD, p.GoodRatio)
	set(m.pm25Target, p.PM25Target)
	set(m.goodTarget, p.GoodTarget)
	set(m.trajectory, p.Trajectory)
	if p.GoodBudget != nil {
		m.budget.WithLabelValues(labels...).Set(float64(*p.GoodBudget))
	} else {
		m.budget.DeleteLabelValues(labels...)
	}
	if p.County == PrefectureID {
		return
	}
	so2, co := assess.SO2AnnualLimit, assess.CODailyLimit
	for _, g := range []struct {
		figure   string
		val, ref *float64
	}{{"so2", p.SO2, &so2}, {"co_p95", p.COP95, &co}, {"no2", p.NO2, p.NO2Base}, {"o3_p90", p.O3P90, p.O3Base}} {
		l := append(labels[:2:2], g.figure)
		if g.val != nil {
			m.goal.WithLabelValues(l...).Set(*g.val)
		} else {
			m.goal.DeleteLabelValues(l...)
		}
		if g.ref != nil {
			m.goalRef.WithLabelValues(l...).Set(*g.ref)
		} else {
			m.goalRef.DeleteLabelValues(l...)
		}
	}
	m.validDays.WithLabelValues(labels...).Set(float64(p.Stats.ValidDays))
	m.heavyDays.WithLabelValues(labels...).Set(float64(p.Stats.HeavyDays))
	m.incompleteDays.WithLabelValues(labels...).Set(float64(p.Stats.IncompleteDays))
}

func (m *metrics) setSeason(p Progress) {
	labels := []string{p.County, "false"}
	if p.Deducted {
		labels[1] = "true"
	}
	for _, g := range []struct {
		g *prometheus.GaugeVec
		v *float64
	}{{m.seasonPM25, p.PM25}, {m.seasonGood, p.GoodRatio}} {
		if g.v == nil {
			g.g.DeleteLabelValues(labels...)
		} else {
			g.g.WithLabelValues(labels...).Set(*g.v)
		}
	}
}

func (m *metrics) clearSeason(county string, deducted bool) {
	labels := []string{county, "false"}
	if deducted {
		labels[1] = "true"
	}
	m.seasonPM25.DeleteLabelValues(labels...)
	m.seasonGood.DeleteLabelValues(labels...)
}
