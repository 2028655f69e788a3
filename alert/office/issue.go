package office

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"lantian/alert/warning"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// IssueRequest issues a warning, or changes one when ID is set (empty fields then keep their
// value). Times are RFC 3339 or, without offset, in the configured zone.
type IssueRequest struct {
	ID    string `json:"id,omitempty"`
	Level string `json:"level"`
	// Areas are area ids; a region id stands for all its members and makes the warning a
	// unified regional warning.
	Areas       []string `json:"areas"`
	Start       string   `json:"start,omitempty"`
	ExpectedEnd string   `json:"expected_end,omitempty"`
	Reason      string   `json:"reason"`
	// Who is the person deciding (recorded with the token's name); default the token's name.
	Who string `json:"who,omitempty"`
}

// LiftRequest lifts a warning.
type LiftRequest struct {
	Reason string `json:"reason"`
	Who    string `json:"who,omitempty"`
}

// RequestError is a request the office refuses as given (HTTP 400).
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

func badRequest(format string, args ...any) error {
	return &RequestError{Err: fmt.Errorf(format, args...)}
}

const (
	maxReasonLen = 2000
	maxWhoLen    = 64
)

func cleanText(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", badRequest("%s is required", field)
	case len(s) > max:
		return "", badRequest("%s is longer than %d bytes", field, max)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return "", badRequest("%s contains control characters", field)
	}
	return s, nil
}

// resolveAreas checks area ids and expands a region into its members.
func (o *Office) resolveAreas(ids []string) (areas []string, region string, err error) {
	for _, raw := range ids {
		for id := range strings.SplitSeq(raw, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if err := registry.CheckID(id); err != nil {
				return nil, "", badRequest("area: %v", err)
			}
			a, ok := o.opts.Registry.Area(id)
			if !ok {
				return nil, "", badRequest("unknown area %q", id)
			}
			if a.Kind == registry.Region {
				if region != "" && region != id {
					return nil, "", badRequest("two regions %s and %s in one warning: issue one warning per region", region, id)
				}
				region = id
				areas = append(areas, a.Members...)
				continue
			}
			areas = append(areas, id)
		}
	}
	slices.Sort(areas)
	areas = slices.Compact(areas)
	if len(areas) == 0 {
		return nil, "", badRequest("areas is empty: name at least one area or region")
	}
	return areas, region, nil
}

// Issue issues a new warning, or changes the one named by req.ID, and carries out its effects.
func (o *Office) Issue(ctx context.Context, req IssueRequest, by Actor) (Warning, error) {
	now := o.now()
	loc := o.opts.Location
	who, err := cleanText("who", req.Who, maxWhoLen, false)
	if err != nil {
		return Warning{}, err
	}
	if who != "" {
		by.Who = who
	}
	reason, err := cleanText("reason", req.Reason, maxReasonLen, req.ID == "")
	if err != nil {
		return Warning{}, err
	}
	var lvl warning.Level
	if req.Level != "" || req.ID == "" {
		lvl, err = warning.ParseLevel(req.Level)
		if err != nil {
			return Warning{}, &RequestError{Err: err}
		}
		if lvl == warning.None {
			return Warning{}, badRequest("level none is not a warning: lift the warning instead")
		}
	}
	var areas []string
	var region string
	if len(req.Areas) > 0 || req.ID == "" {
		if areas, region, err = o.resolveAreas(req.Areas); err != nil {
			return Warning{}, err
		}
	}
	var start, end time.Time
	if req.Start != "" {
		if start, err = parseTime(req.Start, loc); err != nil {
			return Warning{}, badRequest("start: %v", err)
		}
	}
	if req.ExpectedEnd != "" {
		if end, err = parseTime(req.ExpectedEnd, loc); err != nil {
			return Warning{}, badRequest("expected_end: %v", err)
		}
	}
	edit := func(w *Warning) error {
		if lvl != warning.None {
			w.Level = lvl
			w.Reduction, _ = o.opts.Scheme.Reduction(lvl)
		}
		if areas != nil {
			w.Areas, w.Region = areas, region
		}
		if !start.IsZero() {
			w.Start = start
		}
		if !end.IsZero() {
			w.ExpectedEnd = end
		}
		if reason != "" {
			w.Reason = reason
		}
		if !w.ExpectedEnd.IsZero() && !w.ExpectedEnd.After(w.Start) {
			return badRequest("expected_end %s is not after start %s", w.ExpectedEnd.In(loc).Format(time.RFC3339), w.Start.In(loc).Format(time.RFC3339))
		}
		return nil
	}

	if req.ID != "" {
		before, after, err := o.opts.Store.Change(req.ID, edit, by, now)
		if err != nil {
			return Warning{}, err
		}
		o.opts.Log.Info("warning changed", "id", after.ID, "level", after.Level, "areas", after.Areas, "who", by.Who, "token", by.Token)
		o.afterChange(ctx, ActionChange, &before, after)
		return after, nil
	}
	w := Warning{Start: now}
	if err := edit(&w); err != nil {
		return Warning{}, err
	}
	w, err = o.opts.Store.Issue(w, by, now, loc)
	if err != nil {
		return Warning{}, err
	}
	o.opts.Log.Info("warning issued", "id", w.ID, "level", w.Level, "areas", w.Areas, "region", w.Region, "who", by.Who, "token", by.Token)
	o.afterChange(ctx, ActionIssue, nil, w)
	return w, nil
}

