// Package testenv starts the real services integration tests run against: InfluxDB 1.8.10 and
// Mosquitto, each on free loopback ports with its own temporary data, stopped when the test
// ends. A missing binary fails the test: `make test` installs them, and a test that quietly
// skips would hide exactly the failures it exists to find.
package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"lantian/internal/devenv/localinflux"
	"lantian/internal/devenv/localproc"
)

// RepoRoot is the repository root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// findBinary looks in the environment variable, then the listed paths, then PATH.
func findBinary(t testing.TB, env string, paths []string, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s not found (set %s, or run `make tools`, which `make test` does first)", name, env)
	return ""
}

// Process is a service started by a test, restartable on the same ports and data.
type Process struct {
	*localproc.Process
	t    testing.TB
	port int
}

// Start starts a stopped process again.
func (p *Process) Start() {
	p.t.Helper()
	if err := p.Process.Start(); err != nil {
		p.t.Fatal(err)
	}
}

// Restart starts the process again on the same port and data.
func (p *Process) Restart() {
	p.t.Helper()
	if err := p.Process.Restart(); err != nil {
		p.t.Fatal(err)
	}
}

// Port is the service's main port.
func (p *Process) Port() int { return p.port }

// Influx is a running InfluxDB 1.8 with Flux enabled and a database "lantian".
type Influx struct {
	*localinflux.Server
	t testing.TB
	// Bucket is the v2-API bucket of the test database.
	Bucket string
}

// StartInflux starts InfluxDB 1.8.10 from tools/bin/influxd (or $LANTIAN_INFLUXD).
func StartInflux(t testing.TB) *Influx {
	t.Helper()
	bin := findBinary(t, "LANTIAN_INFLUXD", []string{filepath.Join(RepoRoot(), "tools", "bin", "influxd")}, "influxd")
	srv, err := localinflux.Start(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return &Influx{Server: srv, t: t, Bucket: srv.Bucket()}
}

// Start starts a stopped InfluxDB again on the same port and data.
func (in *Influx) Start() {
	in.t.Helper()
	if err := in.Server.Start(); err != nil {
		in.t.Fatal(err)
	}
}

// Count returns the number of points in measurement that have field (0 if none).
func (in *Influx) Count(t testing.TB, measurement, field, where string) int {
	t.Helper()
	q := fmt.Sprintf(`SELECT count(%q) FROM %q`, field, measurement)
	if where != "" {
		q += " WHERE " + where
	}
	body, err := in.InfluxQL(q)
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	var answer struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("count: %v: %s", err, body)
	}
	if len(answer.Results) == 0 || len(answer.Results[0].Series) == 0 || len(answer.Results[0].Series[0].Values) == 0 {
		return 0
	}
	n, ok := answer.Results[0].Series[0].Values[0][1].(float64)
	if !ok {
		t.Fatalf("count: cannot read %s", body)
	}
	return int(n)
}

// Mosquitto is a running Mosquitto broker with persistence and queues that do not drop.
type Mosquitto struct {
	*Process
	URL string
}

// MosquittoConf is the broker configuration tests use. It is the same as deploy/mosquitto.conf
// in what matters for delivery: persistence, a wide but bounded in-flight window, queues far above the defaults
// (max_queued_messages 1000 silently drops QoS 1 messages for a subscriber that falls behind).
func MosquittoConf(port int, dataDir string) string {
	// Started as root, Mosquitto drops to the "mosquitto" user unless told otherwise, and then
	// cannot write its persistence file into a test's temporary folder: it would lose every
	// session on restart, silently. As any other user the setting is ignored.
	runAs := "root"
	if u, err := user.Current(); err == nil {
		runAs = u.Username
	}
	return fmt.Sprintf(`user %s
listener %d 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
autosave_interval 10
max_inflight_messages 10000
max_queued_messages 5000000
max_queued_bytes 0
max_packet_size 4194304
set_tcp_nodelay true
log_type error
log_type warning
`, runAs, port, dataDir)
}

// StartMosquitto starts a Mosquitto broker (from PATH or $LANTIAN_MOSQUITTO).
func StartMosquitto(t testing.TB) *Mosquitto {
	t.Helper()
	bin := findBinary(t, "LANTIAN_MOSQUITTO", []string{"/usr/sbin/mosquitto"}, "mosquitto")
	dir := t.TempDir()
	port := FreePort(t)
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(MosquittoConf(port, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	m := &Mosquitto{URL: "tcp://" + addr}
	m.Process = &Process{t: t, port: port, Process: &localproc.Process{Name: "mosquitto", Bin: bin, Args: []string{"-c", confPath},
		Ready: func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				return err
			}
			return c.Close()
		}}}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}

// Eventually polls cond until it returns nil or the timeout passes, then fails with its error.
// Tests wait for outcomes this way instead of sleeping a fixed time.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ErrNotYet is a convenience for Eventually conditions.
var ErrNotYet = errors.New("not yet")

// WithTimeout is a context for one test step.
func WithTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
