package mqtt

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	connected      prometheus.Gauge
	connectionLost prometheus.Counter
	reconnects     prometheus.Counter
	received       prometheus.Counter
	duplicates     prometheus.Counter
	inflight       atomic.Int64
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lantian_mqtt_connected", Help: "1 while the MQTT session is connected.",
		}),
		connectionLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_mqtt_connection_lost_total", Help: "Times the MQTT connection was lost.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_mqtt_reconnect_attempts_total", Help: "Reconnect attempts to the MQTT broker.",
		}),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_mqtt_messages_received_total", Help: "MQTT messages received on the reading topics.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_mqtt_duplicates_received_total", Help: "Messages the broker redelivered (DUP flag), e.g. after a restart.",
		}),
	}
	reg.MustRegister(m.connected, m.connectionLost, m.reconnects, m.received, m.duplicates,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lantian_mqtt_inflight_messages", Help: "Messages received and not yet acknowledged (bounded by the broker's in-flight window).",
		}, func() float64 { return float64(m.inflight.Load()) }))
	return m
}
