package service

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"lantian/alert/aqi"
	"lantian/alert/assess"
	"lantian/ingest/reading"
	"lantian/ingest/schema"
	"lantian/ingest/status"
)

// stationRow is one line of the operators' live table.
type stationRow struct {
	status.Latest
	AQI      string
	Colour   string
	Text     string
	Category string
	Primary  string
	Age      string
}

// The columns of the live tables: the pollutants, and for outlets the flue gas's O2 and flow.
var (
	airColumns    = schema.AirPollutants[:]
	sourceColumns = slices.Concat(schema.SourcePollutants[:], []string{schema.FieldO2, schema.FieldFlow})
)

// consolePage is plain server-rendered HTML, usable without JavaScript; it refreshes itself.
var consolePage = template.Must(template.New("console").Funcs(template.FuncMap{
	"value": func(m map[string]float64, k string) string {
		v, ok := m[k]
		if !ok {
			return "–"
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	},
	"flag": func(m map[string]string, k string) string { return m[k] },
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<title>蓝天 Lantian · 实时监测</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:2em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td.l{text-align:left}.silent{color:#b00;font-weight:bold}.flag{color:#a60}
.aqi{font-weight:bold;text-align:center}small{color:#666}
</style></head><body>
<h1>蓝天 Lantian <small>实时监测 live monitoring</small></h1>
<p><a id="to-warnings" href="/warnings">重污染天气预警台 →</a></p>
<p><small>更新 updated {{.Now}} · 本页每 30 秒刷新 · AQI 为按小时规则计算的实时指数 (HJ 633, indicative for real-time values) ·
<a href="/api/v1/stations">JSON</a> · <a href="/metrics">metrics</a> · <a href="/readyz">readyz</a></small></p>
<h2>空气质量监测站 Ambient stations ({{len .Stations}}, 离线 silent {{.SilentStations}})</h2>
<table id="stations"><tr><th>站点 station</th><th>名称 name</th><th>区县 county</th><th>时间 time</th><th>AQI</th><th>首要污染物 primary</th>
{{range .AirColumns}}<th>{{.}}</th>{{end}}<th>状态 status</th></tr>
{{range .Stations}}<tr data-station="{{.ID}}"><td class="l">{{.ID}}</td><td class="l">{{.Name}}</td><td class="l">{{.County}}</td>
<td>{{if .Time.IsZero}}–{{else}}{{.Time.Format "01-02 15:04"}} <small>{{.Period}}</small>{{end}}</td>
<td class="aqi" style="background:{{.Colour}};color:{{.Text}}" title="{{.Category}}">{{.AQI}}</td><td class="l">{{.Primary}}</td>
{{$r := .}}{{range $.AirColumns}}<td>{{value $r.Values .}}{{with flag $r.Flags .}} <span class="flag">{{.}}</span>{{end}}</td>{{end}}
<td class="l">{{if .Silent}}<span class="silent">离线 silent</span>{{else}}正常 ok{{end}} <small>{{.Age}}</small></td></tr>
{{end}}</table>
<h2>污染源排口 Source outlets ({{len .Outlets}}, 离线 silent {{.SilentOutlets}})</h2>
<table id="outlets"><tr><th>排口 outlet</th><th>企业 source</th><th>区县 county</th><th>行业 industry</th><th>时间 time</th>
{{range .SourceColumns}}<th>{{.}}</th>{{end}}<th>状态 status</th></tr>
{{range .Outlets}}<tr data-outlet="{{.ID}}"><td class="l">{{.ID}}</td><td class="l">{{.Name}}</td><td class="l">{{.County}}</td><td class="l">{{.Industry}}</td>
<td>{{if .Time.IsZero}}–{{else}}{{.Time.Format "01-02 15:04"}} <small>{{.Period}}</small>{{end}}</td>
{{$r := .}}{{range $.SourceColumns}}<td>{{value $r.Values .}}{{with flag $r.Flags .}} <span class="flag">{{.}}</span>{{end}}</td>{{end}}
<td class="l">{{if .Silent}}<span class="silent">离线 silent</span>{{else}}正常 ok{{end}} <small>{{.Age}}</small></td></tr>
{{end}}</table>
<p><small>浓度单位 µg/m³ (CO mg/m³)；排口 mg/m³，o2 %，flow m³/h。标记 flags: N 正常, C 校准, M 维护, D 故障, F 停运, T 超量程, B 通讯异常, S 人工。</small></p>
</body></html>`))

func (s *Service) stationRows(now time.Time) []stationRow {
	snap := s.board.Snapshot("air")
	rows := make([]stationRow, len(snap))
	for i, l := range snap {
		row := stationRow{Latest: l, AQI: "–", Colour: "transparent", Text: "inherit"}
		if !l.StoredAt.IsZero() {
			row.Age = now.Sub(l.StoredAt).Round(time.Second).String() + " ago"
			r := reading.Reading{Kind: reading.Air, Station: l.ID, Time: l.Time}
			for name, v := range l.Values {
				f, _ := reading.ParseFlag(l.Flags[name])
				r.Values = append(r.Values, reading.Value{Name: name, Value: v, Flag: f})
			}
			if hv, err := assess.HourFromReading(&r); err == nil {
				res := aqi.Hourly(aqi.RulesForTime(l.Time), aqi.Hour{Values: hv})
				if res.Published {
					row.AQI = strconv.Itoa(res.AQI)
					row.Colour = res.Level.Hex()
					if res.Level >= 5 {
						row.Text = "#fff"
					}
					row.Category = res.Level.Category()
					row.Primary = res.PrimaryString()
				}
			}
		}
		rows[i] = row
	}
	return rows
}

func (s *Service) handleConsole(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	now := time.Now()
	stations := s.stationRows(now)
	outlets := s.board.Snapshot("source")
	outletRows := make([]stationRow, len(outlets))
	silentStations, silentOutlets := 0, 0
	for _, st := range stations {
		if st.Silent {
			silentStations++
		}
	}
	for i, o := range outlets {
		outletRows[i] = stationRow{Latest: o}
		if !o.StoredAt.IsZero() {
			outletRows[i].Age = now.Sub(o.StoredAt).Round(time.Second).String() + " ago"
		}
		if o.Silent {
			silentOutlets++
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := consolePage.Execute(w, map[string]any{
		"Now": now.In(s.cfg.Location()).Format("2006-01-02 15:04:05"), "Stations": stations, "Outlets": outletRows,
		"AirColumns": airColumns, "SourceColumns": sourceColumns,
		"SilentStations": silentStations, "SilentOutlets": silentOutlets,
	})
	if err != nil {
		s.log.Error("render console", "err", err)
	}
}
