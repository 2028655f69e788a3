package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/internal/devenv/testenv"
)

// buildBinary builds the lantian binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lantian")
	cmd := exec.Command("go", "build", "-race", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build lantian: %v\n%s", err, out)
	}
	return bin
}

const e2eConfig = `# registry for the end-to-end test
stations:
  - {id: cj-01, name: 昌吉市监测站, area: changji, class: national}
  - {id: hb-01, name: 呼图壁县监测站, area: hutubi, class: provincial}
`

type lantianProcess struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

func startLantian(t *testing.T, bin string, args ...string) *lantianProcess {
	t.Helper()
	p := &lantianProcess{out: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, append([]string{"run"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	return p
}

func waitReady(t *testing.T, addr string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() error {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %s", resp.Status)
		}
		return nil
	})
}

// TestKillNineMidStreamLosesNothing kills lantian with SIGKILL while readings stream in, starts
// it again, and checks that every published reading is in InfluxDB: the broker redelivers what
// was not acknowledged, and the spool keeps what was acknowledged but not yet written.
func TestKillNineMidStreamLosesNothing(t *testing.T) {
	bin := buildBinary(t)
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "lantian.yaml")
	if err := os.WriteFile(cfgPath, []byte(e2eConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	args := []string{"--config", cfgPath, "--mqtt-url", mosq.URL, "--influx-url", influx.URL,
		"--influx-bucket", influx.Bucket, "--http-addr", httpAddr, "--data-dir", filepath.Join(dir, "data"),
		"--mqtt-client-id", "lantian-e2e"}
	first := startLantian(t, bin, args...)
	waitReady(t, httpAddr)

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(mosq.URL).SetClientID("e2e-pub").SetCleanSession(false))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	const n = 6000
	start := time.Now().Add(-50 * time.Hour).Truncate(time.Second)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := 0; i < n; i++ {
			st := []string{"cj-01", "hb-01"}[i%2]
			ts := start.Add(time.Duration(i/2) * time.Second)
			payload := fmt.Sprintf(`{"time":%q,"pm25":%d,"pm10":%d}`, ts.Format(time.RFC3339), 10+i%300, 20+i%500)
			tok := pub.Publish("lantian/air/"+st, 1, false, payload)
			if i%200 == 0 {
				tok.Wait()
			}
		}
	}()
	testenv.Eventually(t, 30*time.Second, func() error {
		if influx.Count(t, "air", "pm25", "") < 1500 {
			return testenv.ErrNotYet
		}
		return nil
	})
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	stored := influx.Count(t, "air", "pm25", "")
	t.Logf("killed with SIGKILL after %d of %d readings were stored", stored, n)
	<-published

	second := startLantian(t, bin, args...)
	testenv.Eventually(t, 60*time.Second, func() error {
		if got := influx.Count(t, "air", "pm25", ""); got != n {
			return fmt.Errorf("stored %d of %d after restart", got, n)
		}
		return nil
	})
	// SIGTERM stops it cleanly with status 0.
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- second.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lantian exited with %v after SIGTERM:\n%s", err, second.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("lantian did not stop within 30s of SIGTERM")
	}
	if !strings.Contains(second.out.String(), "msg=stopped") {
		t.Errorf("no clean-stop log line:\n%s", second.out.String())
	}
}

func TestConfigCheckNamesUnknownKeyAndLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("mqtt:\n  url: tcp://127.0.0.1:1883\n  qos_level: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := realMain(t.Context(), []string{"config", "check", "--config", path}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "line 3") || !strings.Contains(stderr.String(), "qos_level") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestConfigCheckReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	bad := `mqtt:
  url: http://broker
  workers: 0
influx:
  bucket: ""
stations:
  - {id: a1, area: atlantis, class: national}
  - {id: a1, area: changji, class: nationwide}
`
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := realMain(t.Context(), []string{"config", "check", "--config", path}, &stdout, &stderr)
	msg := stderr.String()
	for _, want := range []string{"mqtt.url", "mqtt.workers", "influx.bucket", `area "atlantis"`, `duplicate station id "a1"`, `class "nationwide"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("config check output lacks %q:\n%s", want, msg)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

func TestFlagsAndEnvironmentOverrideTheFile(t *testing.T) {
	t.Setenv("LANTIAN_INFLUX_BUCKET", "fromenv/autogen")
	t.Setenv("LANTIAN_MQTT_URL", "tcp://env-broker:1883")
	var stdout, stderr bytes.Buffer
	code := realMain(t.Context(), []string{"config", "check", "--config", "../../deploy/lantian.yaml", "--mqtt-url", "tcp://flag-broker:1883"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "tcp://flag-broker:1883") || !strings.Contains(out, "fromenv/autogen") {
		t.Fatalf("flag or env not applied: %s", out)
	}
}
