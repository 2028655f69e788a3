package dashboards

// scaleOutRow adds the scaled-out deployment's panels to the pipeline board (docs/scaling.md):
// how many processes run in each role and each process's share of the stored readings. A
// one-process deployment (no role label) shows one line without a role. Which derive instance
// is active is watched by the rules LantianDeriveNoneActive and LantianDeriveSeveralActive.
func scaleOutRow(g *grid) {
	g.row("扩展部署 Scale-out")
	g.add(timeseries("进程数 (按角色)", "Lantian processes with a live MQTT session, by role (ingest, derive; no role for the one-process service). A derive instance standing by has no session and is not counted.", "none",
		promTarget("A", `count by (role) (lantian_mqtt_connected{`+job+`} == 1)`, "{{role}}")), 12, 8)
	g.add(timeseries("各实例入库读数/秒", "Readings made durable per second by each process: the ingest instances' shares of the stream. Their sum is the pipeline's total (the derive instance stores no raw readings).", "reqps",
		promTarget("A", `sum by (instance) (rate(lantian_readings_stored_total{`+job+`}[$__rate_interval]))`, "{{instance}}")), 12, 8)
}
