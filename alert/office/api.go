package office

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"lantian/ingest/reading"
	"net"
	"net/http"
	"strconv"
	"time"
)

const maxBodyBytes = 1 << 20

// Routes adds the warning API (/api/v1/forecasts, /api/v1/recommendations, /api/v1/warnings…)
// and the console (/warnings) to mux.
func (o *Office) Routes(mux *http.ServeMux) {
	api := func(pattern string, h func(http.ResponseWriter, *http.Request, Principal)) {
		mux.Handle(pattern, o.logged(pattern, o.requireAPI(h)))
	}
	api("POST /api/v1/forecasts", o.apiPostForecast)
	api("GET /api/v1/forecasts", func(w http.ResponseWriter, _ *http.Request, _ Principal) {
		writeJSON(w, http.StatusOK, o.Forecasts())
	})
	api("GET /api/v1/recommendations", func(w http.ResponseWriter, _ *http.Request, _ Principal) {
		writeJSON(w, http.StatusOK, o.Recommendations())
	})
	api("GET /api/v1/warnings", o.apiListWarnings)
	api("POST /api/v1/warnings", o.apiIssue)
	api("GET /api/v1/warnings/audit", o.apiAudit)
	api("GET /api/v1/warnings/{id}", o.apiGetWarning)
	api("POST /api/v1/warnings/{id}/lift", o.apiLift)
	api("GET /api/v1/warnings/{id}/compliance", o.apiCompliance)
	o.consoleRoutes(mux)
}

// statusRecorder keeps the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	code int
	who  Principal
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// logged logs every call with who made it (the token's name, never the token) and counts it.
func (o *Office) logged(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		r.Body = http.MaxBytesReader(rec, r.Body, maxBodyBytes)
		h.ServeHTTP(rec, r)
		who, role := rec.who.Name, rec.who.Role
		if who == "" {
			who, role = "-", "-"
		}
		o.m.requests.WithLabelValues(pattern, strconv.Itoa(rec.code)).Inc()
		o.opts.Log.Info("warning office request", "method", r.Method, "path", r.URL.Path, "who", who, "role", role,
			"status", rec.code, "remote", remoteHost(r), "duration", time.Since(start).Round(time.Millisecond))
	})
}

func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// requireAPI authenticates a bearer token (or console session: the console's own JavaScript
// needs none, but a logged-in operator may open the JSON in the browser).
func (o *Office) requireAPI(h func(http.ResponseWriter, *http.Request, Principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := o.auth.fromRequest(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lantian-warnings"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", errors.New("a valid token is required (Authorization: Bearer TOKEN)"))
			return
		}
		if rec, ok := w.(*statusRecorder); ok {
			rec.who = p
		}
		// A session cookie rides along on cross-site form posts; only bearer tokens may change
		// state through the API, so the console's CSRF defence is not needed here.
		if r.Method != http.MethodGet && r.Header.Get("Authorization") == "" {
			writeError(w, http.StatusForbidden, "forbidden", errors.New("state-changing API calls need an Authorization: Bearer token"))
			return
		}
		h(w, r, p)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, reason string, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error(), "reason": reason})
}

// writeOfficeError maps the office's errors to status codes.
func writeOfficeError(w http.ResponseWriter, err error) {
	var rej *reading.Rejection
	var re *RequestError
	switch {
	case errors.As(err, &rej):
		writeError(w, http.StatusBadRequest, rej.Reason, err)
	case errors.As(err, &re):
		writeError(w, http.StatusBadRequest, "bad_request", err)
	case IsNotFound(err):
		writeError(w, http.StatusNotFound, "not_found", err)
	case IsConflict(err):
		writeError(w, http.StatusConflict, "conflict", err)
	default:
		writeError(w, http.StatusInternalServerError, "internal", err)
	}
}

func forbidden(w http.ResponseWriter, p Principal, what string) {
	writeError(w, http.StatusForbidden, "forbidden", fmt.Errorf("token %s has role %s, which may not %s", p.Name, p.Role, what))
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &reading.Rejection{Reason: reading.ReasonTooLarge, Err: fmt.Errorf("body larger than %d bytes", maxBodyBytes)}
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}

func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &RequestError{Err: fmt.Errorf("request body: %w", err)}
	}
	return nil
}

func (o *Office) apiPostForecast(w http.ResponseWriter, r *http.Request, p Principal) {
	if !p.CanForecast() {
		forbidden(w, p, "post forecasts")
		return
	}
	b, err := readBody(r)
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	f, err := o.TakeForecast(r.Context(), "", b)
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	var recs []AreaRecommendation
	for _, rec := range o.Recommendations() {
		if rec.Area == f.Area || rec.Region != "" {
			recs = append(recs, rec)
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"forecast": f, "recommendations": recs})
}

func (o *Office) apiListWarnings(w http.ResponseWriter, r *http.Request, _ Principal) {
	ws, err := o.opts.Store.List(r.URL.Query().Get("all") != "")
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	if ws == nil {
		ws = []Warning{}
	}
	writeJSON(w, http.StatusOK, ws)
}

func (o *Office) apiGetWarning(w http.ResponseWriter, r *http.Request, _ Principal) {
	id := r.PathValue("id")
	wr, err := o.opts.Store.Get(id)
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	audit, err := o.opts.Store.Audit(id, 0)
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"warning": wr, "audit": audit})
}

func (o *Office) apiAudit(w http.ResponseWriter, r *http.Request, _ Principal) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 10000 {
		limit = 100
	}
	audit, err := o.opts.Store.Audit("", limit)
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, audit)
}

func actor(r *http.Request, p Principal) Actor {
	return Actor{Who: p.Name, Token: p.Name, Remote: remoteHost(r)}
}

func (o *Office) apiIssue(w http.ResponseWriter, r *http.Request, p Principal) {
	if !p.CanIssue() {
		forbidden(w, p, "issue or change warnings")
		return
	}
	var req IssueRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOfficeError(w, err)
		return
	}
	wr, err := o.Issue(r.Context(), req, actor(r, p))
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	status := http.StatusCreated
	if req.ID != "" {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"warning": wr, "unpublished_areas": o.PendingAreas()})
}

func (o *Office) apiLift(w http.ResponseWriter, r *http.Request, p Principal) {
	if !p.CanIssue() {
		forbidden(w, p, "lift warnings")
		return
	}
	var req LiftRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOfficeError(w, err)
		return
	}
	wr, err := o.Lift(r.Context(), r.PathValue("id"), req, actor(r, p))
	if err != nil {
		writeOfficeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"warning": wr, "unpublished_areas": o.PendingAreas()})
}
