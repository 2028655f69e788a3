// Package localinflux runs a local InfluxDB 1.8 process on a loopback port with Flux enabled,
// for the demo and the integration tests. It speaks the same v2 write and Flux query API as
// the production InfluxDB 2.x (bucket "db/rp").
package localinflux

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Database is the database created on start; the v2 bucket is Database + "/autogen".
const Database = "lantian"

// Server is a running influxd.
type Server struct {
	bin, dir, conf string
	httpPort       int
	// URL is the HTTP address, e.g. http://127.0.0.1:38086.
	URL string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *syncBuffer
}

// Bucket is the v2-API bucket of the database.
func (s *Server) Bucket() string { return Database + "/autogen" }

// Start writes a config under dir and starts influxd on free loopback ports.
func Start(bin, dir string) (*Server, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("influxd binary %s: %w (run `make tools` to build it)", bin, err)
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	rpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  flux-enabled = true
  log-enabled = false
  max-body-size = 0
[logging]
  level = "warn"
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
`, rpcPort, filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"), httpPort)
	s := &Server{bin: bin, dir: dir, conf: filepath.Join(dir, "influxdb.conf"), httpPort: httpPort,
		URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("influx dir: %w", err)
	}
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("write influx config: %w", err)
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	if _, err := s.InfluxQL("CREATE DATABASE " + Database); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the process (again, after Stop) on the same port and data.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	s.out = &syncBuffer{}
	cmd := exec.Command(s.bin, "-config", s.conf)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	// Own process group: Ctrl-C in a terminal reaches the demo, which stops influxd in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start influxd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := ping(s.URL + "/ping")
		if err == nil {
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("influxd exited on start: %s", s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("influxd not ready after 60s: %v: %s", err, s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.cmd, s.exited = cmd, exited
	return nil
}

// Stop stops influxd gracefully, or kills it after 15 s.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Log is what influxd printed since it last started.
func (s *Server) Log() string { return s.out.String() }

func ping(u string) error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return errors.New("ping: " + resp.Status)
	}
	return nil
}

// InfluxQL runs a statement against the database and returns the JSON answer.
func (s *Server) InfluxQL(q string) ([]byte, error) {
	resp, err := http.PostForm(s.URL+"/query", url.Values{"q": {q}, "db": {Database}})
	if err != nil {
		return nil, fmt.Errorf("influxql %q: %w", q, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("influxql %q: %w", q, err)
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"error"`)) {
		return body, fmt.Errorf("influxql %q: %s %s", q, resp.Status, body)
	}
	return body, nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
