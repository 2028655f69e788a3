package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"lantian/ingest/schema"
	"lantian/internal/devenv/localinflux"
)

// process is a child process the bench started and stops.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	logf   *os.File
}

// startProcess starts bin in its own process group (so that Ctrl-C in a terminal reaches only
// the bench, which then stops its children in order), with output to logPath.
func startProcess(name, bin string, args []string, logPath string, env []string) (*process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, exited: make(chan struct{}), logf: logf}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// alive reports an error if the process has exited.
func (p *process) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited: %s; log tail:\n%s", p.name, p.cmd.ProcessState, p.logTail(2000))
	default:
		return nil
	}
}

// stop sends SIGTERM and waits, killing the process after grace.
func (p *process) stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		slog.Warn("process did not stop in time; killing it", "name", p.name, "grace", grace)
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.logf.Close()
}

func (p *process) logTail(n int) string {
	b, err := os.ReadFile(p.logf.Name())
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// mosquittoConf mirrors deploy/mosquitto.conf in everything that matters for delivery and
// speed: persistence, an in-flight window of 10000, queues far above the backlog, autosave
// every 60 s.
// (testenv.MosquittoConf is the same with a 10 s autosave, which tests want and a bureau's
// broker does not.)
func mosquittoConf(port int, dataDir string) string {
	return fmt.Sprintf(`listener %d 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
autosave_interval 60
max_inflight_messages 10000
max_queued_messages 5000000
max_queued_bytes 0
message_size_limit 1048576
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
`, port, dataDir)
}

// services are the broker and the database every subscriber runs against.
type services struct {
	mosq      *process
	mqttURL   string
	influx    *localinflux.Server
	influxPID int
}

func startServices(ctx context.Context, dir, mosquittoBin, influxdBin string) (*services, error) {
	s := &services{}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mdir := filepath.Join(dir, "mosquitto")
	if err := os.MkdirAll(mdir, 0o750); err != nil {
		return nil, fmt.Errorf("mosquitto dir: %w", err)
	}
	conf := filepath.Join(mdir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(mosquittoConf(port, mdir)), 0o600); err != nil {
		return nil, fmt.Errorf("write mosquitto config: %w", err)
	}
	if s.mosq, err = startProcess("mosquitto", mosquittoBin, []string{"-c", conf}, filepath.Join(mdir, "mosquitto.log"), nil); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.mqttURL = "tcp://" + addr
	if err := waitFor(ctx, 30*time.Second, func() error {
		if err := s.mosq.alive(); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	}); err != nil {
		s.stop()
		return nil, fmt.Errorf("mosquitto not ready: %w", err)
	}
	if s.influx, err = localinflux.Start(influxdBin, filepath.Join(dir, "influxdb")); err != nil {
		s.stop()
		return nil, fmt.Errorf("start influxdb: %w", err)
	}
	if s.influxPID, err = childByName("influxd"); err != nil {
		s.stop()
		return nil, fmt.Errorf("find influxd pid: %w", err)
	}
	return s, nil
}

func (s *services) stop() {
	if s.influx != nil {
		s.influx.Stop()
	}
	if s.mosq != nil {
		s.mosq.stop(30 * time.Second)
	}
}

// resetDatabase drops and recreates the database, so every run starts from an empty one and
// its point count can be checked exactly.
func (s *services) resetDatabase() error {
	if _, err := s.influx.InfluxQL("DROP DATABASE " + localinflux.Database); err != nil {
		return fmt.Errorf("reset database: %w", err)
	}
	if _, err := s.influx.InfluxQL("CREATE DATABASE " + localinflux.Database); err != nil {
		return fmt.Errorf("reset database: %w", err)
	}
	return nil
}

// countPoints is the number of bench readings stored: points of measurement air with a pm25
// field and of the outlets' measurement with a dust field, which every bench reading has. The
// outlets' measurement is emission for Lantian and the channel pipeline, source (the topic
// level) for Telegraf.
func (s *services) countPoints() (int64, error) {
	var total int64
	for _, m := range [][2]string{{schema.Air, "pm25"}, {schema.Emission, "dust"}, {"source", "dust"}} {
		n, err := s.count(m[0], m[1])
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (s *services) count(measurement, field string) (int64, error) {
	body, err := s.influx.InfluxQL(fmt.Sprintf(`SELECT count(%q) FROM %q`, field, measurement))
	if err != nil {
		return 0, fmt.Errorf("count points: %w", err)
	}
	var answer struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return 0, fmt.Errorf("count points: %w: %s", err, body)
	}
	if len(answer.Results) == 0 || len(answer.Results[0].Series) == 0 || len(answer.Results[0].Series[0].Values) == 0 {
		return 0, nil
	}
	row := answer.Results[0].Series[0].Values[0]
	if len(row) < 2 {
		return 0, fmt.Errorf("count points: unexpected answer %s", body)
	}
	n, ok := row[1].(float64)
	if !ok {
		return 0, fmt.Errorf("count points: unexpected answer %s", body)
	}
	return int64(n), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls cond every 50 ms until it returns nil, the timeout passes or ctx ends.
func waitFor(ctx context.Context, timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
