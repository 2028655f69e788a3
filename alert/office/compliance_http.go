package office

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// baselinePeriod reads ?baseline_days=N (1…60); the default is DefaultBaselinePeriod.
func baselinePeriod(r *http.Request) (time.Duration, error) {
	s := r.URL.Query().Get("baseline_days")
	if s == "" {
		return DefaultBaselinePeriod, nil
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
<p><a href="/warnings">← 返回 back</a></p>
{{with .Error}}<p class="err" id="error">{{.}}</p>{{end}}
{{with .T}}
<h2>减排核查 Compliance · {{.WarningID}} <small>{{.Level.Chinese}} ({{.Level}})</small></h2>
<p>区域 areas: {{join .Areas}}<br>
基准 baseline: {{call $.Fmt .BaselineFrom}} – {{call $.Fmt .BaselineTo}} · 预警期 warning: {{call $.Fmt .WarningFrom}} – {{call $.Fmt .WarningTo}}<br>
未达标 not compliant: <b id="not-compliant">{{.NotCompliant}}</b></p>
{{if .Rows}}<table id="compliance"><tr><th>企业 source</th><th>污染物 pollutant</th><th>基准 baseline kg/h</th><th>预警期 actual kg/h</th><th>减排 reduction</th><th>要求 required</th><th>结论 status</th></tr>
{{range .Rows}}<tr data-source="{{.Source}}" data-pollutant="{{.Pollutant}}" data-status="{{.Status}}"><td>{{.SourceName}} <small>{{.Source}} · {{.Area}}</small></td>
<td>{{.Pollutant}} <small>{{.Group}}</small></td>
<td>{{if .BaselineHours}}{{printf "%.2f" .BaselineKgH}} <small>{{.BaselineHours}} h</small>{{else}}–{{end}}</td>
<td>{{if .ActualHours}}{{printf "%.2f" .ActualKgH}} <small>{{.ActualHours}} h</small>{{else}}–{{end}}</td>
<td>{{if and .BaselineHours .ActualHours}}{{printf "%.1f" .ReductionPct}} %{{else}}–{{end}}</td>
<td>{{.RequiredPct}} %</td><td>{{call $.Status .Status}}</td></tr>
{{end}}</table>{{else}}<p id="no-sources">该预警区域内无应急减排清单企业 — no emergency-list source in these areas.</p>{{end}}
<p><small>JSON: <a href="/api/v1/warnings/{{.WarningID}}/compliance">compliance</a></small></p>
{{end}}
</body></html>`))

var complianceStatusText = map[string]string{
	ComplianceOK:            "达标 compliant",
	ComplianceNotCompliant:  "未达标 NOT compliant",
	ComplianceNoBaseline:    "无基准 no baseline",
	ComplianceNoData:        "无数据 no data",
	ComplianceNoRequirement: "无要求 no requirement",
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
	data := map[string]any{"Fmt": o.fmtTime, "Status": func(s string) string { return complianceStatusText[s] }}
	status := http.StatusOK
	period, err := baselinePeriod(r)
	if err == nil {
		var t ComplianceTable
		if t, err = o.Compliance(r.Context(), r.PathValue("id"), period); err == nil {
			data["T"] = t
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
