package hj212

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/reading"
)

// memSink is an in-memory Sink.
type memSink struct {
	mu       sync.Mutex
	readings []reading.Reading
	dead     []deadLetter
	failNext atomic.Bool
	refuse   atomic.Bool
}

type deadLetter struct {
	origin string
	raw    string
	reason error
}

func (s *memSink) Store(ctx context.Context, rs []reading.Reading) error {
	if s.failNext.CompareAndSwap(true, false) {
		return errors.New("influx down")
	}
	if s.refuse.CompareAndSwap(true, false) {
		return fmt.Errorf("pm25 out of range: %w", ErrRefused)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readings = append(s.readings, rs...)
	return nil
}

func (s *memSink) DeadLetter(origin string, raw []byte, reason error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = append(s.dead, deadLetter{origin, string(raw), reason})
}

func (s *memSink) snapshot() ([]reading.Reading, []deadLetter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]reading.Reading(nil), s.readings...), append([]deadLetter(nil), s.dead...)
}

// logger is a fake data logger on one TCP connection.
type logger struct {
	t  *testing.T
	c  net.Conn
	sp *Splitter
	n  int
}

func dialLogger(t *testing.T, addr string) *logger {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &logger{t: t, c: c, sp: NewSplitter(c, 0)}
}

// send writes a frame in pieces, to cut it across TCP segments.
func (l *logger) send(f []byte) {
	l.t.Helper()
	for len(f) > 0 {
		n := min(len(f), 37+l.n%50)
		l.n++
		if _, err := l.c.Write(f[:n]); err != nil {
			l.t.Fatal(err)
		}
		f = f[n:]
		time.Sleep(time.Millisecond)
	}
}

func (l *logger) reply() *Packet {
	l.t.Helper()
	l.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := l.sp.Next()
	if err != nil {
		l.t.Fatalf("no reply: %v", err)
	}
	p, err := Parse(f)
	if err != nil {
		l.t.Fatalf("bad reply %q: %v", f, err)
	}
	return p
}

func (l *logger) expect(cn, qn, cp string) {
	l.t.Helper()
	p := l.reply()
	got := p.Data[strings.Index(p.Data, "CP=")+3:]
	if p.CN != cn || p.QN != qn || p.ST != "91" || got != "&&"+cp+"&&" {
		l.t.Fatalf("reply %s, want CN=%s QN=%s CP=&&%s&&", p.Data, cn, qn, cp)
	}
}

