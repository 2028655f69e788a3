package mqtt

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	connected      prometheus.Gauge
	connectionLost prometheus.Counter
	reconnects     prometheus.Counter
	received       prometheus.Counter
	duplicates     prometheus.Counter
	pauses         prometheus.Counter
	pausedSeconds  prometheus.Counter
}

// newMetrics registers the collector's metrics; the held-message gauges read b when scraped.
func newMetrics(reg prometheus.Registerer, cfg Config, b *budget) *metrics {
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
		pauses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_mqtt_backpressure_pauses_total",
			Help: "Times reading from the broker paused because the held-message budget (mqtt.max_held_messages, mqtt.max_held_bytes) was spent.",
		}),
		pausedSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_mqtt_backpressure_seconds_total", Help: "Time reading from the broker was paused for the held-message budget.",
		}),
	}
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, v)
	}
	read := func(pick func(budgetState) int64) func() float64 {
		return func() float64 { return float64(pick(b.state())) }
	}
	reg.MustRegister(m.connected, m.connectionLost, m.reconnects, m.received, m.duplicates, m.pauses, m.pausedSeconds,
		gauge("lantian_mqtt_inflight_messages", "Messages received and not yet acknowledged or given up (bounded by mqtt.max_held_messages).", read(func(s budgetState) int64 { return s.msgs })),
		gauge("lantian_mqtt_held_bytes", "Payload bytes of the messages received and not yet acknowledged or given up (bounded by mqtt.max_held_bytes).", read(func(s budgetState) int64 { return s.bytes })),
		gauge("lantian_mqtt_held_messages_peak", "Most messages held at once since start.", read(func(s budgetState) int64 { return s.peakMsgs })),
		gauge("lantian_mqtt_held_bytes_peak", "Most payload bytes held at once since start.", read(func(s budgetState) int64 { return s.peakBytes })),
		gauge("lantian_mqtt_held_messages_limit", "mqtt.max_held_messages.", func() float64 { return float64(cfg.MaxHeldMessages) }),
		gauge("lantian_mqtt_held_bytes_limit", "mqtt.max_held_bytes.", func() float64 { return float64(cfg.MaxHeldBytes) }),
	)
	return m
}
