package service_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lantian/ingest/deadletter"
	"lantian/ingest/hj212"
	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

const (
	airMN  = "AIRSTATION0000000000CJ01"
	cemsMN = "CEMS0000000000PXPOWERDA1"
)

func hj212Config(t *testing.T, mqttURL, influxURL, clientID string) config.Config {
	t.Helper()
	cfg := testConfig(t, mqttURL, influxURL, clientID)
	cfg.Stations[0].MN = airMN
	cfg.Sources[0].Outlets[0].MN = cemsMN
	cfg.HJ212.Listen = "127.0.0.1:0"
	cfg.HJ212.Devices = []hj212.DeviceConfig{{MN: cemsMN, Password: "cems-pw", FlowUnit: "m3/s"}, {MN: airMN, Password: "123456"}}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// logger plays a data logger: it sends packets that ask for an answer and waits for the 9014.
type logger struct {
	t       *testing.T
	conn    net.Conn
	replies *hj212.Splitter
}

func dialLogger(t *testing.T, addr string) *logger {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &logger{t: t, conn: c, replies: hj212.NewSplitter(c, hj212.DefaultMaxPacket)}
}

// send writes pkt in pieces of at most chunk bytes and returns the reply's CN, or "" when the
// connection broke before an answer came.
func (l *logger) send(pkt []byte, chunk int) string {
	for i := 0; i < len(pkt); i += chunk {
		if _, err := l.conn.Write(pkt[i:min(i+chunk, len(pkt))]); err != nil {
			return ""
		}
	}
	_ = l.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	reply, err := l.replies.Next()
	if err != nil {
		return ""
	}
	p, err := hj212.Parse(reply)
	if err != nil {
		l.t.Fatalf("gateway reply does not parse: %v: %q", err, reply)
	}
	return p.CN
}

func packet(t *testing.T, st, cn, pw, mn string, ts time.Time, cp string) []byte {
	t.Helper()
	loc := hj212.Beijing()
	pkt, err := hj212.Encode(hj212.Header{QN: hj212.NewQN(ts, loc), ST: st, CN: cn, PW: pw, MN: mn, Flag: 5, HasFlag: true},
		"DataTime="+hj212.FormatTime(ts, loc)+";"+cp)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

func TestHJ212LoggerDataLandsInInfluxWithTagsAndTimes(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := hj212Config(t, mosq.URL, influx.URL, "lantian-test-hj212")
	run := startService(t, cfg)
	lg := dialLogger(t, run.svc.HJ212Addr)

	hour := time.Now().Add(-3 * time.Hour).Truncate(time.Hour)
	sends := []struct {
		name  string
		pkt   []byte
		chunk int
		want  string
	}{
		{"air real-time", packet(t, "22", "2011", "123456", airMN, hour.Add(5*time.Minute),
			"a34004-Rtd=35.2,a34004-Flag=N;a34002-Rtd=61.0,a34002-Flag=N;a21005-Rtd=0.62,a21005-Flag=N"), 1 << 10, "9014"},
		{"air minute, split over 7-byte writes", packet(t, "22", "2051", "123456", airMN, hour.Add(10*time.Minute),
			"a34004-Avg=33.0,a34004-Flag=N;a05024-Avg=88,a05024-Flag=N"), 7, "9014"},
		{"air hour", packet(t, "22", "2061", "123456", airMN, hour,
			"a34004-Avg=34.5,a34004-Flag=N;a21026-Avg=8,a21026-Flag=C"), 50, "9014"},
		{"flue gas hour with converted value and flow in m3/s", packet(t, "31", "2061", "cems-pw", cemsMN, hour,
			"a21026-Avg=21.0,a21026-ZsAvg=24.5,a21026-Flag=N;a19001-Avg=9.1,a19001-Flag=N;a00000-Avg=140,a00000-Flag=N"), 1 << 10, "9014"},
		{"flue gas with the wrong password", packet(t, "31", "2061", "wrong", cemsMN, hour.Add(time.Hour),
			"a21026-Avg=21.0,a21026-Flag=N"), 1 << 10, "9011"},
	}
	for _, s := range sends {
		if got := lg.send(s.pkt, s.chunk); got != s.want {
			t.Errorf("%s: reply CN %q, want %q", s.name, got, s.want)
		}
	}
	// A packet with a broken CRC gets no data answer and is kept for a person.
	bad := packet(t, "22", "2011", "123456", airMN, hour.Add(20*time.Minute), "a34004-Rtd=99,a34004-Flag=N")
	bad[len(bad)-3] ^= 0x01
	if _, err := lg.conn.Write(bad); err != nil {
		t.Fatal(err)
	}

	testenv.Eventually(t, 20*time.Second, func() error {
		rt := influx.Count(t, "air", "pm25", `"station"='cj-01' AND "period"='rt'`)
		mi := influx.Count(t, "air", "pm25", `"station"='cj-01' AND "period"='1m'`)
		hr := influx.Count(t, "air", "pm25", `"station"='cj-01' AND "period"='1h'`)
		em := influx.Count(t, "emission", "so2", `"source"='px-power' AND "outlet"='DA001' AND "period"='1h'`)
		if rt != 1 || mi != 1 || hr != 1 || em != 1 {
			return fmt.Errorf("rt %d, 1m %d, 1h %d, emission %d; want 1 each", rt, mi, hr, em)
		}
		return nil
	})
	body, err := influx.InfluxQL(fmt.Sprintf(`SELECT pm25, so2, so2_flag FROM air WHERE station='cj-01' AND period='1h' AND time = '%s'`, hour.UTC().Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`[["%s",34.5,8,"C"]]`, hour.UTC().Format(time.RFC3339)); !strings.Contains(string(body), want) {
		t.Errorf("hourly air reading: %s, want %s", body, want)
	}
	body, err = influx.InfluxQL(`SELECT so2, so2_zs, o2, flow FROM emission WHERE outlet='DA001'`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `,21,24.5,9.1,504000]]`) {
		t.Errorf("flue-gas reading (flow 140 m³/s = 504000 m³/h): %s", body)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		var reasons []string
		for _, e := range readDeadLetters(t, filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName)) {
			if e.Origin == "hj212-tcp" {
				reasons = append(reasons, e.Reason+": "+e.Error)
			}
		}
		if len(reasons) != 2 || !strings.Contains(strings.Join(reasons, "|"), "CRC") || !strings.Contains(strings.Join(reasons, "|"), "password") {
			return fmt.Errorf("HJ 212 dead letters %q, want the bad CRC and the wrong password", reasons)
		}
		return nil
	})
}

// TestHJ212GatewayRestartLosesNothingAcknowledged restarts the service while a logger streams
// minute data; the logger resends what got no answer, as real loggers do, and every packet the
// gateway answered with 9014 must be in InfluxDB.
func TestHJ212GatewayRestartLosesNothingAcknowledged(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := hj212Config(t, mosq.URL, influx.URL, "lantian-test-hj212-restart")
	cfg.HJ212.Listen = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	run := startService(t, cfg)

	start := time.Now().Add(-10 * time.Hour).Truncate(time.Minute)
	const total = 120
	acked := 0
	lg := dialLogger(t, run.svc.HJ212Addr)
	restarted := false
	for i := 0; i < total; {
		ts := start.Add(time.Duration(i) * time.Minute)
		pkt := packet(t, "22", "2051", "123456", airMN, ts, fmt.Sprintf("a34004-Avg=%d,a34004-Flag=N", 10+i%90))
		if i == total/2 && !restarted {
			run.stop(t)
			run = startService(t, cfg)
			restarted = true
		}
		if lg.send(pkt, 1<<10) != "9014" {
			// No answer: reconnect and send the same packet again.
			testenv.Eventually(t, 20*time.Second, func() error {
				c, err := net.Dial("tcp", cfg.HJ212.Listen)
				if err != nil {
					return err
				}
				lg.conn.Close()
				lg.conn, lg.replies = c, hj212.NewSplitter(c, hj212.DefaultMaxPacket)
				return nil
			})
			continue
		}
		acked++
		i++
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		if n := influx.Count(t, "air", "pm25", `"period"='1m'`); n != total {
			return fmt.Errorf("%d minute readings stored, %d acknowledged", n, acked)
		}
		return nil
	})
}

