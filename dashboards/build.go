// Package dashboards builds Lantian's Grafana boards as code with grafana-tools/sdk, exports
// them as JSON for Grafana's file provisioning, and pushes them with the SDK's REST client.
//
// The boards are generated, never read back and edited: the SDK predates Grafana 8's field
// config and loses it on a round trip (a Grafana 8+ stat panel comes back without its unit,
// mappings and overrides). Panels the SDK does not model (stat, bar gauge, the React table) are
// CustomPanel maps with a full field config.
package dashboards

import (
	"sort"

	"github.com/grafana-tools/sdk"
)

// Datasource UIDs. They must equal deploy/grafana/provisioning/datasources/lantian.yml and the
// datasources Push creates, or every panel shows "datasource not found".
const (
	InfluxUID = "lantian-influx"
	PromUID   = "lantian-prom"
)

// Folder is the Grafana folder the boards live in.
const (
	FolderUID   = "lantian"
	FolderTitle = "蓝天 Lantian"
)

// AQI level colours of HJ 633 (优 良 轻度 中度 重度 严重污染).
const (
	colorGood      = "#00E400"
	colorModerate  = "#FFFF00"
	colorLight     = "#FF7E00"
	colorMedium    = "#FF0000"
	colorHeavy     = "#99004C"
	colorSevere    = "#7E0023"
	colorOK        = "green"
	colorWarn      = "orange"
	colorBad       = "red"
	schemaVersion  = 36
	gridWidth      = 24
	defaultRefresh = "1m"
)

func influxRef() map[string]string { return map[string]string{"type": "influxdb", "uid": InfluxUID} }
func promRef() map[string]string   { return map[string]string{"type": "prometheus", "uid": PromUID} }

// fluxTarget is a Flux query; Grafana's InfluxDB datasource in Flux mode keeps it in "query".
func fluxTarget(ref, query string) sdk.Target {
	return sdk.Target{RefID: ref, Datasource: influxRef(), Query: query}
}

// promTarget is a range query drawn over time.
func promTarget(ref, expr, legend string) sdk.Target {
	return sdk.Target{RefID: ref, Datasource: promRef(), Expr: expr, LegendFormat: legend}
}

// promInstant is an instant query, for tables and stats that show only "now".
func promInstant(ref, expr, legend string) sdk.Target {
	t := promTarget(ref, expr, legend)
	t.Instant = true
	t.Format = "table"
	return t
}

func ptr[T any](v T) *T { return &v }

// step is one threshold step; the first step of a list has no value (it starts at -∞).
type step struct {
	value *float64
	color string
}

func base(color string) step          { return step{color: color} }
func at(v float64, color string) step { return step{value: ptr(v), color: color} }

func sdkSteps(steps []step) []sdk.ThresholdStep {
	out := make([]sdk.ThresholdStep, len(steps))
	for i, s := range steps {
		out[i] = sdk.ThresholdStep{Color: s.color, Value: s.value}
	}
	return out
}

func mapSteps(steps []step) map[string]any {
	list := make([]map[string]any, len(steps))
	for i, s := range steps {
		list[i] = map[string]any{"color": s.color, "value": s.value}
	}
	return map[string]any{"mode": "absolute", "steps": list}
}

// timeseries is a line chart. Every custom field is set: the SDK emits zero values for the
// ones left out, and Grafana takes an explicit lineWidth 0 literally.
func timeseries(title, description, unit string, targets ...sdk.Target) *sdk.Panel {
	p := sdk.NewTimeseries(title)
	p.Description = ptr(description)
	p.Span = 0
	p.IsNew = false
	p.Datasource = targets[0].Datasource
	p.TimeseriesPanel.Targets = targets
	p.TimeseriesPanel.Options = sdk.TimeseriesOptions{
		Legend:  sdk.TimeseriesLegendOptions{Calcs: []string{"lastNotNull", "max"}, DisplayMode: "table", Placement: "right"},
		Tooltip: sdk.TimeseriesTooltipOptions{Mode: "multi"},
	}
	d := &p.TimeseriesPanel.FieldConfig.Defaults
	d.Unit = unit
	d.Color = sdk.FieldConfigColor{Mode: "palette-classic"}
	d.Thresholds = sdk.Thresholds{Mode: "absolute", Steps: sdkSteps([]step{base(colorOK)})}
	c := &d.Custom
	c.AxisPlacement = "auto"
	c.DrawStyle = "line"
	c.FillOpacity = 10
	c.GradientMode = "none"
	c.LineInterpolation = "linear"
	c.LineWidth = 1
	c.PointSize = 4
	c.ShowPoints = "auto"
	c.LineStyle.Fill = "solid"
	c.ScaleDistribution.Type = "linear"
	c.Stacking.Group = "A"
	c.Stacking.Mode = "none"
	c.ThresholdsStyle.Mode = "off"
	return p
}

// withThresholdLine draws a dashed horizontal line at each threshold step.
func withThresholdLine(p *sdk.Panel, steps ...step) *sdk.Panel {
	d := &p.TimeseriesPanel.FieldConfig.Defaults
	d.Thresholds = sdk.Thresholds{Mode: "absolute", Steps: sdkSteps(steps)}
	d.Custom.ThresholdsStyle.Mode = "dashed"
	return p
}

