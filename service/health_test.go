package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"lantian/internal/devenv/testenv"
	"lantian/service"
)

// startUnready starts a service without waiting for it to be ready.
func startUnready(t *testing.T, svc *service.Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
}

func readyz(t *testing.T, addr string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestReadyzReportsAnInfluxDBThatRefusesConnections(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	// Nothing listens on this port: every connection to "InfluxDB" is refused.
	deadInflux := fmt.Sprintf("http://127.0.0.1:%d", testenv.FreePort(t))
	cfg := testConfig(t, mosq.URL, deadInflux, "lantian-test-readyz")
	logs := &logBuffer{t: t}
	svc, err := service.New(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	startUnready(t, svc)
	testenv.Eventually(t, 20*time.Second, func() error {
		_, body := readyz(t, svc.HTTPAddr)
		if body["mqtt_connected"] != true {
			return fmt.Errorf("broker not connected yet: %v", body)
		}
		return nil
	})
	_, body := readyz(t, svc.HTTPAddr)
	if body["influx_ok"] != false || body["influx_ping_ok"] != false {
		t.Errorf("readyz with InfluxDB refusing connections: %v", body)
	}
	if e, _ := body["influx_error"].(string); !strings.Contains(e, "refused") {
		t.Errorf("influx_error %q does not say the connection was refused", e)
	}
	if !strings.Contains(logs.String(), "InfluxDB does not answer its ping") {
		t.Errorf("the unreachable InfluxDB was not logged")
	}
}

func TestRefusingBrokerIsLoggedWithTheReason(t *testing.T) {
	influx := testenv.StartInflux(t)
	deadBroker := fmt.Sprintf("tcp://lantian:MQTTSECRET@127.0.0.1:%d", testenv.FreePort(t))
	cfg := testConfig(t, deadBroker, influx.URL, "lantian-test-refused")
	logs := &logBuffer{t: t}
	svc, err := service.New(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	startUnready(t, svc)
	testenv.Eventually(t, 20*time.Second, func() error {
		if !strings.Contains(logs.String(), "cannot connect to MQTT broker") {
			return fmt.Errorf("no log line about the refused connection yet")
		}
		return nil
	})
	out := logs.String()
	if !strings.Contains(out, "connection refused") {
		t.Errorf("the log does not say why the connection failed:\n%s", out)
	}
	if strings.Contains(out, "MQTTSECRET") {
		t.Errorf("the broker URL's password is in the log")
	}
	if n := strings.Count(out, "cannot connect to MQTT broker"); n > 2 {
		t.Errorf("%d lines about the same refusal within seconds, want them rate-limited", n)
	}
	status, body := readyz(t, svc.HTTPAddr)
	if status != http.StatusServiceUnavailable || body["mqtt_connected"] != false {
		t.Errorf("readyz with the broker refusing: %d %v", status, body)
	}
}

func newTestLogger(w *logBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func svcConnected(svc *service.Service) bool {
	ok, why := svc.Ready()
	return ok || !strings.Contains(strings.Join(why, " "), "MQTT")
}
