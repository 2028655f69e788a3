// Package notifytest starts a real Alertmanager for tests, on free loopback ports with its own
// storage and clustering off, and reads back the alerts it holds. A missing binary fails the
// test: a test that quietly skips would hide the failures it exists to find.
package notifytest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"lantian/internal/devenv/localproc"
	"lantian/internal/devenv/testenv"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Binary is where Debian installs Alertmanager; $LANTIAN_ALERTMANAGER overrides it.
const Binary = "/usr/bin/prometheus-alertmanager"

// Alertmanager is a running Alertmanager.
type Alertmanager struct {
	// URL is the base URL to configure clients with.
	URL string
	*localproc.Process
}

// minimalConfig routes everything to a receiver that notifies nobody: tests read the alerts
// back through the API instead.
const minimalConfig = `route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
`

// Start starts Alertmanager and waits until it is ready; it is stopped when the test ends.
func Start(t testing.TB) *Alertmanager {
	t.Helper()
	bin := os.Getenv("LANTIAN_ALERTMANAGER")
	if bin == "" {
		bin = Binary
		if _, err := os.Stat(bin); err != nil {
			if p, err := exec.LookPath("alertmanager"); err == nil {
				bin = p
			}
		}
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("alertmanager not found at %s (install prometheus-alertmanager or set LANTIAN_ALERTMANAGER): %v", bin, err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(conf, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	am := &Alertmanager{URL: "http://" + addr, Process: &localproc.Process{Name: "alertmanager", Bin: bin,
		Args: []string{"--config.file=" + conf, "--storage.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr, "--cluster.listen-address=", "--log.level=warn"},
		Ready: localproc.HTTPReady("http://" + addr + "/-/ready")}}
	if err := am.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(am.Stop)
	return am
}

// Alert is an alert as Alertmanager reports it.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// Alerts returns the alerts Alertmanager holds as active (GET /api/v2/alerts): resolved
// alerts are not listed.
func (am *Alertmanager) Alerts(ctx context.Context) ([]Alert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, am.URL+"/api/v2/alerts", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get alerts: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get alerts: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var out []Alert
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode alerts: %w: %s", err, body)
	}
	return out, nil
}
