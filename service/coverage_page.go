package service

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"lantian/alert/source"
)

// coveragePage is the console's coverage view (/sources/coverage): every registered outlet,
// whether the plan requires it to be monitored, whether its data is fresh, and its boiler rule.
var coveragePage = template.Must(template.New("coverage").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="60">
<title>排口联网覆盖 Outlet coverage · 蓝天</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
tr.gap td.status{background:#e02f44;color:#fff}tr.ok td.status{background:#56a64b;color:#fff}
</style></head><body>
<h1>排口联网覆盖 Outlet coverage</h1>
<p>按《昌吉州大气污染防治行动计划》第25项，排气筒高度超过 {{.StackM}} 米的高架源和VOCs排放重点源须安装自动监控并联网。
Outlets the plan (item 25) requires to be monitored: stacks above {{.StackM}} m and key VOCs sources.
{{.Gaps}} 个应联网排口在 {{.Window}} 内无数据 mandated outlet(s) without data within {{.Window}}. 更新 updated {{.Now}}.</p>
<table id="coverage"><tr><th>企业 source</th><th>排口 outlet</th><th>区县 county</th><th>烟囱高度 stack (m)</th><th>应联网 mandated</th><th>数采仪 logger</th><th>最近数据 last data</th><th>状态 status</th><th>锅炉规定 boiler rule</th></tr>
{{range .Rows}}<tr data-outlet="{{.Source}}/{{.Outlet}}" class="{{if .Gap}}gap{{else if eq .Status "ok"}}ok{{end}}">
<td>{{.SourceName}} {{.Source}}</td><td>{{.Outlet}}</td><td>{{.County}}</td><td>{{if .StackM}}{{.StackM}}{{end}}</td>
<td>{{if .Mandated}}是 yes ({{join .Reasons ", "}}){{else}}否 no{{end}}</td><td>{{if .Logger}}是 yes{{else}}否 no{{end}}</td>
<td>{{.LastText}}</td><td class="status">{{.StatusText}}</td><td>{{.BoilerText}}</td></tr>
{{end}}</table></body></html>
`))

type coverageRowView struct {
	source.CoverageRow
	Gap                  bool
	LastText, StatusText string
}

var coverageStatusText = map[string]string{
	source.CoverageOK: "正常 ok", source.CoverageStale: "数据中断 stale", source.CoverageNoData: "无数据 no data",
	source.CoverageNotReq: "不要求 not required", source.CoverageUnknown: "未知 unknown",
}

func (s *Service) handleCoveragePage(w http.ResponseWriter, _ *http.Request) {
	loc := s.cfg.Location()
	cov := s.cfg.SourceMonitoring.Coverage
	rows := s.sources.Coverage()
	view := struct {
		StackM      float64
		Window, Now string
		Gaps        int
		Rows        []coverageRowView
	}{StackM: cov.StackHeightM, Window: cov.Window.String(), Now: time.Now().In(loc).Format(time.RFC3339)}
	for _, r := range rows {
		v := coverageRowView{CoverageRow: r, Gap: r.Gap(), LastText: "-", StatusText: coverageStatusText[r.Status]}
		if !r.LastData.IsZero() {
			v.LastText = r.LastData.In(loc).Format(time.RFC3339)
		}
		if v.Gap {
			view.Gaps++
		}
		view.Rows = append(view.Rows, v)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := coveragePage.Execute(w, view); err != nil {
		s.log.Warn("coverage page", "err", err)
	}
}
