package office

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	recommended *prometheus.GaugeVec
	issued      *prometheus.GaugeVec
	forecasts   *prometheus.CounterVec
	requests    *prometheus.CounterVec
}

// newMetrics registers the office's metrics on reg (nil: not registered).
func newMetrics(reg prometheus.Registerer, o *Office) (*metrics, error) {
	m := &metrics{
		recommended: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_warning_recommended_level",
			Help: "Recommended heavy-pollution warning level per area or region: 0 none, 1 blue, 2 yellow, 3 orange, 4 red.",
		}, []string{"area"}),
		issued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lantian_warning_issued_level",
			Help: "Level of the warning in force per area or region: 0 none, 1 blue, 2 yellow, 3 orange, 4 red.",
		}, []string{"area"}),
		forecasts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_warning_forecasts_total",
			Help: "Forecasts received, by outcome: accepted, rejected (invalid), failed (not stored).",
		}, []string{"outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_warning_api_requests_total",
			Help: "Requests to the warning API and console, by route pattern and status code.",
		}, []string{"route", "code"}),
	}
	for _, outcome := range []string{"accepted", "rejected", "failed"} {
		m.forecasts.WithLabelValues(outcome)
	}
	if reg == nil {
		return m, nil
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "lantian_warning_publish_pending",
		Help: "Areas whose retained warning message the MQTT broker has not acknowledged yet.",
	}, func() float64 { return float64(len(o.PendingAreas())) })
	for _, c := range append([]prometheus.Collector{m.recommended, m.issued, m.forecasts, m.requests, pending}, o.cm.collectors()...) {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("office: register metrics: %w", err)
		}
	}
	return m, nil
}
