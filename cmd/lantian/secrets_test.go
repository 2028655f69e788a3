package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/ingest/hj212"
	"lantian/internal/devenv/testenv"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hjPacket(t *testing.T, pw, mn string, ts time.Time, cp string) []byte {
	t.Helper()
	loc := hj212.Beijing()
	pkt, err := hj212.Encode(hj212.Header{QN: hj212.NewQN(ts, loc), ST: "22", CN: "2061", PW: pw, MN: mn, Flag: 5, HasFlag: true},
		"DataTime="+hj212.FormatTime(ts, loc)+";"+cp)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

// TestNoSecretInLogsMetricsOrPrintedConfig runs `lantian run` with known secrets in every
// place a secret can be configured, drives traffic that makes it log, count, refuse and
// dead-letter, and reads every log line (debug level), the metrics, /readyz, the dead-letter
// files, `config check` and `hj212 decode`: none may show a secret.
func TestNoSecretInLogsMetricsOrPrintedConfig(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const airMN = "AIRSTATION0000000000CJ01"
	secrets := []string{"MQTTSECRET", "MQTTURLSECRET", "INFLUXSECRET", "HJSECRET1", "WRONGPWSECRET", "AMURLSECRET", "AMBASICSECRET"}
	mqttPW := write("mqtt.pw", "MQTTSECRET\n")
	influxTok := write("influx.token", "admin:INFLUXSECRET\n")
	devPW := write("cj01.pw", "HJSECRET1\n")
	devices := write("devices.yaml", fmt.Sprintf("- {mn: %s, password_file: %s}\n", airMN, devPW))
	amPW := write("am.pw", "AMBASICSECRET\n")
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	hjAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	mqttURL := strings.Replace(mosq.URL, "tcp://", "tcp://lantian:MQTTURLSECRET@", 1)
	cfgFile := write("lantian.yaml", fmt.Sprintf(`data_dir: %s
mqtt: {client_id: lantian-secrets, username: lantian, password_file: %s}
influx: {url: %s, bucket: lantian/autogen, token_file: %s, retry_interval: 200ms}
http: {addr: %q}
hj212: {listen: %q, devices_file: %s}
alertmanager:
  urls: ["http://am:AMURLSECRET@127.0.0.1:1"]
  basic_auth: {username: lantian, password_file: %s}
  max_attempts: 1
  retry_interval: 10ms
  resend_interval: 1s
stations:
  - {id: cj-01, name: 昌吉市监测站, area: changji, class: national, mn: %s}
sources:
  - id: px-power
    name: 示例电厂
    area: changji
    industry: power
    outlets:
      - {id: DA001, reference_o2_pct: 6, limits: {dust: 10, so2: 35, nox: 50}}
`, filepath.Join(dir, "data"), mqttPW, influx.URL, influxTok, httpAddr, hjAddr, devices, amPW, airMN))

	var printed bytes.Buffer
	var out, errOut bytes.Buffer
	if code := realMain(t.Context(), []string{"config", "check", "--config", cfgFile, "--mqtt-url", mqttURL}, &out, &errOut); code != 0 {
		t.Fatalf("config check: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "config source: "+cfgFile) || !strings.Contains(out.String(), "tcp://lantian:xxxxx@") {
		t.Errorf("config check does not name its source or the redacted broker:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "hj212 devices: 1 with an MN, 0 without credentials") {
		t.Errorf("config check does not report the devices' credentials:\n%s", out.String())
	}
	printed.Write(out.Bytes())
	printed.Write(errOut.Bytes())

	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- realMain(ctx, []string{"run", "--config", cfgFile, "--log-level", "debug", "--mqtt-url", mqttURL}, logs, logs)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitReady(t, httpAddr)

	// Traffic: a good packet, a wrong password, a bad CRC carrying the right password, the
	// same over MQTT from an unknown MN. (Alert delivery failures, which log and count by URL,
	// are checked with a real HTTP server in alert/notify.)
	hour := time.Now().Add(-2 * time.Hour).Truncate(time.Hour)
	good := hjPacket(t, "HJSECRET1", airMN, hour, "a34004-Avg=35,a34004-Flag=N")
	wrong := hjPacket(t, "WRONGPWSECRET", airMN, hour.Add(time.Hour), "a34004-Avg=36,a34004-Flag=N")
	badCRC := hjPacket(t, "HJSECRET1", airMN, hour.Add(2*time.Hour), "a34004-Avg=37,a34004-Flag=N")
	badCRC[len(badCRC)-3] ^= 1
	c, err := net.Dial("tcp", hjAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range [][]byte{good, wrong, badCRC} {
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(mosq.URL).SetClientID("secrets-pub"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher: %v", tok.Error())
	}
	defer pub.Disconnect(100)
	if tok := pub.Publish("lantian/hj212/UNKNOWN0000000000000001", 1, false, hjPacket(t, "HJSECRET1", "UNKNOWN0000000000000001", hour, "a34004-Avg=1")); !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("publish timed out")
	}
	deadPath := filepath.Join(dir, "data", "deadletters", "deadletters.jsonl")
	testenv.Eventually(t, 30*time.Second, func() error {
		b, _ := os.ReadFile(deadPath)
		if n := bytes.Count(b, []byte("\n")); n < 3 {
			return fmt.Errorf("%d dead letters, want 3", n)
		}
		if n := influx.Count(t, "air", "pm25", `"station"='cj-01'`); n != 1 {
			return fmt.Errorf("%d readings stored, want 1", n)
		}
		return nil
	})
	metrics := httpGet(t, "http://"+httpAddr+"/metrics")
	ready := httpGet(t, "http://"+httpAddr+"/readyz")
	dead, err := os.ReadFile(deadPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dead, []byte("PW=***")) {
		t.Errorf("dead letters keep no masked PW: %s", dead)
	}
	var decoded, decodeErr bytes.Buffer
	pkts := write("packets.txt", string(good)+"\r\n"+string(wrong)+"\r\n")
	if code := realMain(t.Context(), []string{"hj212", "decode", pkts}, &decoded, &decodeErr); code != 0 {
		t.Errorf("hj212 decode: exit %d: %s", code, decodeErr.String())
	}
	if !strings.Contains(decodeErr.String(), "2 frames, 2 decoded, 0 rejected") {
		t.Errorf("hj212 decode summary: %q", decodeErr.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("lantian run exited %d", code)
	}
	done <- 0
	runLog := logs.String()
	if !strings.Contains(runLog, "configuration loaded") || !strings.Contains(runLog, cfgFile) {
		t.Errorf("run does not log its config source")
	}
	for name, text := range map[string]string{"run log": runLog, "metrics": metrics, "readyz": ready, "dead letters": string(dead),
		"config check": printed.String(), "hj212 decode": decoded.String() + decodeErr.String()} {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s shows the secret %s: …%s…", name, s, text[max(0, i-120):min(len(text), i+40)])
			}
		}
	}
}