func encodeT(t *testing.T, h Header, cp string) []byte {
	t.Helper()
	f, err := Encode(h, cp)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestServer(t *testing.T) {
	baseline := runtime.NumGoroutine()
	sink := &memSink{}
	reg := prometheus.NewRegistry()
	srv, err := NewServer(ServerConfig{
		Registry: testRegistry(), Sink: sink, Metrics: reg,
		Logger:      slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		IdleTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	addr := ln.Addr().String()

	airMN, cemsMN := "TESTAIR0000000000000001", "TESTCEMS000000000000002"
	air := dialLogger(t, addr)
	cems := dialLogger(t, addr)
	h := func(mn, qn, cn string, flag Flags) Header {
		return Header{QN: qn, ST: "22", CN: cn, PW: "123456", MN: mn, Flag: flag, HasFlag: true}
	}

	// Air station: real-time (exAirRtd), minute and hour data, each asking for an answer.
	air.send([]byte(exAirRtd + "\r\n"))
	air.expect("9014", "20240315103000123", "")
	air.send(encodeT(t, h(airMN, "20240315104000001", "2051", 5), "DataTime=20240315103000;a34004-Avg=30.1,a34004-Flag=N;a01006-Avg=95.1,a01006-Flag=N"))
	air.expect("9014", "20240315104000001", "")
	air.send(encodeT(t, h(airMN, "20240315110000002", "2061", 5), "DataTime=20240315100000;a34004-Min=20,a34004-Avg=31.5,a34004-Max=40,a34004-Flag=N;a21005-Avg=0.7,a21005-Flag=N"))
	air.expect("9014", "20240315110000002", "")

	// Flue-gas outlet: real-time without an answer, then minute data with one: the first
	// reply on the wire must be the second packet's.
	ch := func(qn, cn string, flag Flags) Header { x := h(cemsMN, qn, cn, flag); x.ST = "31"; return x }
	cems.send(encodeT(t, ch("20240315103000010", "2011", 4), "DataTime=20240315103000;a34013-Rtd=5.1,a34013-ZsRtd=6.2,a34013-Flag=N;a00000-Rtd=20,a00000-Flag=N"))
	cems.send(encodeT(t, ch("20240315104000011", "2051", 5), "DataTime=20240315103000;a21026-Avg=12,a21026-Flag=N;a19001-Avg=9.5,a19001-Flag=N"))
	cems.expect("9014", "20240315104000011", "")
	hour := strings.Replace(exCEMSHour, "Flag=4", "Flag=5", 1)
	cems.send(frame(t, hour[6:len(hour)-4]))
	cems.expect("9014", "20240315110000456", "")
	// Split hour message, two parts, each answered; a retransmitted part is answered but not stored twice.
	part := func(qn string, pno int, cp string) []byte {
		x := ch(qn, "2061", 7)
		x.PNUM, x.PNO = 2, pno
		return encodeT(t, x, "DataTime=20240315110000;"+cp)
	}
	cems.send(part("20240315120000001", 1, "a21026-Avg=13.0,a21026-Flag=N"))
	cems.expect("9014", "20240315120000001", "")
	cems.send(part("20240315120000001", 1, "a21026-Avg=13.0,a21026-Flag=N"))
	cems.expect("9014", "20240315120000001", "")
	cems.send(part("20240315120000002", 2, "a21002-Avg=40.5,a21002-Flag=N"))
	cems.expect("9014", "20240315120000002", "")

	// A bad CRC: dead-lettered, answered with QnRtn=9 (it asked for an answer); junk before it is skipped.
	bad := exAirRtd[:len(exAirRtd)-4] + "8D00"
	air.send([]byte("\x00\xffAT\r\n" + bad + "\r\n"))
	air.expect("9011", "20240315103000123", "QnRtn=9")
	// Unknown MN and wrong password get the same answer, so probing tells no MN apart.
	air.send(encodeT(t, h("NOSUCHLOGGER", "20240315103000200", "2011", 5), "DataTime=20240315103000;a34004-Rtd=1"))
	air.expect("9011", "20240315103000200", "QnRtn=3")
	wrong := h(airMN, "20240315103000300", "2011", 5)
	wrong.PW = "654321"
	air.send(encodeT(t, wrong, "DataTime=20240315103000;a34004-Rtd=1"))
	air.expect("9011", "20240315103000300", "QnRtn=3")
	// The sink fails once: no answer (the logger will resend), dead-lettered with ErrStore.
	sink.failNext.Store(true)
	air.send(encodeT(t, h(airMN, "20240315103000400", "2011", 5), "DataTime=20240315103100;a34004-Rtd=2"))
	air.send(encodeT(t, h(airMN, "20240315103000401", "2011", 5), "DataTime=20240315103100;a34004-Rtd=2"))
	air.expect("9014", "20240315103000401", "")
	// Refused for good by the sink: dead-lettered, but answered so the logger does not resend.
	sink.refuse.Store(true)
	air.send(encodeT(t, h(airMN, "20240315103000450", "2011", 5), "DataTime=20240315103200;a34004-Rtd=99999"))
	air.expect("9014", "20240315103000450", "")
	// A notice and a heartbeat.
	air.send(encodeT(t, h(airMN, "20240315103000500", "1013", 5), ""))
	air.expect("9013", "20240315103000500", "")
	air.send(encodeT(t, h(airMN, "20240315103000600", "8013", 4), "HeartbeatTime=120"))
	// A request the centre does not execute; its answer also proves the heartbeat was handled.
	air.send(encodeT(t, h(airMN, "20240315103000700", "3011", 5), "PolId=a34004"))
	air.expect("9011", "20240315103000700", "QnRtn=2")

	rs, dead := sink.snapshot()
	type key struct {
		id     string
		period reading.Period
		hour   int
		min    int
	}
	got := map[key]map[string]reading.Value{}
	for _, r := range rs {
		k := key{r.ID(), r.Period, r.Time.In(Beijing()).Hour(), r.Time.In(Beijing()).Minute()}
		if got[k] == nil {
			got[k] = map[string]reading.Value{}
		}
		for _, v := range r.Values {
			got[k][v.Name] = v
		}
	}
	check := func(k key, name string, want float64) {
		t.Helper()
		v, ok := got[k][name]
		if !ok || fmt.Sprintf("%.4f", v.Value) != fmt.Sprintf("%.4f", want) {
			t.Errorf("%v %s = %+v (ok=%v), want %v", k, name, v, ok, want)
		}
	}
	check(key{"AIR-01", reading.RealTime, 10, 30}, "pm25", 35.2)
	check(key{"AIR-01", reading.RealTime, 10, 30}, "o3", 88)
	check(key{"AIR-01", reading.Minute, 10, 30}, "pm25", 30.1)
	check(key{"AIR-01", reading.Minute, 10, 30}, "pressure", 951)
	check(key{"AIR-01", reading.Hour, 10, 0}, "pm25", 31.5)
	check(key{"AIR-01", reading.Hour, 10, 0}, "co", 0.7)
	check(key{"AIR-01", reading.RealTime, 10, 31}, "pm25", 2)
	check(key{"PLANT-7/DA001", reading.RealTime, 10, 30}, "dust", 5.1)
	check(key{"PLANT-7/DA001", reading.RealTime, 10, 30}, "dust_zs", 6.2)
	check(key{"PLANT-7/DA001", reading.RealTime, 10, 30}, "flow", 72000)
	check(key{"PLANT-7/DA001", reading.Minute, 10, 30}, "so2", 12)
	check(key{"PLANT-7/DA001", reading.Hour, 10, 0}, "so2_zs", 14.9)
	check(key{"PLANT-7/DA001", reading.Hour, 11, 0}, "so2", 13)
	check(key{"PLANT-7/DA001", reading.Hour, 11, 0}, "nox", 40.5)
	if len(rs) != 9 {
		t.Errorf("%d readings stored, want 9 (the retransmitted split part and the failed store excluded)", len(rs))
	}
	reasons := []error{ErrCRC, ErrUnknownDevice, ErrPassword, ErrStore, ErrRefused}
	if len(dead) != len(reasons) {
		t.Fatalf("dead letters: %v", dead)
	}
	for i, d := range dead {
		if !errors.Is(d.reason, reasons[i]) || !strings.HasPrefix(d.raw, "##") || !strings.HasPrefix(d.origin, "hj212-tcp 127.0.0.1:") {
			t.Errorf("dead letter %d: %+v, want %v", i, d, reasons[i])
		}
	}
	if dead[0].raw != bad {
		t.Errorf("dead-lettered raw %q", dead[0].raw)
	}

	// Metrics on the injected registry.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	metric := func(name, label string) float64 {
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetValue() == label {
						switch {
						case m.Counter != nil:
							return m.Counter.GetValue()
						case m.Gauge != nil:
							return m.Gauge.GetValue()
						}
					}
				}
			}
		}
		return -1
	}
	if v := metric("lantian_hj212_packets_total", airMN); v != 9 {
		t.Errorf("air packets %v", v)
	}
	if v := metric("lantian_hj212_logins_refused_total", "unknown_device"); v != 1 {
		t.Errorf("logins refused for an unknown device %v", v)
	}
	if v := metric("lantian_hj212_logins_refused_total", "password"); v != 1 {
		t.Errorf("logins refused for a wrong password %v", v)
	}
	if v := metric("lantian_hj212_last_seen_timestamp_seconds", cemsMN); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last seen %v", v)
	}
	if v := metric("lantian_hj212_rejected_total", "unknown_device"); v != 1 {
		t.Errorf("rejected unknown_device %v", v)
	}

	// Shutdown: Serve returns, the loggers see their connections closed, no goroutine is left.
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	air.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := air.c.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after shutdown")
	}
	air.c.Close()
	cems.c.Close()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left (baseline %d):\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

