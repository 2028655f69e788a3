package office

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Roles of API tokens.
const (
	// RoleEmergency may issue, change and lift warnings, and post forecasts (大气办).
	RoleEmergency = "emergency"
	// RoleForecaster may post forecasts and read.
	RoleForecaster = "forecaster"
	// RoleViewer may read.
	RoleViewer = "viewer"
)

// Token is an API token with its role. Secret is never logged or shown.
type Token struct {
	Name, Role, Secret string
}

// Principal is who makes a request.
type Principal struct {
	Name, Role string
	// csrf is the form token of a console session (empty for bearer tokens, which browsers do
	// not send by themselves and so need none).
	csrf string
}

// CanIssue reports whether the principal may issue, change and lift warnings.
func (p Principal) CanIssue() bool { return p.Role == RoleEmergency }

// CanForecast reports whether the principal may post forecasts.
func (p Principal) CanForecast() bool { return p.Role == RoleEmergency || p.Role == RoleForecaster }

type tokenEntry struct {
	name, role string
	digest     [sha256.Size]byte
}

type session struct {
	p       Principal
	expires time.Time
}

// authenticator checks bearer tokens and console sessions.
type authenticator struct {
	tokens []tokenEntry
	ttl    time.Duration
	now    func() time.Time

	mu       sync.Mutex
	sessions map[string]session
}

// maxSessionsPerToken bounds the sessions of one token; a login beyond it ends that token's
// oldest session, never another token's (a thousand viewer logins must not log the
// emergency office out). maxSessions bounds the table as a whole as a last resort.
const (
	maxSessionsPerToken = 50
	maxSessions         = 100000
)

func newAuthenticator(tokens []Token, ttl time.Duration, now func() time.Time) (*authenticator, error) {
	a := &authenticator{ttl: ttl, now: now, sessions: map[string]session{}}
	for _, t := range tokens {
		switch t.Role {
		case RoleEmergency, RoleForecaster, RoleViewer:
		default:
			return nil, fmt.Errorf("office: token %s: unknown role %q", t.Name, t.Role)
		}
		if t.Name == "" || t.Secret == "" {
			return nil, errors.New("office: a token needs a name and a secret")
		}
		a.tokens = append(a.tokens, tokenEntry{name: t.Name, role: t.Role, digest: sha256.Sum256([]byte(t.Secret))})
	}
	return a, nil
}

// lookup finds a token in constant time with respect to its value: digests of equal length are
// compared, and every entry is looked at.
func (a *authenticator) lookup(secret string) (Principal, bool) {
	if secret == "" {
		return Principal{}, false
	}
	d := sha256.Sum256([]byte(secret))
	a.mu.Lock()
	tokens := a.tokens
	a.mu.Unlock()
	var found Principal
	ok := false
	for _, t := range tokens {
		if subtle.ConstantTimeCompare(d[:], t.digest[:]) == 1 {
			found, ok = Principal{Name: t.name, Role: t.role}, true
		}
	}
	return found, ok
}

const sessionCookie = "lantian_warnings_session"

// fromRequest authenticates a request by bearer token or session cookie.
func (a *authenticator) fromRequest(r *http.Request) (Principal, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return Principal{}, false
		}
		return a.lookup(strings.TrimSpace(tok))
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return Principal{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[c.Value]
	if !ok {
		return Principal{}, false
	}
	if a.now().After(s.expires) {
		delete(a.sessions, c.Value)
		return Principal{}, false
	}
	return s.p, true
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// login starts a console session for a token and returns the cookie to set.
func (a *authenticator) login(secret string, secure bool) (*http.Cookie, Principal, error) {
	p, ok := a.lookup(strings.TrimSpace(secret))
	if !ok {
		return nil, Principal{}, errors.New("unknown token")
	}
	id, err := randomHex(32)
	if err != nil {
		return nil, Principal{}, err
	}
	if p.csrf, err = randomHex(16); err != nil {
		return nil, Principal{}, err
	}
	now := a.now()
	a.mu.Lock()
	for k, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
	for {
		mine, oldest := 0, ""
		for k, s := range a.sessions {
			if s.p.Name == p.Name {
				mine++
				if oldest == "" || s.expires.Before(a.sessions[oldest].expires) {
					oldest = k
				}
			}
		}
		if oldest == "" || mine < maxSessionsPerToken && len(a.sessions) < maxSessions {
			break
		}
		delete(a.sessions, oldest)
	}
	a.sessions[id] = session{p: p, expires: now.Add(a.ttl)}
	a.mu.Unlock()
	// SameSite=Strict keeps the cookie off cross-site requests; the form token covers the rest.
	return &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(a.ttl / time.Second)}, p, nil
}

func (a *authenticator) logout(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
}

// checkCSRF compares a form's token with the session's.
func (p Principal) checkCSRF(form string) bool {
	return p.csrf != "" && subtle.ConstantTimeCompare([]byte(form), []byte(p.csrf)) == 1
}

// SetTokens replaces the API tokens (token rotation without a restart); sessions of the
// console already open stay valid until they expire.
func (o *Office) SetTokens(tokens []Token) error {
	a, err := newAuthenticator(tokens, o.opts.SessionTTL, o.opts.Now)
	if err != nil {
		return err
	}
	o.auth.mu.Lock()
	defer o.auth.mu.Unlock()
	o.auth.tokens = a.tokens
	return nil
}
