package office

import (
	"net/http"
	"testing"
	"time"
)

func TestViewerLoginsDoNotEvictTheEmergencyOfficesSession(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	a, err := newAuthenticator([]Token{{Name: "office", Role: RoleEmergency, Secret: "emergency-secret"},
		{Name: "public", Role: RoleViewer, Secret: "viewer-secret"}}, time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	office, _, err := a.login("emergency-secret", true)
	if err != nil {
		t.Fatal(err)
	}
	var first *http.Cookie
	for i := range 1000 {
		now = now.Add(time.Millisecond)
		c, _, err := a.login("viewer-secret", true)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
	}
	authed := func(c *http.Cookie) bool {
		r, _ := http.NewRequest(http.MethodGet, "/warnings", nil)
		r.AddCookie(c)
		_, ok := a.fromRequest(r)
		return ok
	}
	if !authed(office) {
		t.Error("1000 viewer logins ended the emergency office's session")
	}
	if authed(first) {
		t.Error("the viewer token keeps more than its cap of sessions")
	}
	if n := len(a.sessions); n != 1+maxSessionsPerToken {
		t.Errorf("%d sessions, want the office's and %d viewer sessions", n, maxSessionsPerToken)
	}
}
