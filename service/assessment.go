package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"lantian/alert/dust"
	"lantian/alert/office"
	"lantian/ingest/registry"
)

// assessmentAPI serves the sand-dust periods (docs/assessment.md "Sand-dust deduction"):
//
//	GET  /api/v1/dust-periods               every period, withdrawn ones included (any token)
//	POST /api/v1/dust-periods               enter one: {"areas":[…],"from":…,"to":…,"note":…}
//	POST /api/v1/dust-periods/import        a notice CSV (from,to,areas,note) as the body
//	POST /api/v1/dust-periods/{id}/withdraw {"reason":…}
//
// Entering and withdrawing need a bearer token of role emergency or forecaster (the warnings
// section's tokens); the token's name is recorded as who did it.
type assessmentAPI struct {
	store  *dust.Store
	tokens apiTokens
}

// openDust opens the sand-dust periods (data_dir/dust-periods.jsonl plus the sand_dust
// section) and resolves the API tokens. Entering or withdrawing a period makes the assessor
// recompute the year.
func (s *Service) openDust() (*assessmentAPI, error) {
	api := &assessmentAPI{}
	var err error
	if api.tokens, err = s.resolveAPITokens(); err != nil {
		return nil, fmt.Errorf("sand-dust API: %w", err)
	}
	api.store, err = dust.Open(dust.Options{
		Path: filepath.Join(s.cfg.DataDir, "dust-periods.jsonl"),
		Known: func(id string) bool {
			a, ok := s.cfg.Registry.Area(id)
			return ok && a.Kind != registry.Region
		},
		Config: s.cfg.SandDust.Periods,
		Zone:   s.cfg.Location(),
		OnChange: func() {
			if s.assessor != nil {
				s.assessor.Reassess()
			}
		},
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}

func (s *Service) assessmentHTTP(mux *http.ServeMux) {
	a := s.dust
	if a == nil {
		return
	}
	guard := func(enter bool, h func(w http.ResponseWriter, r *http.Request, who string)) http.HandlerFunc {
		var roles []string
		if enter {
			roles = []string{office.RoleEmergency, office.RoleForecaster}
		}
		return a.tokens.guard(s, "sand-dust", 4<<20, roles, "录入或撤销沙尘时段需要 emergency 或 forecaster 角色的令牌",
			func(w http.ResponseWriter, r *http.Request, p apiToken) { h(w, r, p.name) })
	}
	fail := func(w http.ResponseWriter, err error) {
		var re *dust.RequestError
		switch {
		case errors.As(err, &re):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "reason": "bad_request"})
		case errors.Is(err, dust.ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error(), "reason": "not_found"})
		default:
			s.log.Error("sand-dust periods", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error(), "reason": "internal"})
		}
	}
	mux.HandleFunc("GET /api/v1/dust-periods", guard(false, func(w http.ResponseWriter, _ *http.Request, _ string) {
		writeJSON(w, http.StatusOK, a.store.List())
	}))
	mux.HandleFunc("POST /api/v1/dust-periods", guard(true, func(w http.ResponseWriter, r *http.Request, who string) {
		var req dust.Request
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			fail(w, &dust.RequestError{Err: fmt.Errorf("body: %w", err)})
			return
		}
		p, err := a.store.Add(r.Context(), req, dust.SourceAPI, who)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, p)
	}))
	mux.HandleFunc("POST /api/v1/dust-periods/import", guard(true, func(w http.ResponseWriter, r *http.Request, who string) {
		n, err := a.store.Import(r.Context(), r.Body, "body", who)
		if err != nil {
			var re *dust.RequestError
			if !errors.As(err, &re) {
				err = &dust.RequestError{Err: err}
			}
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "reason": "bad_request", "imported": n})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]int{"imported": n})
	}))
	mux.HandleFunc("POST /api/v1/dust-periods/{id}/withdraw", guard(true, func(w http.ResponseWriter, r *http.Request, who string) {
		var req struct {
			Reason string `json:"reason"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fail(w, &dust.RequestError{Err: fmt.Errorf("body: %w", err)})
			return
		}
		p, err := a.store.Withdraw(r.Context(), r.PathValue("id"), who, req.Reason)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	}))
}