// Lift lifts a warning and carries out its effects.
func (o *Office) Lift(ctx context.Context, id string, req LiftRequest, by Actor) (Warning, error) {
	who, err := cleanText("who", req.Who, maxWhoLen, false)
	if err != nil {
		return Warning{}, err
	}
	if who != "" {
		by.Who = who
	}
	reason, err := cleanText("reason", req.Reason, maxReasonLen, false)
	if err != nil {
		return Warning{}, err
	}
	before, err := o.opts.Store.Get(id)
	if err != nil {
		return Warning{}, err
	}
	w, err := o.opts.Store.Lift(id, reason, by, o.now())
	if err != nil {
		return Warning{}, err
	}
	o.opts.Log.Info("warning lifted", "id", w.ID, "level", before.Level, "areas", w.Areas, "who", by.Who, "token", by.Token)
	o.afterChange(ctx, ActionLift, &before, w)
	return w, nil
}

// afterChange carries out what a stored change means outside the store: retained MQTT
// messages, the InfluxDB event, Alertmanager, gauges and recommendations. The store is the
// record; failures here are logged and retried (MQTT) or re-derived at the next start.
func (o *Office) afterChange(ctx context.Context, action string, before *Warning, after Warning) {
	var removed []string
	if before != nil {
		for _, a := range before.Areas {
			if !after.Covers(a) {
				removed = append(removed, a)
			}
		}
	}
	o.publishAreas(ctx, after.Areas, nil)
	if len(removed) > 0 {
		o.publishAreas(ctx, removed, before)
	}
	if err := o.writeEvent(ctx, action, before, after); err != nil {
		o.opts.Log.Error("warning event not written to InfluxDB", "id", after.ID, "action", action, "err", err)
	}
	o.alertWarning(before, &after)
	o.setIssuedGauges()
	o.Kick()
}

// AreaMessage is the retained message on <prefix>/warnings/<area>: the state of the area's
// warning, in force or lifted.
type AreaMessage struct {
	Area      string `json:"area"`
	AreaName  string `json:"area_name"`
	Status    string `json:"status"`
	WarningID string `json:"warning_id"`
	// Level is none once lifted; PreviousLevel then says what was lifted.
	Level         warning.Level `json:"level"`
	LevelZH       string        `json:"level_zh"`
	Response      string        `json:"response,omitempty"`
	PreviousLevel warning.Level `json:"previous_level,omitempty"`
	Region        string        `json:"region,omitempty"`
	Start         time.Time     `json:"start"`
	ExpectedEnd   time.Time     `json:"expected_end,omitzero"`
	// Reductions are the required emission cuts in percent per pollutant.
	Reductions *Reductions `json:"reductions,omitempty"`
	Reason     string      `json:"reason"`
	Version    int         `json:"version"`
	Updated    time.Time   `json:"updated"`
	LiftedAt   time.Time   `json:"lifted_at,omitzero"`
}

