package mqtt

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connected      prometheus.Gauge
	connectionLost prometheus.Counter
	reconnects     prometheus.Counter
	received       prometheus.Counter
	duplicates     prometheus.Counter
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
	reg.MustRegister(m.connected, m.connectionLost, m.reconnects, m.received, m.duplicates)
	return m
}