func TestServerLimits(t *testing.T) {
	sink := &memSink{}
	srv, err := NewServer(ServerConfig{Registry: testRegistry(), Sink: sink, MaxConns: 1, IdleTimeout: 200 * time.Millisecond, MaxPacket: 128})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
	}()
	first := dialLogger(t, ln.Addr().String())
	// An oversized frame is dead-lettered; the connection stays usable.
	first.send([]byte(exAirRtd + "\r\n"))
	first.send([]byte(exAirAnswer))
	// A second connection is over MaxConns and closed at once.
	second := dialLogger(t, ln.Addr().String())
	second.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := second.c.Read(make([]byte, 1)); err == nil {
		t.Error("connection over MaxConns accepted")
	}
	// The idle timeout closes the first.
	first.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := first.c.Read(make([]byte, 1)); err == nil {
		t.Error("idle connection not closed")
	}
	_, dead := sink.snapshot()
	if len(dead) != 1 || !errors.Is(dead[0].reason, ErrTooLarge) {
		t.Errorf("dead letters %+v", dead)
	}
	// Metrics registration is per registry: a second server on the same registry fails cleanly.
	reg := prometheus.NewRegistry()
	if _, err := NewServer(ServerConfig{Registry: testRegistry(), Sink: sink, Metrics: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServer(ServerConfig{Registry: testRegistry(), Sink: sink, Metrics: reg}); err == nil {
		t.Error("duplicate registration not reported")
	}
	if _, err := NewServer(ServerConfig{}); !errors.Is(err, ErrConfig) {
		t.Errorf("missing Registry/Sink: %v", err)
	}
}

// testWriter sends server logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