// Reductions are a level's required cuts, in percent.
type Reductions struct {
	SO2          int  `json:"so2"`
	NOx          int  `json:"nox"`
	PM           int  `json:"pm"`
	VOCs         int  `json:"vocs"`
	PooledSO2NOx bool `json:"pooled_so2_nox"`
}

func (o *Office) message(area string, w Warning, removed bool) AreaMessage {
	m := AreaMessage{Area: area, AreaName: o.areaName(area), WarningID: w.ID, Region: w.Region,
		Start: w.Start, ExpectedEnd: w.ExpectedEnd, Version: w.Version, Updated: w.UpdatedAt}
	if w.InForce() && !removed {
		m.Status, m.Level, m.Reason = StatusInForce, w.Level, w.Reason
		m.LevelZH, m.Response = w.Level.Chinese(), w.Level.Response()
		r := w.Reduction
		m.Reductions = &Reductions{SO2: r.SO2, NOx: r.NOx, PM: r.PM, VOCs: r.VOCs, PooledSO2NOx: r.PooledSO2NOx}
		return m
	}
	m.Status, m.Level, m.LevelZH, m.PreviousLevel = StatusLifted, warning.None, "解除预警", w.Level
	m.LiftedAt, m.Reason = w.LiftedAt, w.LiftReason
	if removed {
		m.LiftedAt, m.Reason = w.UpdatedAt, fmt.Sprintf("area removed from warning %s", w.ID)
	}
	return m
}

// stateOf is the warning that decides an area's retained message: the one in force, else the
// last one lifted.
func stateOf(ws []Warning, area string) (Warning, bool) {
	var last Warning
	found := false
	for _, w := range ws {
		if !w.Covers(area) {
			continue
		}
		if w.InForce() {
			return w, true
		}
		if !found || w.UpdatedAt.After(last.UpdatedAt) {
			last, found = w, true
		}
	}
	return last, found
}

