package office

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"lantian/alert/warning"
	"lantian/ingest/registry"
)

// The console is plain server-rendered HTML: every action is a form post answered by a
// redirect, and issuing or lifting goes through a confirmation page. Sessions are cookies
// (HttpOnly, SameSite=Strict) and every form carries the session's form token.

var levelColours = map[warning.Level][2]string{
	warning.None:   {"#e8f5e9", "#1b5e20"},
	warning.Blue:   {"#1e88e5", "#fff"},
	warning.Yellow: {"#fdd835", "#000"},
	warning.Orange: {"#fb8c00", "#000"},
	warning.Red:    {"#e53935", "#fff"},
}

var consoleFuncs = template.FuncMap{
	"bg": func(l warning.Level) string { return levelColours[l][0] },
	"fg": func(l warning.Level) string { return levelColours[l][1] },
	"join": func(s []string) string {
		return strings.Join(s, ", ")
	},
}

const consoleHead = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>蓝天 Lantian · 重污染天气预警</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5em;color:#222;max-width:80em}
table{border-collapse:collapse;margin-bottom:1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.lvl{font-weight:bold;text-align:center;white-space:nowrap}small{color:#666}
.msg{background:#e3f2fd;padding:.5em 1em;border-left:4px solid #1e88e5}.err{background:#ffebee;padding:.5em 1em;border-left:4px solid #c62828}
form.inline{display:inline}fieldset{margin-bottom:1em}label{margin-right:1em}td.reason{max-width:40em;font-size:90%}
</style></head><body>
<h1>蓝天 Lantian <small>重污染天气预警 heavy-pollution warnings</small></h1>
`

var loginPage = template.Must(template.New("login").Parse(consoleHead + `
{{with .Error}}<p class="err">{{.}}</p>{{end}}
<form id="login" method="post" action="/warnings/login">
<p><label>令牌 Token <input type="password" name="token" id="token" size="48" autocomplete="off" required></label>
<button type="submit" id="login-submit">登录 Log in</button></p>
</form>
<p><small>令牌由系统管理员在 warnings.tokens 中配置；应急办 (emergency) 角色可发布和解除预警，其他角色只读。</small></p>
</body></html>`))

var mainPage = template.Must(template.New("main").Funcs(consoleFuncs).Parse(consoleHead + `
<p>登录 signed in: <b id="who">{{.Who.Name}}</b> <small>({{.Who.Role}})</small>
<form class="inline" method="post" action="/warnings/logout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">退出 Log out</button></form>
· <a href="/">实时监测 live monitoring</a> · <small>{{.Now}}</small></p>
{{with .Message}}<p class="msg" id="message">{{.}}</p>{{end}}
{{with .Error}}<p class="err" id="error">{{.}}</p>{{end}}

<h2>预警建议 Recommendations <small>方案 scheme {{.Scheme}}</small></h2>
{{if .Recs}}<table id="recommendations"><tr><th>区域 area</th><th>建议等级 recommended</th><th>建议动作 action</th><th>当前 in force</th><th>依据 reason</th><th>预报 forecast</th></tr>
{{range .Recs}}<tr data-area="{{.Area}}"><td>{{.Name}} <small>{{.Area}}{{if .IsRegion}} 区域 region{{end}}</small></td>
<td class="lvl" style="background:{{bg .Level}};color:{{fg .Level}}">{{.Level.Chinese}}<br><small style="color:inherit">{{.Level}}</small></td>
<td>{{.Action.Chinese}}<br><small>{{.Action}}</small>{{if and $.CanIssue .Level (or (eq .Action.String "issue") (eq .Action.String "upgrade"))}}
<br><a class="as-recommended" id="as-recommended-{{.Area}}" href="/warnings?prefill={{.Area}}#issue">按建议发布</a>{{end}}</td><td>{{.Current.Chinese}}</td><td class="reason">{{if .Advice}}<b class="advice">{{.Advice}}</b><br>{{end}}{{.ReasonZH}}{{if .LiftZH}}<br><small>解除条件：{{.LiftZH}}</small>{{end}}<br><small lang="en">{{.Reason}}</small>
{{if .Reduction.SO2}}<br><small>减排 cuts: SO2 {{.Reduction.SO2}}%, NOx {{.Reduction.NOx}}%, PM {{.Reduction.PM}}%, VOCs {{.Reduction.VOCs}}%</small>{{end}}</td>
<td>{{if .ForecastSource}}{{.ForecastSource}}<br><small>{{.ForecastIssued.Format "01-02 15:04"}}{{if .Observed}}, 实况 {{.Observed}} 天{{end}}</small>{{else}}–{{end}}</td></tr>
{{end}}</table>{{else}}<p id="no-recommendations">暂无预报，无建议 — no forecast received yet.</p>{{end}}

<h2>生效预警 Warnings in force</h2>
{{if .InForce}}<table id="warnings"><tr><th>编号 id</th><th>等级 level</th><th>区域 areas</th><th>开始 start</th><th>预计结束 expected end</th><th>原因 reason</th><th>发布 issued by</th>{{if .CanIssue}}<th></th>{{end}}</tr>
{{range .InForce}}<tr data-warning="{{.ID}}"><td>{{.ID}}<br><small><a href="/warnings/{{.ID}}/compliance">减排核查 compliance</a></small></td>
<td class="lvl" style="background:{{bg .Level}};color:{{fg .Level}}">{{.Level.Chinese}}<br><small style="color:inherit">{{.Level.Response}}</small></td>
<td>{{if .Region}}<b>{{.Region}}</b> 区域统一预警: {{end}}{{call $.AreaNames .Areas}}</td>
<td>{{call $.Fmt .Start}}</td><td>{{if .ExpectedEnd.IsZero}}–{{else}}{{call $.Fmt .ExpectedEnd}}{{end}}</td>
<td class="reason">{{.Reason}}</td><td>{{.IssuedBy}}<br><small>{{call $.Fmt .IssuedAt}} v{{.Version}}</small></td>
{{if $.CanIssue}}<td><form method="post" action="/warnings/lift/confirm"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="id" value="{{.ID}}">
<button type="submit" class="lift">解除 Lift…</button></form></td>{{end}}</tr>
{{end}}</table>{{else}}<p id="no-warnings">当前无生效预警 — no warning in force.</p>{{end}}

{{if .CanIssue}}
<h2 id="issue-heading">发布预警 Issue a warning</h2>
<form id="issue" method="post" action="/warnings/issue/confirm">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<fieldset><legend>等级 level</legend>
{{range .Levels}}<label><input type="radio" name="level" value="{{.}}" required{{if $.Prefill}}{{if eq $.Prefill.Level .}} checked{{end}}{{end}}> {{.Chinese}} ({{.}})</label>{{end}}
</fieldset>
<fieldset><legend>区域 areas</legend>
{{range .Areas}}<label><input type="checkbox" name="areas" value="{{.ID}}"{{if $.Prefill}}{{if eq $.Prefill.Area .ID}} checked{{end}}{{end}}> {{.Name}} <small>{{.ID}}{{if eq .Kind "region"}} 区域统一预警{{end}}</small></label> {{end}}
</fieldset>
<p><label>开始 start <input type="datetime-local" name="start" id="start"></label> <small>(空 = 立即 now)</small>
<label>预计结束 expected end <input type="datetime-local" name="expected_end" id="expected_end"></label></p>
{{with .Prefill}}<p class="msg" id="prefill">已按 {{.Name}} 的预警建议填写 (建议{{.Level.Chinese}}，{{.Action.Chinese}})，请核对后进入确认。</p>{{end}}
<p><label>原因 reason<br><textarea name="reason" id="reason" rows="3" cols="80" required>{{with .Prefill}}按预警建议发布{{.Level.Chinese}}：{{.ReasonZH}}{{end}}</textarea></label></p>
<p><label>签发人 signed by <input name="who" id="who-input" value="{{.Who.Name}}"></label></p>
<p><button type="submit" id="issue-next">下一步：确认 Next: confirm</button></p>
</form>
{{else}}<p id="read-only"><small>只读 read-only: 角色 {{.Who.Role}} 不能发布或解除预警。</small></p>{{end}}

{{if .Lifted}}<h2>已解除 Lifted</h2>
<table id="lifted"><tr><th>编号 id</th><th>等级 level</th><th>区域 areas</th><th>开始 start</th><th>解除 lifted</th><th>原因 reason</th></tr>
{{range .Lifted}}<tr data-warning="{{.ID}}"><td>{{.ID}}<br><small><a href="/warnings/{{.ID}}/compliance">减排核查 compliance</a></small></td><td>{{.Level.Chinese}}</td><td>{{call $.AreaNames .Areas}}</td><td>{{call $.Fmt .Start}}</td>
<td>{{call $.Fmt .LiftedAt}} {{.LiftedBy}}</td><td class="reason">{{.LiftReason}}</td></tr>{{end}}</table>{{end}}

{{if .Audit}}<h2>操作记录 Audit trail</h2>
<table id="audit"><tr><th>时间 time</th><th>操作 action</th><th>预警 warning</th><th>等级 level</th><th>签发人 who</th><th>令牌 token</th></tr>
{{range .Audit}}<tr><td>{{call $.Fmt .Time}}</td><td>{{call $.AuditAction .Action}} <small>{{.Action}}</small></td><td>{{.WarningID}}</td><td>{{.After.Level.Chinese}}</td><td>{{.Who}}</td><td>{{.Token}}</td></tr>{{end}}</table>{{end}}
<p><small>JSON: <a href="/api/v1/recommendations">recommendations</a> · <a href="/api/v1/warnings?all=1">warnings</a> · <a href="/api/v1/forecasts">forecasts</a></small></p>
</body></html>`))

var confirmIssuePage = template.Must(template.New("confirm-issue").Funcs(consoleFuncs).Parse(consoleHead + `
<h2>确认发布 Confirm</h2>
<table id="summary">
<tr><th>等级 level</th><td class="lvl" style="background:{{bg .Level}};color:{{fg .Level}}">{{.Level.Chinese}} ({{.Level.Response}})</td></tr>
<tr><th>区域 areas</th><td>{{if .Region}}<b>{{.Region}}</b> 区域统一预警: {{end}}{{join .AreaNames}}</td></tr>
<tr><th>开始 start</th><td>{{.StartText}}</td></tr>
<tr><th>预计结束 expected end</th><td>{{.EndText}}</td></tr>
<tr><th>减排 cuts</th><td>{{if .Reduction.SO2}}SO2 {{.Reduction.SO2}}%, NOx {{.Reduction.NOx}}%, PM {{.Reduction.PM}}%, VOCs {{.Reduction.VOCs}}%{{else}}–{{end}}</td></tr>
<tr><th>原因 reason</th><td>{{.Reason}}</td></tr>
<tr><th>签发人 signed by</th><td>{{.Who}}</td></tr>
</table>
<h3>应急减排清单企业 ({{len .Sources}} 家) 与一厂一策措施</h3>
{{if .Sources}}<table id="plan-measures"><tr><th>企业</th><th>区县</th><th>{{.Level.Chinese}} 措施</th><th>承诺减排</th></tr>
{{range .Sources}}<tr data-source="{{.ID}}"><td>{{.Name}} <small>{{.ID}}</small></td><td>{{.Area}}</td>
<td>{{range .Measures}}{{.}}<br>{{else}}<small>无一厂一策措施，按本级比例执行</small>{{end}}</td>
<td>{{range $p, $v := .Committed}}{{$p}} {{printf "%.0f" $v}}%<br>{{end}}</td></tr>{{end}}</table>
{{else}}<p><small>所选区域无应急减排清单企业。</small></p>{{end}}
<p>发布后将立即通过 MQTT 通知各区县和企业，并推送告警。Issuing notifies county bureaus and enterprises at once.</p>
<form method="post" action="/warnings/issue">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="level" value="{{.Level}}">
{{range .Areas}}<input type="hidden" name="areas" value="{{.}}">{{end}}
<input type="hidden" name="start" value="{{.Start}}"><input type="hidden" name="expected_end" value="{{.End}}">
<input type="hidden" name="reason" value="{{.Reason}}"><input type="hidden" name="who" value="{{.Who}}">
<input type="hidden" name="confirm" value="yes">
<button type="submit" id="confirm-issue">确认发布 Issue now</button> <a href="/warnings">取消 cancel</a>
</form></body></html>`))

var confirmLiftPage = template.Must(template.New("confirm-lift").Funcs(consoleFuncs).Parse(consoleHead + `
<h2>确认解除 Confirm lifting {{.W.ID}}</h2>
<p class="lvl" style="background:{{bg .W.Level}};color:{{fg .W.Level}};display:inline-block;padding:.3em 1em">{{.W.Level.Chinese}}</p>
<p>区域 areas: {{call .AreaNames .W.Areas}}</p>
{{if .LiftMet}}<p class="msg" id="lift-rule-met">解除条件已满足：{{.LiftText}}</p>
{{else}}<p class="err" id="lift-rule-unmet"><b>注意：解除条件未满足。</b> {{.LiftText}}<br>如仍解除，请在原因中说明依据。</p>{{end}}
<form method="post" action="/warnings/lift">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="id" value="{{.W.ID}}"><input type="hidden" name="confirm" value="yes">
<p><label>解除原因 reason<br><textarea name="reason" id="lift-reason" rows="2" cols="80"></textarea></label></p>
<p><label>签发人 signed by <input name="who" value="{{.Who}}"></label></p>
<button type="submit" id="confirm-lift">确认解除 Lift now</button> <a href="/warnings">取消 cancel</a>
</form></body></html>`))

func (o *Office) consoleRoutes(mux *http.ServeMux) {
	page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, o.logged(pattern, h)) }
	page("GET /warnings", o.pageMain)
	page("GET /warnings/{id}/compliance", o.pageCompliance)
	page("POST /warnings/login", o.pageLogin)
	page("POST /warnings/logout", o.withSession(false, func(w http.ResponseWriter, r *http.Request, _ Principal) {
		o.auth.logout(r)
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/warnings", http.StatusSeeOther)
	}))
	page("POST /warnings/issue/confirm", o.withSession(true, o.pageConfirmIssue))
	page("POST /warnings/issue", o.withSession(true, o.pageIssue))
	page("POST /warnings/lift/confirm", o.withSession(true, o.pageConfirmLift))
	page("POST /warnings/lift", o.withSession(true, o.pageLift))
}

func (o *Office) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		o.opts.Log.Error("render warning console", "page", t.Name(), "err", err)
	}
}

// withSession requires a console session and a valid form token; issue requires the
// emergency role.
func (o *Office) withSession(issue bool, h func(http.ResponseWriter, *http.Request, Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := o.auth.fromRequest(r)
		if !ok || p.csrf == "" {
			http.Redirect(w, r, "/warnings", http.StatusSeeOther)
			return
		}
		if rec, ok := w.(*statusRecorder); ok {
			rec.who = p
		}
		if !p.checkCSRF(r.PostFormValue("csrf")) {
			o.render(w, http.StatusForbidden, loginPage, map[string]any{"Error": "表单已过期，请重新登录 — the form is stale; log in again."})
			return
		}
		if issue && !p.CanIssue() {
			o.render(w, http.StatusForbidden, loginPage, map[string]any{"Error": "角色 " + p.Role + " 不能发布或解除预警 — this role may not issue or lift warnings."})
			return
		}
		h(w, r, p)
	}
}

func (o *Office) pageLogin(w http.ResponseWriter, r *http.Request) {
	c, p, err := o.auth.login(r.PostFormValue("token"), r.TLS != nil)
	if err != nil {
		o.render(w, http.StatusUnauthorized, loginPage, map[string]any{"Error": "令牌无效 — unknown token."})
		return
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.who = p
	}
	http.SetCookie(w, c)
	http.Redirect(w, r, "/warnings", http.StatusSeeOther)
}

func (o *Office) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(o.opts.Location).Format("2006-01-02 15:04 -07:00")
}

func (o *Office) pageMain(w http.ResponseWriter, r *http.Request) {
	p, ok := o.auth.fromRequest(r)
	if !ok || p.csrf == "" {
		o.render(w, http.StatusOK, loginPage, map[string]any{})
		return
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.who = p
	}
	all, err := o.opts.Store.List(true)
	var inForce, lifted []Warning
	for _, x := range all {
		if x.InForce() {
			inForce = append(inForce, x)
		} else if len(lifted) < 20 {
			lifted = append(lifted, x)
		}
	}
	audit, aerr := o.opts.Store.Audit("", 20)
	errText := r.URL.Query().Get("error")
	if err = errors.Join(err, aerr); err != nil {
		errText = err.Error()
	}
	var levels []warning.Level
	for l := warning.Red; l > warning.None; l-- {
		if _, ok := o.opts.Scheme.Rule(l); ok {
			levels = append(levels, l)
		}
	}
	// Regions first: a unified regional warning is the usual case in 乌-昌-石.
	var areas []registry.Area
	for _, a := range o.opts.Registry.Areas {
		if a.Kind == registry.Region {
			areas = append(areas, a)
		}
	}
	for _, a := range o.opts.Registry.Areas {
		if a.Kind != registry.Region {
			areas = append(areas, a)
		}
	}
	var msg string
	if id := r.URL.Query().Get("id"); id != "" {
		switch r.URL.Query().Get("done") {
		case "issue":
			msg = "已发布预警 " + id + "，已通过 MQTT 通知各区县和企业。"
		case "lift":
			msg = "已解除预警 " + id + "。"
		}
	}
	recs := o.Recommendations()
	// 按建议发布: the issue form filled from an area's recommendation.
	var prefill *AreaRecommendation
	if a := r.URL.Query().Get("prefill"); a != "" {
		for i := range recs {
			if recs[i].Area == a && recs[i].Level > warning.None {
				prefill = &recs[i]
			}
		}
	}
	o.render(w, http.StatusOK, mainPage, map[string]any{
		"Who": p, "CSRF": p.csrf, "CanIssue": p.CanIssue(), "Now": o.fmtTime(o.now()),
		"Scheme": o.opts.Scheme.Name, "Recs": recs, "InForce": inForce, "Lifted": lifted,
		"Audit": audit, "Levels": levels, "Areas": areas, "Message": msg, "Error": errText, "Fmt": o.fmtTime,
		"Prefill": prefill, "AuditAction": func(a string) string { return auditActionZH[a] }, "AreaNames": o.areaNames,
	})
}

// auditActionZH names the audit actions in Chinese.
var auditActionZH = map[string]string{"issue": "发布", "change": "变更", "lift": "解除"}

// areaNames lists areas by name, the id in brackets.
func (o *Office) areaNames(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = o.areaName(id)
	}
	return strings.Join(out, "、")
}

// planRow is a listed source and its 一厂一策 measures at a level, for the confirmation page.
type planRow struct {
	ID, Name, Area string
	Measures       []string
	Committed      map[string]float64
}

func (o *Office) planRows(areas []string, lvl warning.Level) []planRow {
	var out []planRow
	for _, s := range EmergencySources(o.opts.Registry, Warning{Areas: areas}) {
		m, _ := s.EmergencyPlan.Measures(lvl.String())
		out = append(out, planRow{ID: s.ID, Name: s.Name, Area: o.areaName(s.Area), Measures: m.Measures, Committed: m.ReductionPct})
	}
	return out
}

// liftCheck says whether the lift rule is met for a warning, from the recommendations of its
// region, or of all its areas.
func (o *Office) liftCheck(w Warning) (bool, string) {
	recs := map[string]AreaRecommendation{}
	for _, r := range o.Recommendations() {
		recs[r.Area] = r
	}
	areas := w.Areas
	if w.Region != "" {
		areas = []string{w.Region}
	}
	met := true
	var texts []string
	for _, a := range areas {
		r, ok := recs[a]
		switch {
		case !ok:
			met = false
			texts = append(texts, o.areaName(a)+"：无预报，无法判断")
		case !r.LiftMet:
			met = false
			texts = append(texts, o.areaName(a)+"："+r.liftText())
		default:
			texts = append(texts, o.areaName(a)+"："+r.liftText())
		}
	}
	rule := o.opts.Scheme.Lift
	return met, fmt.Sprintf("解除条件为预报 AQI < %d 持续 %d 小时以上。", rule.Below, rule.Hours) + strings.Join(texts, "；")
}

func (o *Office) formRequest(r *http.Request) IssueRequest {
	_ = r.ParseForm()
	return IssueRequest{Level: r.PostFormValue("level"), Areas: r.PostForm["areas"], Start: r.PostFormValue("start"),
		ExpectedEnd: r.PostFormValue("expected_end"), Reason: r.PostFormValue("reason"), Who: r.PostFormValue("who")}
}

func backWithError(w http.ResponseWriter, r *http.Request, err error) {
	http.Redirect(w, r, "/warnings?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
}

func (o *Office) pageConfirmIssue(w http.ResponseWriter, r *http.Request, p Principal) {
	req := o.formRequest(r)
	lvl, err := warning.ParseLevel(req.Level)
	if err == nil && lvl == warning.None {
		err = errors.New("请选择预警等级 — choose a level")
	}
	if err != nil {
		backWithError(w, r, err)
		return
	}
	areas, region, err := o.resolveAreas(req.Areas)
	if err != nil {
		backWithError(w, r, err)
		return
	}
	if strings.TrimSpace(req.Reason) == "" {
		backWithError(w, r, errors.New("请填写原因 — a reason is required"))
		return
	}
	names := make([]string, len(areas))
	for i, a := range areas {
		names[i] = o.areaName(a) + " (" + a + ")"
	}
	red, _ := o.opts.Scheme.Reduction(lvl)
	startText, endText := "立即 now", "–"
	if req.Start != "" {
		t, err := parseTime(req.Start, o.opts.Location)
		if err != nil {
			backWithError(w, r, err)
			return
		}
		startText = o.fmtTime(t)
	}
	if req.ExpectedEnd != "" {
		t, err := parseTime(req.ExpectedEnd, o.opts.Location)
		if err != nil {
			backWithError(w, r, err)
			return
		}
		endText = o.fmtTime(t)
	}
	who := strings.TrimSpace(req.Who)
	if who == "" {
		who = p.Name
	}
	o.render(w, http.StatusOK, confirmIssuePage, map[string]any{
		"CSRF": p.csrf, "Level": lvl, "Areas": req.Areas, "AreaNames": names, "Region": region,
		"Start": req.Start, "End": req.ExpectedEnd, "StartText": startText, "EndText": endText,
		"Reason": req.Reason, "Who": who, "Reduction": red, "Sources": o.planRows(areas, lvl),
	})
}

func (o *Office) pageIssue(w http.ResponseWriter, r *http.Request, p Principal) {
	if r.PostFormValue("confirm") != "yes" {
		backWithError(w, r, errors.New("未确认 — not confirmed"))
		return
	}
	wr, err := o.Issue(r.Context(), o.formRequest(r), actor(r, p))
	if err != nil {
		backWithError(w, r, err)
		return
	}
	// The page after issuing must not still recommend issuing for these areas.
	o.recompute(r.Context())
	http.Redirect(w, r, "/warnings?done=issue&id="+url.QueryEscape(wr.ID), http.StatusSeeOther)
}

func (o *Office) pageConfirmLift(w http.ResponseWriter, r *http.Request, p Principal) {
	wr, err := o.opts.Store.Get(r.PostFormValue("id"))
	if err != nil {
		backWithError(w, r, err)
		return
	}
	met, text := o.liftCheck(wr)
	o.render(w, http.StatusOK, confirmLiftPage, map[string]any{"CSRF": p.csrf, "W": wr, "Who": p.Name, "LiftMet": met, "LiftText": text,
		"AreaNames": o.areaNames})
}

func (o *Office) pageLift(w http.ResponseWriter, r *http.Request, p Principal) {
	if r.PostFormValue("confirm") != "yes" {
		backWithError(w, r, errors.New("未确认 — not confirmed"))
		return
	}
	id := r.PostFormValue("id")
	if _, err := o.Lift(r.Context(), id, LiftRequest{Reason: r.PostFormValue("reason"), Who: r.PostFormValue("who")}, actor(r, p)); err != nil {
		backWithError(w, r, err)
		return
	}
	o.recompute(r.Context())
	http.Redirect(w, r, "/warnings?done=lift&id="+url.QueryEscape(id), http.StatusSeeOther)
}
