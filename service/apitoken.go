package service

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// apiToken is one bearer token of the warnings section, kept only as a digest: the APIs beside
// the warning office (sand-dust periods, announced inspections) are used by the same people
// (大气办, enforcement) and authenticate with the same tokens.
type apiToken struct {
	name, role string
	digest     [sha256.Size]byte
}

type apiTokens []apiToken

func (s *Service) resolveAPITokens() (apiTokens, error) {
	resolved, err := s.cfg.Warnings.ResolveTokens()
	if err != nil {
		return nil, fmt.Errorf("API tokens: %w", err)
	}
	out := make(apiTokens, 0, len(resolved))
	for _, t := range resolved {
		out = append(out, apiToken{name: t.Name, role: t.Role, digest: sha256.Sum256([]byte(t.Token.Reveal()))})
	}
	return out, nil
}

// principal authenticates a bearer token; every token is compared so the time taken says
// nothing about which one (or how much of one) matched.
func (ts apiTokens) principal(r *http.Request) (apiToken, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return apiToken{}, false
	}
	d := sha256.Sum256([]byte(tok))
	var found apiToken
	ok = false
	for _, t := range ts {
		if subtle.ConstantTimeCompare(d[:], t.digest[:]) == 1 {
			found, ok = t, true
		}
	}
	return found, ok
}

// guard wraps an API handler: 401 without a valid token, 403 when the request changes
// something (writeRoles non-empty) and the token's role is not among writeRoles; the body is
// capped at maxBody. what names the API in the request log.
func (ts apiTokens) guard(s *Service, what string, maxBody int64, writeRoles []string, forbidden string,
	h func(http.ResponseWriter, *http.Request, apiToken)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := ts.principal(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lantian"`)
			writeAPIError(w, http.StatusUnauthorized, "需要有效的令牌 (Authorization: Bearer TOKEN)")
			return
		}
		if len(writeRoles) > 0 && !slices.Contains(writeRoles, p.role) {
			writeAPIError(w, http.StatusForbidden, forbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h(w, r, p)
		s.log.Info(what+" API request", "method", r.Method, "path", r.URL.Path, "who", p.name, "role", p.role)
	}
}
