package dashboards

import (
	"fmt"

	"github.com/grafana-tools/sdk"
)

// PipelineUID is the uid of the pipeline-health board.
const PipelineUID = "lantian-pipeline"

// job is the Prometheus job that scrapes lantian (deploy/prometheus.yml).
const job = `job="lantian"`

// Pipeline is the pipeline-health board (Prometheus only): intake, rejections, latency, the
// spool, the MQTT session and InfluxDB. Metric names are docs/operations.md's.
func Pipeline() *sdk.Board {
	g := &grid{}
	g.row("状态 Status")
	upDown := func(down, up string) []map[string]any {
		return []map[string]any{valueMapping(map[string][2]string{"0": {down, colorBad}, "1": {up, colorOK}})}
	}
	g.add(stat("Lantian 进程", "Is Prometheus able to scrape lantian (up)? 0 means the process is down or unreachable.", "none",
		[]step{base(colorBad), at(1, colorOK)}, upDown("宕机 down", "运行 up"), promInstant("A", `up{`+job+`}`, "{{instance}}")), 4, 4)
	g.add(stat("MQTT 连接", "lantian_mqtt_connected: 1 while the persistent MQTT session to the broker is up.", "none",
		[]step{base(colorBad), at(1, colorOK)}, upDown("断开 disconnected", "已连接 connected"), promInstant("A", `lantian_mqtt_connected{`+job+`}`, "{{instance}}")), 4, 4)
	g.add(stat("InfluxDB 写入", "lantian_influx_up: 1 when the last write to InfluxDB succeeded; while 0, batches go to the local spool.", "none",
		[]step{base(colorBad), at(1, colorOK)}, upDown("不可用 down", "正常 up"), promInstant("A", `lantian_influx_up{`+job+`}`, "{{instance}}")), 4, 4)
	g.add(stat("缓存占用", "Spool bytes as a share of spool.max_bytes. lantian_spool_filling turns 1 past spool.alarm_ratio; at 100 % intake stops being acknowledged.", "percentunit",
		[]step{base(colorOK), at(0.25, colorWarn), at(0.5, colorBad)}, nil,
		promInstant("A", `max(lantian_spool_bytes{`+job+`} / lantian_spool_max_bytes{`+job+`})`, "spool")), 4, 4)
	g.add(stat("缓存批次", "lantian_spool_batches: batches waiting in the spool for InfluxDB.", "none",
		[]step{base(colorOK), at(1, colorWarn)}, nil, promInstant("A", `sum(lantian_spool_batches{`+job+`})`, "batches")), 4, 4)
	g.add(stat("每秒入库读数", "Readings made durable per second over the last 5 minutes, all kinds.", "reqps",
		[]step{base(colorWarn), at(0.001, colorOK)}, nil, promInstant("A", `sum(rate(lantian_readings_stored_total{`+job+`}[5m]))`, "readings/s")), 4, 4)

	g.row("吞吐 Throughput")
	g.add(timeseries("入库读数/秒", "Readings made durable (InfluxDB or spool) per second, by kind (air, source).", "reqps",
		promTarget("A", `sum by (kind) (rate(lantian_readings_stored_total{`+job+`}[$__rate_interval]))`, "{{kind}}")), 12, 8)
	g.add(timeseries("消息/秒 (按路由)", "MQTT and HJ 212 messages received per second, by route.", "reqps",
		promTarget("A", `sum by (route) (rate(lantian_messages_total{`+job+`}[$__rate_interval]))`, "{{route}}")), 12, 8)
	g.add(timeseries("拒收/秒 (按原因)", "Refused messages and points per second by reason (data contract codes); each is kept as a dead letter under data_dir/deadletters.", "reqps",
		promTarget("A", `sum by (reason) (rate(lantian_rejected_total{`+job+`}[$__rate_interval]))`, "{{reason}}")), 12, 8)
	g.add(timeseries("重复投递/秒", "Messages the broker redelivered (DUP flag), e.g. after a restart; harmless, they overwrite their own points.", "reqps",
		promTarget("A", `sum(rate(lantian_mqtt_duplicates_received_total{`+job+`}[$__rate_interval]))`, "duplicates"),
		promTarget("B", `sum(increase(lantian_mqtt_connection_lost_total{`+job+`}[$__rate_interval]))`, "connection lost")), 12, 8)

	g.row("延迟 Latency")
	latency := func(metric, title, description string) *sdk.Panel {
		targets := make([]sdk.Target, 0, 3)
		for i, q := range []float64{0.5, 0.9, 0.99} {
			targets = append(targets, promTarget(string(rune('A'+i)),
				fmt.Sprintf(`histogram_quantile(%g, sum by (le) (rate(%s_bucket{%s}[$__rate_interval])))`, q, metric, job),
				fmt.Sprintf("p%g", q*100)))
		}
		return timeseries(title, description, "s", targets...)
	}
	g.add(latency("lantian_arrival_to_durable_seconds", "到达至落盘延迟",
		"Quantiles of the time from a message's arrival to its readings being durable (InfluxDB or spool); the broker's ack follows."), 12, 8)
	g.add(latency("lantian_reading_age_at_durable_seconds", "读数时间至落盘延迟",
		"Quantiles of the time from a reading's own timestamp to it being durable: end-to-end delay of real-time data, hours for backfilled data."), 12, 8)

	g.row("InfluxDB 与缓存 InfluxDB and spool")
	g.add(timeseries("InfluxDB 写请求/秒 (按结果)", "Write requests to InfluxDB per second by outcome: ok, retryable_error (batch spooled), rejected (bad points, dead-lettered).", "reqps",
		promTarget("A", `sum by (outcome) (rate(lantian_influx_writes_total{`+job+`}[$__rate_interval]))`, "{{outcome}}")), 12, 8)
	g.add(timeseries("InfluxDB 写入错误/秒", "Failed write requests per second (outcome not ok) and points InfluxDB refused.", "reqps",
		promTarget("A", `sum(rate(lantian_influx_writes_total{`+job+`,outcome!="ok"}[$__rate_interval]))`, "failed writes"),
		promTarget("B", `sum(rate(lantian_influx_points_rejected_total{`+job+`}[$__rate_interval]))`, "rejected points")), 12, 8)
	g.add(timeseries("缓存字节", "Spool bytes on disk against the size bound spool.max_bytes.", "bytes",
		promTarget("A", `sum(lantian_spool_bytes{`+job+`})`, "bytes"),
		promTarget("B", `sum(lantian_spool_max_bytes{`+job+`})`, "max bytes")), 8, 8)
	g.add(timeseries("缓存批次与告警", "Batches waiting in the spool, and lantian_spool_filling (1 past spool.alarm_ratio).", "none",
		promTarget("A", `sum(lantian_spool_batches{`+job+`})`, "batches"),
		promTarget("B", `max(lantian_spool_filling{`+job+`})`, "filling")), 8, 8)
	g.add(timeseries("缓存写入/排空 批次/秒", "Batches appended to the spool (InfluxDB away) and drained back to InfluxDB per second; append errors mean a full spool or a disk fault.", "reqps",
		promTarget("A", `sum(rate(lantian_spool_appended_batches_total{`+job+`}[$__rate_interval]))`, "appended"),
		promTarget("B", `sum(rate(lantian_spool_drained_batches_total{`+job+`}[$__rate_interval]))`, "drained"),
		promTarget("C", `sum(rate(lantian_spool_append_errors_total{`+job+`}[$__rate_interval]))`, "append errors")), 8, 8)
	scaleOutRow(g)
	return newBoard(PipelineUID, "蓝天 · 数据管道健康", []string{"lantian", "pipeline"}, "now-6h", []sdk.TemplateVar{}, g)
}