// custom is a panel type the SDK does not model. NewCustom defaults to a legacy singlestat
// with the flot renderer; both are overwritten.
func custom(kind, title, description string, targets []sdk.Target, options, fieldConfig map[string]any) *sdk.Panel {
	p := sdk.NewCustom(title)
	p.Type = kind
	p.Renderer = nil
	p.IsNew = false
	p.Description = ptr(description)
	p.Datasource = targets[0].Datasource
	m := *p.CustomPanel
	m["targets"] = targets
	m["options"] = options
	m["fieldConfig"] = fieldConfig
	return p
}

// fieldConfig is a Grafana 8+ field config: defaults plus overrides.
func fieldConfig(defaults map[string]any, overrides ...map[string]any) map[string]any {
	if overrides == nil {
		overrides = []map[string]any{}
	}
	return map[string]any{"defaults": defaults, "overrides": overrides}
}

// override sets properties on the field called name.
func override(name string, props map[string]any) map[string]any {
	list := make([]map[string]any, 0, len(props))
	for _, k := range sortedKeys(props) {
		list = append(list, map[string]any{"id": k, "value": props[k]})
	}
	return map[string]any{"matcher": map[string]any{"id": "byName", "options": name}, "properties": list}
}

// stat shows one number per series, coloured by thresholds.
func stat(title, description, unit string, steps []step, mappings []map[string]any, targets ...sdk.Target) *sdk.Panel {
	if mappings == nil {
		mappings = []map[string]any{}
	}
	return custom("stat", title, description, targets,
		map[string]any{
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"orientation":   "auto", "textMode": "value_and_name", "colorMode": "background",
			"graphMode": "area", "justifyMode": "auto",
		},
		fieldConfig(map[string]any{"unit": unit, "thresholds": mapSteps(steps), "mappings": mappings,
			"color": map[string]any{"mode": "thresholds"}}))
}

// table is the React table (Grafana 8+). cellColour colours whole cells by thresholds.
func table(title, description string, defaults map[string]any, overrides []map[string]any, targets ...sdk.Target) *sdk.Panel {
	return custom("table", title, description, targets,
		map[string]any{"showHeader": true, "cellHeight": "sm", "footer": map[string]any{"show": false, "reducer": []string{"sum"}, "fields": ""}},
		fieldConfig(defaults, overrides...))
}

func colouredCells(steps []step) map[string]any {
	return map[string]any{
		"thresholds": mapSteps(steps),
		"color":      map[string]any{"mode": "thresholds"},
		// Grafana 10+ reads cellOptions, 8 and 9 read displayMode; each ignores the other.
		"custom.cellOptions": map[string]any{"type": "color-background"},
		"custom.displayMode": "color-background",
	}
}

// valueMapping maps exact values to text and colour (e.g. 0 → 断开, red).
func valueMapping(entries map[string][2]string) map[string]any {
	opts := map[string]any{}
	i := 0
	for _, k := range sortedKeys(entries) {
		opts[k] = map[string]any{"text": entries[k][0], "color": entries[k][1], "index": i}
		i++
	}
	return map[string]any{"type": "value", "options": opts}
}

// grid places panels left to right in rows of 24 columns and numbers them; a board's ids and
// positions come from one grid so they cannot collide.
type grid struct {
	x, y, rowH int
	nextID     uint
	panels     []*sdk.Panel
}

func (g *grid) add(p *sdk.Panel, w, h int) {
	if g.x+w > gridWidth {
		g.newline()
	}
	g.nextID++
	p.ID = g.nextID
	p.GridPos.X, p.GridPos.Y, p.GridPos.W, p.GridPos.H = ptr(g.x), ptr(g.y), ptr(w), ptr(h)
	g.x += w
	if h > g.rowH {
		g.rowH = h
	}
	g.panels = append(g.panels, p)
}

func (g *grid) newline() {
	g.y += g.rowH
	g.x, g.rowH = 0, 0
}

// row adds a collapsible-style heading across the board.
func (g *grid) row(title string) {
	if g.x > 0 {
		g.newline()
	}
	p := &sdk.Panel{CommonPanel: sdk.CommonPanel{OfType: sdk.RowType, Type: "row", Title: title},
		RowPanel: &sdk.RowPanel{Panels: []sdk.Panel{}}}
	g.add(p, gridWidth, 1)
	g.newline()
}

func newBoard(uid, title string, tags []string, from string, vars []sdk.TemplateVar, g *grid) *sdk.Board {
	b := &sdk.Board{
		UID:           uid,
		Title:         title,
		Tags:          tags,
		Timezone:      "browser",
		Editable:      true,
		Panels:        g.panels,
		SchemaVersion: schemaVersion,
		Time:          sdk.Time{From: from, To: "now"},
		Refresh:       &sdk.BoolString{Flag: true, Value: defaultRefresh},
		GraphTooltip:  1,
		Templating:    sdk.Templating{List: vars},
		Links:         []sdk.Link{{Title: "蓝天 Lantian", Type: "dashboards", Tags: []string{"lantian"}, AsDropdown: ptr(true), IncludeVars: true, KeepTime: ptr(true)}},
	}
	b.Annotations.List = []sdk.Annotation{}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