// publishAreas publishes the retained message of each area, concurrently, from the store; with
// removedFrom set, the areas were taken out of that warning and get a lifted message for it.
// Areas the broker did not acknowledge stay pending and are retried by Run.
func (o *Office) publishAreas(ctx context.Context, areas []string, removedFrom *Warning) {
	areas = slices.Compact(slices.Sorted(slices.Values(areas)))
	if len(areas) == 0 {
		return
	}
	ws, err := o.opts.Store.List(true)
	if err != nil {
		o.opts.Log.Error("retained warnings not published", "err", err)
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, area := range areas {
		var msg AreaMessage
		if removedFrom != nil {
			if w, ok := stateOf(ws, area); ok && w.InForce() {
				msg = o.message(area, w, false)
			} else {
				msg = o.message(area, *removedFrom, true)
			}
		} else {
			w, ok := stateOf(ws, area)
			if !ok {
				o.mu.Lock()
				delete(o.pending, area)
				o.mu.Unlock()
				continue
			}
			msg = o.message(area, w, false)
		}
		payload, err := json.Marshal(msg)
		if err != nil {
			o.opts.Log.Error("encode retained warning", "area", area, "err", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			topic := o.opts.TopicPrefix + "/warnings/" + area
			err := o.opts.Publisher.Publish(pctx, topic, payload)
			o.mu.Lock()
			if err != nil {
				o.pending[area] = true
			} else {
				delete(o.pending, area)
			}
			o.mu.Unlock()
			if err != nil {
				o.opts.Log.Warn("retained warning not acknowledged by the broker; will retry", "topic", topic, "err", err)
			}
		}()
	}
	wg.Wait()
}

// PendingAreas lists areas whose retained message is not acknowledged yet.
func (o *Office) PendingAreas() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Sorted(func(yield func(string) bool) {
		for a := range o.pending {
			if !yield(a) {
				return
			}
		}
	})
}

// writeEvent writes warning_event points (one per area, and one for the region), a source of
// Grafana annotations: title and text, tags for filtering.
func (o *Office) writeEvent(ctx context.Context, action string, before *Warning, w Warning) error {
	now := o.now()
	lvl := w.Level
	title := fmt.Sprintf("%s %s %s", lvl.Chinese(), map[string]string{ActionIssue: "发布", ActionChange: "调整", ActionLift: "解除"}[action], w.ID)
	text := w.Reason
	if action == ActionLift {
		text = w.LiftReason
	}
	if action == ActionChange && before != nil && before.Level != w.Level {
		title = fmt.Sprintf("%s → %s 调整 %s", before.Level.Chinese(), lvl.Chinese(), w.ID)
	}
	areas := slices.Clone(w.Areas)
	if w.Region != "" {
		areas = append(areas, w.Region)
	}
	lines := make([][]byte, 0, len(areas))
	for _, a := range areas {
		l := newLine(schema.WarningEvent).Tag(schema.TagAction, action).Tag(schema.TagArea, a).Tag(schema.TagLevel, lvl.String()).
			Tag(schema.TagRegion, w.Region).Tag(schema.TagWarningID, w.ID)
		l.String(schema.FieldTitle, title).String(schema.FieldText, text).String(schema.FieldWho, w.UpdatedBy).
			Int(schema.FieldLevelNum, int64(lvl)).Int(schema.FieldVersion, int64(w.Version)).Int(schema.FieldStart, w.Start.Unix())
		if !w.ExpectedEnd.IsZero() {
			l.Int(schema.FieldExpectedEnd, w.ExpectedEnd.Unix())
		}
		l.String(schema.FieldTags, strings.Join([]string{"warning", lvl.String(), action, a}, ","))
		lines = append(lines, l.At(now))
	}
	// Not cancelled with the request: a client that gives up must not lose the event.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return o.submitAll(wctx, lines)
}

// alertWarning fires HeavyPollutionWarning for each area (and the region) of a warning in
// force and resolves the alerts a change or lift made obsolete. Labels area and level only,
// so that deploy/alertmanager.yml can inhibit a lower level by a higher one in the same area.
func (o *Office) alertWarning(before, after *Warning) {
	now := o.now()
	key := func(area string, l warning.Level) string { return area + "\x00" + l.String() }
	firing := map[string]bool{}
	var alerts []Alert
	if after != nil && after.InForce() {
		areas := slices.Clone(after.Areas)
		if after.Region != "" {
			areas = append(areas, after.Region)
		}
		for _, a := range areas {
			firing[key(a, after.Level)] = true
			al := Alert{
				Labels: map[string]string{"alertname": "HeavyPollutionWarning", "area": a, "level": after.Level.String(), "severity": severity(after.Level)},
				Annotations: map[string]string{
					"summary":     fmt.Sprintf("%s %s (%s) %s", o.areaName(a), after.Level.Chinese(), after.Level.Response(), after.ID),
					"description": after.Reason, "warning_id": after.ID, "area_name": o.areaName(a),
					"region": after.Region,
				},
				StartsAt: minTime(after.Start, now),
			}
			if !after.ExpectedEnd.IsZero() {
				al.Annotations["expected_end"] = after.ExpectedEnd.Format(time.RFC3339)
			}
			alerts = append(alerts, al)
		}
	}
	if before != nil && before.InForce() {
		areas := slices.Clone(before.Areas)
		if before.Region != "" {
			areas = append(areas, before.Region)
		}
		for _, a := range areas {
			if !firing[key(a, before.Level)] {
				alerts = append(alerts, Alert{
					Labels:   map[string]string{"alertname": "HeavyPollutionWarning", "area": a, "level": before.Level.String(), "severity": severity(before.Level)},
					StartsAt: minTime(before.Start, now), EndsAt: now,
				})
			}
		}
	}
	o.opts.Notifier.Notify(alerts...)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// setIssuedGauges sets lantian_warning_issued_level for every area of the registry: 0 where
// no warning is in force.
func (o *Office) setIssuedGauges() {
	inForce, err := o.inForce()
	if err != nil {
		o.opts.Log.Error("issued-level gauges not updated", "err", err)
		return
	}
	for _, a := range o.opts.Registry.Areas {
		o.m.issued.WithLabelValues(a.ID).Set(float64(inForce[a.ID].Level))
	}
}

// IsNotFound and IsConflict classify store errors for the API.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports a change refused because of the warnings in force.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }
