package office

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// baselinePeriod reads ?baseline_days=N (1…60); 0 means the configured period.
func baselinePeriod(r *http.Request) (time.Duration, error) {
	s := r.URL.Query().Get("baseline_days")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || time.Duration(n)*24*time.Hour > MaxBaselinePeriod {
		return 0, badRequest("baseline_days %q: want a whole number of days from 1 to %d", s, int(MaxBaselinePeriod/(24*time.Hour)))
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

// apiCompliance is GET /api/v1/warnings/{id}/compliance: the warning's compliance table.
func (o *Office) apiCompliance(w http.ResponseWriter, r *http.Request, _ Principal) {
	period, err := baselinePeriod(r)
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	t, err := o.Compliance(r.Context(), r.PathValue("id"), period)
	if errors.Is(err, ErrNoEmissionSource) {
		writeError(w, http.StatusServiceUnavailable, "unavailable", err)
		return
	}
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

var compliancePage = template.Must(template.New("compliance").Funcs(consoleFuncs).Parse(consoleHead + `
<p><a href="/warnings">← 返回预警台 back</a>{{with .T}} · <a href="/warnings/{{.WarningID}}/compliance">刷新 refresh</a>{{end}}</p>
{{with .Error}}<p class="err" id="error">{{.}}</p>{{end}}
{{with .T}}
<h2>应急减排核查 · {{.WarningID}} <small>{{.Level.Chinese}} ({{.Level}})</small></h2>
<p>区域: {{range $i, $a := .Areas}}{{if $i}}、{{end}}{{call $.Area $a}}{{end}}<br>
基准期 (CEMS): {{call $.Fmt .BaselineFrom}} 至 {{call $.Fmt .BaselineTo}}（跳过此前预警与申报停产时段）<br>
预警期: {{call $.Fmt .WarningFrom}} 至 {{call $.Fmt .WarningTo}}，已核 <b id="hours">{{.Hours}}</b> 个完整小时<br>
未达标项 not compliant: <b id="not-compliant">{{.NotCompliant}}</b></p>
<p><small>按排放量核算：停产小时 (数采仪 F 标记、烟气流量不高于停运流量、或一厂一策申报停产) 计为零排放；缺数小时按基准排放速率补足 (不视为减排)。减排比例 = (基准排放量 − 预警期排放量) / 基准排放量。</small></p>
{{if .Totals}}<h3>县市与清单合计 Totals (方案要求不低于 {{call $.Floor}})</h3>
<table id="totals"><tr><th>范围 scope</th><th>污染物</th><th>企业数</th><th>预警期排放 kg</th><th>基准排放 kg</th><th>减排</th><th>要求</th><th>结论</th></tr>
{{range .Totals}}<tr data-scope="{{.Scope}}" data-id="{{.ID}}" data-pollutant="{{.Pollutant}}" data-status="{{.Status}}"><td>{{.Name}} <small>{{.ID}}</small></td>
<td>{{call $.Pol .Pollutant}}</td><td>{{.Sources}}{{if .Excluded}} <small>(另 {{.Excluded}} 家无基准/数据未计)</small>{{end}}</td>
<td>{{printf "%.1f" .EmittedKg}}</td><td>{{printf "%.1f" .BaselineKg}}</td>
<td>{{if or (eq .Status "compliant") (eq .Status "not_compliant")}}{{printf "%.1f" .ReductionPct}} %{{with .PooledPct}}<br><small class="pooled">SO2+NOx 统筹 {{call $.Pct .}} %</small>{{end}}{{else}}–{{end}}</td>
<td>{{printf "%.0f" .RequiredPct}} %</td><td class="st-{{.Status}}">{{call $.Status .Status}}</td></tr>
{{end}}</table>{{end}}
{{if .Rows}}<h3>企业 Sources</h3>
<table id="compliance"><tr><th>企业 source</th><th>污染物</th><th>基准速率 kg/h</th><th>运行/停产/缺数 h</th><th>预警期排放 kg</th><th>基准排放 kg</th><th>减排</th><th>要求</th><th>结论</th></tr>
{{range .Rows}}<tr data-source="{{.Source}}" data-pollutant="{{.Pollutant}}" data-status="{{.Status}}"><td>{{.SourceName}} <small>{{.Source}} · {{.AreaName}}</small></td>
<td>{{if .Pollutant}}{{call $.Pol .Pollutant}}{{else}}–{{end}}</td>
<td>{{if .BaselineKind}}{{printf "%.2f" .BaselineKgH}} <small>{{if eq .BaselineKind "plan"}}一厂一策{{else}}CEMS {{.BaselineHours}} h{{end}}</small>{{else}}–{{end}}</td>
<td>{{.HoursRunning}} / {{.HoursStopped}} / {{.HoursMissing}}</td>
<td>{{printf "%.1f" .EmittedKg}}</td><td>{{printf "%.1f" .BaselineKg}}</td>
<td>{{if or (eq .Status "compliant") (eq .Status "not_compliant")}}{{printf "%.1f" .ReductionPct}} %{{with .PooledPct}}<br><small class="pooled">SO2+NOx 统筹 {{call $.Pct .}} %</small>{{end}}{{else}}–{{end}}</td>
<td>{{printf "%.0f" .RequiredPct}} %{{if .Committed}} <small>一厂一策</small>{{end}}</td><td class="st-{{.Status}}">{{call $.Status .Status}}</td></tr>
{{end}}</table>{{else}}<p id="no-sources">该预警区域内无应急减排清单企业。</p>{{end}}
{{if .Plans}}<h3>一厂一策 应急减排措施 ({{.Level.Chinese}})</h3>
<table id="plans"><tr><th>企业</th><th>方案</th><th>措施</th><th>承诺减排</th></tr>
{{range .Plans}}<tr data-source="{{.Source}}"><td>{{.SourceName}} <small>{{.Source}}</small></td><td>{{.Document}}</td>
<td>{{range .Measures}}{{.}}<br>{{else}}<span class="err">本级别无措施</span>{{end}}</td>
<td>{{range $p, $v := .Committed}}{{call $.Pol $p}} {{printf "%.0f" $v}} %<br>{{end}}</td></tr>
{{end}}</table>{{end}}
<p><small>JSON: <a href="/api/v1/warnings/{{.WarningID}}/compliance">compliance</a></small></p>
{{end}}
</body></html>`))

var complianceStatusText = map[string]string{
	ComplianceOK:            "达标",
	ComplianceNotCompliant:  "未达标",
	ComplianceNoBaseline:    "无基准",
	ComplianceNoData:        "无数据",
	ComplianceNoRequirement: "无减排要求",
}

// pageCompliance is GET /warnings/{id}/compliance: the compliance table of a warning (any
// logged-in role).
func (o *Office) pageCompliance(w http.ResponseWriter, r *http.Request) {
	p, ok := o.auth.fromRequest(r)
	if !ok || p.csrf == "" {
		o.render(w, http.StatusOK, loginPage, map[string]any{})
		return
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.who = p
	}
	data := map[string]any{"Fmt": o.fmtTime, "Status": func(s string) string { return complianceStatusText[s] },
		"Pol": func(p string) string { return pollutantZH[p] }, "Area": o.areaName, "Floor": func() string { return "" },
		"Pct": func(p *float64) string { return fmt.Sprintf("%.1f", *p) }}
	status := http.StatusOK
	period, err := baselinePeriod(r)
	if err == nil {
		var t ComplianceTable
		if t, err = o.Compliance(r.Context(), r.PathValue("id"), period); err == nil {
			data["T"] = t
			if w, gerr := o.opts.Store.Get(t.WarningID); gerr == nil {
				red := w.Reduction
				data["Floor"] = func() string {
					return fmt.Sprintf("二氧化硫 %d%%、氮氧化物 %d%%、颗粒物 %d%%、VOCs %d%%", red.SO2, red.NOx, red.PM, red.VOCs)
				}
			}
		}
	}
	if err != nil {
		data["Error"] = err.Error()
		status = http.StatusInternalServerError
		var re *RequestError
		switch {
		case IsNotFound(err):
			status = http.StatusNotFound
		case errors.As(err, &re):
			status = http.StatusBadRequest
		case errors.Is(err, ErrNoEmissionSource):
			status = http.StatusServiceUnavailable
		}
	}
	o.render(w, status, compliancePage, data)
}