func TestHJ212OverMQTTIsStored(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := hj212Config(t, mosq.URL, influx.URL, "lantian-test-hj212-mqtt")
	cfg.HJ212.Listen = ""
	startService(t, cfg)
	hour := time.Now().Add(-2 * time.Hour).Truncate(time.Hour)
	// A DTU forwarding two packets in one message.
	payload := append(packet(t, "22", "2061", "123456", airMN, hour, "a34004-Avg=41,a34004-Flag=N"),
		packet(t, "22", "2061", "123456", airMN, hour.Add(time.Hour), "a34004-Avg=44,a34004-Flag=N")...)
	pub := newPublisher(t, mosq.URL, "pub-hj212")
	pub.publish("lantian/hj212/"+airMN, payload)
	pub.publish("lantian/hj212/UNKNOWNMN", packet(t, "22", "2061", "123456", "UNKNOWNMN", hour, "a34004-Avg=41"))
	testenv.Eventually(t, 20*time.Second, func() error {
		if n := influx.Count(t, "air", "pm25", `"station"='cj-01' AND "period"='1h'`); n != 2 {
			return fmt.Errorf("%d hourly readings from the HJ 212 route, want 2", n)
		}
		entries := readDeadLetters(t, filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName))
		if len(entries) != 1 || entries[0].Topic != "lantian/hj212/UNKNOWNMN" || entries[0].Reason != "hj212" {
			return fmt.Errorf("dead letters %+v, want the unknown MN", entries)
		}
		return nil
	})
}
