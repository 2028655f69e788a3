package dashboards

import sdk "github.com/grafana-tools/sdk"

// coverageTable lists every registered outlet with whether the plan requires it to be
// monitored (reason: stack_height, key_vocs; empty when not required) and whether it lacks
// data now (1, red: no reading within source_monitoring.coverage.window; the
// MandatedOutletWithoutData alert fires after 15 minutes of it).
func coverageTable() *sdk.Panel {
	props := colouredCells([]step{base(colorOK), at(1, colorBad)})
	props["displayName"] = "缺数据 gap"
	return table("排口联网覆盖 Mandated outlets coverage",
		"Every registered outlet: reason = why the plan (昌州环发〔2019〕30号 item 25) requires automatic monitoring (stack_height: stack above 45 m; key_vocs: key VOCs source; empty: not required). gap 1 (red): a required outlet sent nothing within source_monitoring.coverage.window. `lantian sources coverage` prints the same list with the boiler rules.",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{override("Value", props), override("Time", map[string]any{"custom.hidden": true})},
		promInstant("A", `sort_desc(max by (source, outlet, county, reason) (lantian_source_coverage_gap{county=~"${county:regex}"}))`, ""))
}
