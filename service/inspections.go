package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"lantian/alert/office"
	"lantian/alert/source"
)

// InspectionsFile is the inspection register in data_dir (JSON lines, append-only: its own
// audit trail). `lantian sources report` reads it.
const InspectionsFile = "inspections.jsonl"

// sourceExtras are the parts of source monitoring beside the Monitor: the register of
// announced inspections and the tokens of its API.
type sourceExtras struct {
	inspections *source.InspectionStore
	tokens      apiTokens
}

func (x *sourceExtras) close() {
	if x != nil && x.inspections != nil {
		x.inspections.Close()
	}
}

// openInspections opens the register and takes the API tokens of the warnings section: the
// same people (大气办, enforcement) announce inspections and issue warnings.
func (s *Service) openInspections() error {
	tokens, err := s.resolveAPITokens()
	if err != nil {
		return fmt.Errorf("inspections API: %w", err)
	}
	st, err := source.OpenInspections(filepath.Join(s.cfg.DataDir, InspectionsFile))
	if err != nil {
		return err
	}
	s.srcx = &sourceExtras{inspections: st, tokens: tokens}
	return nil
}

// notices are the notices the drop_after_notice rule looks behind: warnings issued and
// inspections announced.
func (s *Service) notices() []source.Notice {
	out := s.warningNotices()
	if s.srcx != nil && s.srcx.inspections != nil {
		out = append(out, s.srcx.inspections.Notices()...)
	}
	return out
}

// sourcesHTTP adds the source-monitoring API: announced inspections (read with any token,
// recorded and withdrawn with an emergency token, as warnings are) and the coverage view.
func (s *Service) sourcesHTTP(mux *http.ServeMux) {
	if s.srcx == nil {
		return
	}
	x := s.srcx
	auth := func(write bool, h func(http.ResponseWriter, *http.Request, apiToken)) http.HandlerFunc {
		var roles []string
		if write {
			roles = []string{office.RoleEmergency}
		}
		return x.tokens.guard(s, "inspection", 1<<20, roles, "只有 emergency 角色可以登记检查 only the emergency role may record inspections", h)
	}
	mux.Handle("GET /api/v1/inspections", auth(false, func(w http.ResponseWriter, _ *http.Request, _ apiToken) {
		writeJSON(w, http.StatusOK, source.Inspections(x.inspections.Entries()))
	}))
	mux.Handle("GET /api/v1/inspections/audit", auth(false, func(w http.ResponseWriter, _ *http.Request, _ apiToken) {
		writeJSON(w, http.StatusOK, x.inspections.Entries())
	}))
	mux.Handle("POST /api/v1/inspections", auth(true, func(w http.ResponseWriter, r *http.Request, p apiToken) {
		// time is RFC 3339, or a local time without offset in the configured zone.
		var body struct {
			Source    string `json:"source"`
			Time      string `json:"time"`
			Reference string `json:"reference"`
			Note      string `json:"note"`
			Who       string `json:"who"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			writeAPIError(w, http.StatusBadRequest, fmt.Sprintf("请求格式错误 bad request body: %v", err))
			return
		}
		at, err := parseAPITime(body.Time, s.cfg.Location())
		if err != nil {
			writeAPIError(w, http.StatusBadRequest, fmt.Sprintf("time: %v", err))
			return
		}
		req := source.InspectionRequest{Source: body.Source, Time: at, Reference: body.Reference, Note: body.Note, Who: body.Who}
		known := func(id string) bool {
			for _, src := range s.cfg.Sources {
				if src.ID == id {
					return true
				}
			}
			return false
		}
		in, err := x.inspections.Announce(req, inspectionActor(r, p), time.Now(), s.cfg.Location(), known)
		if err != nil {
			writeAPIError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, in)
	}))
	mux.Handle("POST /api/v1/inspections/{id}/withdraw", auth(true, func(w http.ResponseWriter, r *http.Request, p apiToken) {
		var req struct {
			Note string `json:"note"`
			Who  string `json:"who"`
		}
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				writeAPIError(w, http.StatusBadRequest, fmt.Sprintf("请求格式错误 bad request body: %v", err))
				return
			}
		}
		by := inspectionActor(r, p)
		if req.Who != "" {
			by.Who = req.Who
		}
		in, err := x.inspections.Withdraw(r.PathValue("id"), req.Note, by, time.Now())
		switch {
		case errors.Is(err, source.ErrNoInspection):
			writeAPIError(w, http.StatusNotFound, err.Error())
		case err != nil:
			writeAPIError(w, http.StatusConflict, err.Error())
		default:
			writeJSON(w, http.StatusOK, in)
		}
	}))
	s.coverageHTTP(mux)
}

func inspectionActor(r *http.Request, p apiToken) source.InspectionActor {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return source.InspectionActor{Who: p.name, Token: p.name, Remote: host}
}

func writeAPIError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": http.StatusText(code), "reason": msg})
}

// coverageHTTP adds GET /api/v1/sources/coverage (coverage.go of alert/source).
func (s *Service) coverageHTTP(mux *http.ServeMux) {
	if s.sources == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/sources/coverage", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.sources.Coverage())
	})
	mux.HandleFunc("GET /sources/coverage", s.handleCoveragePage)
}

// parseAPITime reads RFC 3339, or YYYY-MM-DDTHH:MM[:SS] (or with a space) in loc; empty is
// the zero time.
func parseAPITime(v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 or YYYY-MM-DDTHH:MM in %s", v, loc)
}
