package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
)

// TestKillNineMidEventContinuesOneEvent kills `lantian run` with SIGKILL while an exceedance
// event is open and starts it again on the same InfluxDB and Alertmanager: the event continues
// as one (one opened point; the closed point counts every hour from its start) with one alert.
func TestKillNineMidEventContinuesOneEvent(t *testing.T) {
	bin := buildBinary(t)
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	am := notifytest.Start(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "lantian.yaml")
	cfg := fmt.Sprintf(`sources:
  - {id: px-power, name: 电厂甲, area: changji, industry: power,
     outlets: [{id: DA001, stack_height_m: 180, limits: {nox: 50}}]}
alertmanager:
  urls: [%s]
  resend_interval: 500ms
source_monitoring:
  check_interval: 200ms
  expected_interval: 0s
`, am.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	args := []string{"--config", cfgPath, "--mqtt-url", mosq.URL, "--influx-url", influx.URL,
		"--influx-bucket", influx.Bucket, "--http-addr", httpAddr, "--data-dir", filepath.Join(dir, "data"),
		"--mqtt-client-id", "lantian-e2e-kill-sources"}

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(mosq.URL).SetClientID("e2e-kill-sources-pub"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	// Past hours, with the wall clock: every hour closes once its reading is in. Each is sent
	// after the one before was judged, so that hours reach the monitor in order.
	base := time.Now().Truncate(time.Hour).Add(-30 * time.Hour)
	judged := 0
	send := func(h int, nox float64) {
		t.Helper()
		payload := fmt.Sprintf(`{"time":%q,"period":"1h","nox":%g,"flow":%d}`, base.Add(time.Duration(h)*time.Hour).Format(time.RFC3339), nox, 400000+1000*h)
		if tok := pub.Publish("lantian/source/px-power/DA001", 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		judged++
		testenv.Eventually(t, 30*time.Second, func() error {
			if n := influx.Count(t, "emission_hourly", "samples", ""); n != judged {
				return fmt.Errorf("%d of %d hours judged", n, judged)
			}
			return nil
		})
	}
	exceedanceAlerts := func() (int, time.Time, error) {
		as, err := am.Alerts(t.Context())
		n, start := 0, time.Time{}
		for _, a := range as {
			if a.Labels["alertname"] == "SourceExceedance" {
				n, start = n+1, a.StartsAt
			}
		}
		return n, start, err
	}

	first := startLantian(t, bin, args...)
	waitReady(t, httpAddr)
	for h := range 6 {
		nox := 30.0
		if h >= 3 {
			nox = 80 // the event starts at hour 3
		}
		send(h, nox)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		if n, start, err := exceedanceAlerts(); err != nil || n != 1 || !start.Equal(base.Add(3*time.Hour)) {
			return fmt.Errorf("exceedance alerts before the kill: %d from %s (%v)", n, start, err)
		}
		return nil
	})
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	startLantian(t, bin, args...)
	waitReady(t, httpAddr)
	send(6, 85)
	// The restarted service sent the open event's alert again: Alertmanager holds one.
	testenv.Eventually(t, 20*time.Second, func() error {
		if n, start, err := exceedanceAlerts(); err != nil || n != 1 || !start.Equal(base.Add(3*time.Hour)) {
			return fmt.Errorf("exceedance alerts after the restart: %d from %s (%v)", n, start, err)
		}
		return nil
	})
	send(7, 90)
	send(8, 30) // back under the limit: the event closes after 5 exceeding hours
	testenv.Eventually(t, 20*time.Second, func() error {
		body, err := influx.InfluxQL(`SELECT "state", "start", "hours" FROM exceedance`)
		if err != nil {
			return err
		}
		s := string(body)
		start := base.Add(3 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
		if strings.Count(s, `"opened"`) != 1 || strings.Count(s, `"closed"`) != 1 || strings.Count(s, start) != 3 ||
			!strings.Contains(s, `"closed","`+start+`",5]`) {
			return fmt.Errorf("exceedance points: %s", s)
		}
		n, _, err := exceedanceAlerts()
		if err != nil || n != 0 {
			return fmt.Errorf("exceedance alert still active (%d, %v)", n, err)
		}
		return nil
	})
}
