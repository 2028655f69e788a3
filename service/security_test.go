package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lantian/ingest/deadletter"
	"lantian/ingest/hj212"
	"lantian/internal/devenv/testenv"
	"lantian/service"
	"lantian/service/config"
)

// fkMN is the MN of station fk-01, which has no hj212.devices entry in these tests.
const fkMN = "FUKANG000000000000000001"

// logBuffer keeps every log line of a service for tests that read the log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	t   *testing.T
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.t.Log(strings.TrimRight(string(p), "\n"))
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLogged is startService with every line (debug and up) kept in the returned buffer.
func startLogged(t *testing.T, cfg config.Config) (*running, *logBuffer) {
	t.Helper()
	logs := &logBuffer{t: t}
	svc, err := service.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	testenv.Eventually(t, 20*time.Second, func() error {
		if ok, why := svc.Ready(); !ok {
			return fmt.Errorf("not ready: %v", why)
		}
		return nil
	})
	return r, logs
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// authConfig: cj-01's logger has its password in a file named by a devices file, fk-01 has an
// MN and no credentials at all.
func authConfig(t *testing.T, mqttURL, influxURL, clientID string) config.Config {
	t.Helper()
	cfg := testConfig(t, mqttURL, influxURL, clientID)
	cfg.Stations[0].MN = airMN
	cfg.Stations[2].MN = fkMN
	cfg.HJ212.Listen = "127.0.0.1:0"
	pwFile := writeFile(t, "cj01.pw", "s3cret-cj01\n")
	cfg.HJ212.DevicesFile = writeFile(t, "devices.yaml", fmt.Sprintf("- {mn: %q, password_file: %q}\n", airMN, pwFile))
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sendRaw writes pkt and returns the reply frame, or nil when the connection ended first.
func (l *logger) sendRaw(pkt []byte) []byte {
	if _, err := l.conn.Write(pkt); err != nil {
		return nil
	}
	_ = l.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	reply, err := l.replies.Next()
	if err != nil {
		return nil
	}
	return reply
}

func TestDeviceWithoutPasswordIsRefusedOverTCPAndMQTT(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := authConfig(t, mosq.URL, influx.URL, "lantian-test-auth")
	run := startService(t, cfg)
	lg := dialLogger(t, run.svc.HJ212Addr)
	hour := time.Now().Add(-2 * time.Hour).Truncate(time.Hour)

	// fk-01 has an MN but no password: PW=whatever must not get in, over TCP or MQTT.
	if cn := lg.send(packet(t, "22", "2061", "whatever", fkMN, hour, "a34004-Avg=77,a34004-Flag=N"), 1<<10); cn != "9011" {
		t.Errorf("device without a password: reply CN %q, want 9011", cn)
	}
	pub := newPublisher(t, mosq.URL, "pub-auth")
	pub.publish("lantian/hj212/"+fkMN, packet(t, "22", "2061", "whatever", fkMN, hour.Add(time.Hour), "a34004-Avg=78,a34004-Flag=N"))

	// An unknown MN and a wrong password get the same answer: QnRtn=3 both.
	replyRtn := func(pkt []byte) string {
		r := lg.sendRaw(pkt)
		p, err := hj212.Parse(r)
		if err != nil {
			t.Fatalf("reply %q: %v", r, err)
		}
		rtn, _ := p.Param("QnRtn")
		return p.CN + " QnRtn=" + rtn
	}
	unknown := replyRtn(packet(t, "22", "2061", "s3cret-cj01", "NOSUCHMN0000000000000009", hour, "a34004-Avg=1"))
	wrong := replyRtn(packet(t, "22", "2061", "guess", airMN, hour, "a34004-Avg=1"))
	if unknown != wrong || wrong != "9011 QnRtn=3" {
		t.Errorf("unknown MN answered %q, wrong password %q: want the same 9011 QnRtn=3", unknown, wrong)
	}
	// The password from the file works.
	if cn := lg.send(packet(t, "22", "2061", "s3cret-cj01", airMN, hour, "a34004-Avg=35,a34004-Flag=N"), 1<<10); cn != "9014" {
		t.Errorf("password from password_file: reply CN %q, want 9014", cn)
	}

	testenv.Eventually(t, 20*time.Second, func() error {
		if n := influx.Count(t, "air", "pm25", `"station"='cj-01'`); n != 1 {
			return fmt.Errorf("%d cj-01 readings, want 1", n)
		}
		noCred := 0
		for _, e := range readDeadLetters(t, filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName)) {
			if strings.Contains(e.Error, "no password configured") {
				noCred++
			}
		}
		if noCred != 2 {
			return fmt.Errorf("%d dead letters for the device without a password, want 2 (TCP and MQTT)", noCred)
		}
		return nil
	})
	if n := influx.Count(t, "air", "pm25", `"station"='fk-01'`); n != 0 {
		t.Errorf("%d readings of the device without a password stored", n)
	}
	metrics := scrape(t, run.svc.HTTPAddr)
	for _, want := range []string{`lantian_hj212_logins_refused_total{reason="no_credentials"} 1`,
		`lantian_hj212_logins_refused_total{reason="unknown_device"} 1`, `lantian_hj212_logins_refused_total{reason="password"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, mn := range []string{fkMN, "NOSUCHMN0000000000000009"} {
		if strings.Contains(metrics, mn) {
			t.Errorf("metrics name the MN %s of a device that did not log in", mn)
		}
	}
}

func TestConfigListsDevicesWithoutCredentials(t *testing.T) {
	cfg := authConfig(t, "tcp://127.0.0.1:1", "http://127.0.0.1:1", "x")
	if got := cfg.HJ212.WithoutCredentials([]string{airMN, fkMN}); len(got) != 1 || got[0] != fkMN {
		t.Errorf("devices without credentials %v, want [%s]", got, fkMN)
	}
}

// gatewayLimitsConfig: 5 connections in all, 2 per address, 2 s without a valid frame, 5 bad
// frames in a row.
func gatewayLimitsConfig(t *testing.T, mqttURL, influxURL, clientID string) config.Config {
	t.Helper()
	cfg := hj212Config(t, mqttURL, influxURL, clientID)
	cfg.HJ212.MaxConnections, cfg.HJ212.MaxConnectionsPerIP = 5, 2
	cfg.HJ212.IdleTimeout, cfg.HJ212.MaxBadFrames = 2*time.Second, 5
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// closedWithin reports whether the server closes c within d (reads see EOF or a reset).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		return !errors.As(err, &ne) || !ne.Timeout()
	}
}

func TestGatewayLimitsKeepRealLoggersServed(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := gatewayLimitsConfig(t, mosq.URL, influx.URL, "lantian-test-limits")
	run, logs := startLogged(t, cfg)
	addr := run.svc.HJ212Addr
	hour := time.Now().Add(-2 * time.Hour).Truncate(time.Hour)

	t.Run("idle sockets of one host do not lock out a logger", func(t *testing.T) {
		// Five idle sockets from another address (all of 127/8 is loopback).
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		var idle []net.Conn
		for range 5 {
			c, err := d.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			idle = append(idle, c)
		}
		closed := 0
		for _, c := range idle[2:] {
			if closedWithin(c, time.Second) {
				closed++
			}
		}
		if closed != 3 {
			t.Errorf("%d of the 3 sockets beyond the per-address cap were closed", closed)
		}
		lg := dialLogger(t, addr)
		if cn := lg.send(packet(t, "22", "2061", "123456", airMN, hour, "a34004-Avg=35,a34004-Flag=N"), 1<<10); cn != "9014" {
			t.Errorf("real logger beside 5 idle sockets: reply CN %q, want 9014", cn)
		}
		for _, c := range idle {
			c.Close()
		}
	})

	t.Run("a trickle of junk does not renew the idle timeout", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(300 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		if !closedWithin(c, 10*time.Second) {
			t.Fatalf("a connection sending one junk byte every 300 ms is still open after 10 s (idle_timeout 2s)")
		}
		if el := time.Since(start); el < 2*time.Second {
			t.Errorf("closed after %v, before the idle timeout", el)
		}
	})

	t.Run("a flood of bad frames closes the connection and writes few lines", func(t *testing.T) {
		before := strings.Count(logs.String(), "level=WARN")
		bad := packet(t, "22", "2011", "123456", airMN, hour, "a34004-Rtd=99,a34004-Flag=N")
		bad[len(bad)-3] ^= 0x01
		flood := bytes.Repeat(bad, 3000)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		go func() { _, _ = c.Write(flood) }()
		if !closedWithin(c, 10*time.Second) {
			t.Fatal("a connection sending 3000 bad-CRC frames is still open")
		}
		if n := strings.Count(logs.String(), "level=WARN") - before; n > 5 {
			t.Errorf("%d WARN lines for a flood of bad frames, want a handful", n)
		}
		if m := scrape(t, run.svc.HTTPAddr); !strings.Contains(m, `lantian_hj212_connections_closed_total{reason="bad_frames"} 1`) {
			t.Errorf("metrics lack the connection closed for bad frames")
		}
	})
}

func TestEmptyTopicLevelsAndUnsafeIDsAreRefused(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-ids")
	cfg.Ingest.AcceptUnknownStations = true
	startService(t, cfg)
	pub := newPublisher(t, mosq.URL, "pub-ids")
	ts := time.Now().Add(-time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	payload := func(station string) []byte {
		return fmt.Appendf(nil, `{"station":%q,"time":%q,"period":"1h","pm25":33}`, station, ts)
	}
	pub.publish("lantian/air/", payload("cj-01"))                        // empty last level: no topic check
	pub.publish("lantian/air/$(id)<b>", payload("$(id)<b>"))             // unknown station with markup
	pub.publish("lantian/air/${x}", payload("${x}"))                     // template syntax
	pub.publish("lantian/air/new-station_01", payload("new-station_01")) // a safe unknown id is still accepted
	testenv.Eventually(t, 20*time.Second, func() error {
		var reasons []string
		for _, e := range readDeadLetters(t, filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName)) {
			reasons = append(reasons, e.Reason+" "+e.Topic)
		}
		if len(reasons) != 3 {
			return fmt.Errorf("dead letters %q, want 3", reasons)
		}
		if n := influx.Count(t, "air", "pm25", ""); n != 1 {
			return fmt.Errorf("%d readings stored, want only new-station_01's", n)
		}
		return nil
	})
	if n := influx.Count(t, "air", "pm25", `"station"='cj-01'`); n != 0 {
		t.Errorf("the reading on the empty topic level was stored")
	}
}
