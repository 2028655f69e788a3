// Package localinflux runs a local InfluxDB 1.8 process on a loopback port with Flux enabled,
// for the demo and the integration tests. It speaks the same v2 write and Flux query API as
// the production InfluxDB 2.x (bucket "db/rp").
package localinflux

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"lantian/internal/devenv/localproc"
)

// Database is the database created on start; the v2 bucket is Database + "/autogen".
const Database = "lantian"

// Server is a running influxd.
type Server struct {
	*localproc.Process
	// URL is the HTTP address, e.g. http://127.0.0.1:38086.
	URL string
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
	confPath := filepath.Join(dir, "influxdb.conf")
	url := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	s := &Server{URL: url, Process: &localproc.Process{Name: "influxd", Bin: bin, Args: []string{"-config", confPath},
		Ready: localproc.HTTPReady(url + "/ping")}}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("influx dir: %w", err)
	}
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
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
