package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"lantian/alert/notify"
)

// TestCredentialsAreSentButNeverShown: a password in the URL, a basic-auth password file and
// a bearer-token file reach Alertmanager, and none of them appears in the metrics, the log
// lines or the errors, also when delivery fails.
func TestCredentialsAreSentButNeverShown(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	dir := t.TempDir()
	pwFile, tokFile := filepath.Join(dir, "am.pw"), filepath.Join(dir, "am.token")
	if err := os.WriteFile(pwFile, []byte("BASICSECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokFile, []byte("TOKENSECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	inURL := strings.Replace(srv.URL, "http://", "http://am:URLSECRET@", 1)
	dead := "http://am:DEADSECRET@127.0.0.1:1" // nothing listens: delivery fails and is logged
	logs := &lockedBuffer{}
	reg := prometheus.NewRegistry()
	cases := []notify.Config{
		{URLs: []string{inURL, dead}, MaxAttempts: 1, RetryInterval: time.Millisecond, Component: "url"},
		{URLs: []string{srv.URL}, BasicAuth: notify.BasicAuth{Username: "lantian", PasswordFile: pwFile}, Component: "basic"},
		{URLs: []string{srv.URL}, BearerTokenFile: tokFile, Component: "bearer"},
	}
	for _, cfg := range cases {
		if err := withDefaults(cfg).Validate(); err != nil {
			t.Fatalf("%s: %v", cfg.Component, err)
		}
		c, err := notify.New(cfg, reg, slog.New(slog.NewTextHandler(logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		c.Notify(notify.Alert{Labels: map[string]string{"alertname": "t"}})
		deadline := time.Now().Add(10 * time.Second)
		for (value(c.SentCounter(cfg.URLs[0])) < 1 || len(cfg.URLs) > 1 && !strings.Contains(logs.String(), "alerts not delivered")) &&
			time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
	}
	mu.Lock()
	got := strings.Join(auths, "|")
	mu.Unlock()
	for _, want := range []string{"Basic YW06VVJMU0VDUkVU", "Basic bGFudGlhbjpCQVNJQ1NFQ1JFVA==", "Bearer TOKENSECRET"} {
		if !strings.Contains(got, want) {
			t.Errorf("Alertmanager did not receive %q; got %q", want, got)
		}
	}
	var metrics bytes.Buffer
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&metrics, mf); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(logs.String(), "alerts not delivered") {
		t.Errorf("the failed delivery was not logged:\n%s", logs.String())
	}
	bad := notify.Config{URLs: []string{"http://am:PARSESECRET@[::1"}}
	errText := fmt.Sprint(withDefaults(bad).Validate())
	for _, secret := range []string{"URLSECRET", "DEADSECRET", "BASICSECRET", "TOKENSECRET", "PARSESECRET"} {
		for name, text := range map[string]string{"metrics": metrics.String(), "log": logs.String(), "config error": errText} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows %s:\n%s", name, secret, text)
			}
		}
	}
}

func withDefaults(c notify.Config) notify.Config {
	d := notify.DefaultConfig()
	d.URLs, d.BasicAuth, d.BearerTokenFile, d.MaxAttempts = c.URLs, c.BasicAuth, c.BearerTokenFile, max(c.MaxAttempts, 1)
	return d
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
