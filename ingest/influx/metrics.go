package influx

import (
	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/spool"
)

type writerMetrics struct {
	writes         *prometheus.CounterVec
	points         prometheus.Counter
	rejectedPoints prometheus.Counter
	writeSeconds   prometheus.Histogram
	batchPoints    prometheus.Histogram
	up             prometheus.Gauge
	spooledBatches prometheus.Counter
	drainedBatches prometheus.Counter
	spoolErrors    prometheus.Counter
}

func newWriterMetrics(reg prometheus.Registerer, sp *spool.Spool, alarmRatio float64) *writerMetrics {
	m := &writerMetrics{
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_influx_writes_total", Help: "Write requests to InfluxDB by outcome (ok, retryable_error, rejected).",
		}, []string{"outcome"}),
		points: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_influx_points_written_total", Help: "Points InfluxDB accepted, spool drains included.",
		}),
		rejectedPoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_influx_points_rejected_total", Help: "Points InfluxDB refused as invalid; kept as dead letters.",
		}),
		writeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lantian_influx_write_duration_seconds", Help: "Duration of one write request to InfluxDB.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		batchPoints: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lantian_influx_batch_points", Help: "Points per batch handed to InfluxDB or the spool.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lantian_influx_up", Help: "1 when the last write to InfluxDB succeeded.",
		}),
		spooledBatches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_spool_appended_batches_total", Help: "Batches appended to the spool because InfluxDB could not take them.",
		}),
		drainedBatches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_spool_drained_batches_total", Help: "Spooled batches written to InfluxDB.",
		}),
		spoolErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lantian_spool_append_errors_total", Help: "Failed spool appends (spool full or disk error); the batch is held and retried.",
		}),
	}
	reg.MustRegister(m.writes, m.points, m.rejectedPoints, m.writeSeconds, m.batchPoints, m.up,
		m.spooledBatches, m.drainedBatches, m.spoolErrors,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lantian_spool_batches", Help: "Batches waiting in the spool.",
		}, func() float64 { return float64(sp.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lantian_spool_bytes", Help: "Disk bytes of the batches waiting in the spool.",
		}, func() float64 { return float64(sp.Bytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lantian_spool_max_bytes", Help: "Size bound of the spool.",
		}, func() float64 { return float64(sp.MaxBytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lantian_spool_filling", Help: "1 when the spool is past its alarm ratio of the size bound.",
		}, func() float64 {
			if float64(sp.Bytes()) >= alarmRatio*float64(sp.MaxBytes()) {
				return 1
			}
			return 0
		}),
	)
	return m
}
