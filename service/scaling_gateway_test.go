package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"lantian/internal/devenv/testenv"
	"lantian/service"
	"lantian/service/config"
)

// startRole runs one role of the service in the test process until the test ends.
func startRole(t *testing.T, cfg config.Config, role service.Role) *service.Service {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := service.NewRole(cfg, role, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s stopped with error: %v", role, err)
		}
	})
	testenv.Eventually(t, 20*time.Second, func() error {
		if ok, why := svc.Ready(); !ok {
			return fmt.Errorf("%s not ready: %v", role, why)
		}
		return nil
	})
	return svc
}

// TestGatewayReadingsOfAnIngestInstanceReachTheDeriveInstance: a logger connected over TCP to
// an ingest instance's HJ 212 gateway gets its 9014 once the broker has its readings; the
// shared group stores them in InfluxDB and the derive instance, which sees only the broker,
// shows them on its live console.
func TestGatewayReadingsOfAnIngestInstanceReachTheDeriveInstance(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	ingestCfg := hj212Config(t, mosq.URL, influx.URL, "lantian-ingest-gw")
	ingestCfg.MQTT.SharedGroup = "ingest"
	deriveCfg := hj212Config(t, mosq.URL, influx.URL, "lantian-derive-gw")
	ingest := startRole(t, ingestCfg, service.RoleIngest)
	derive := startRole(t, deriveCfg, service.RoleDerive)
	if derive.HJ212Addr != "" {
		t.Fatalf("the derive instance listens for HJ 212 on %s", derive.HJ212Addr)
	}

	hour := time.Now().Add(-3 * time.Hour).Truncate(time.Hour)
	lg := dialLogger(t, ingest.HJ212Addr)
	for name, pkt := range map[string][]byte{
		"air hour": packet(t, "22", "2061", "123456", airMN, hour, "a34004-Avg=34.5,a34004-Flag=N;a21026-Avg=8,a21026-Flag=C"),
		"flue gas hour": packet(t, "31", "2061", "cems-pw", cemsMN, hour,
			"a21026-Avg=21.0,a21026-ZsAvg=24.5,a21026-Flag=N;a19001-Avg=9.1,a19001-Flag=N;a00000-Avg=140,a00000-Flag=N"),
	} {
		if got := lg.send(pkt, 1<<10); got != "9014" {
			t.Fatalf("%s: reply CN %q, want 9014", name, got)
		}
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		air := influx.Count(t, "air", "pm25", `"station"='cj-01' AND "period"='1h'`)
		em := influx.Count(t, "emission", "so2", `"source"='px-power' AND "outlet"='DA001' AND "period"='1h'`)
		if air != 1 || em != 1 {
			return fmt.Errorf("air %d, emission %d; want 1 each", air, em)
		}
		return nil
	})
	latest := func(path, id string) (map[string]float64, map[string]string, error) {
		resp, err := http.Get("http://" + derive.HTTPAddr + path)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		var rows []struct {
			ID     string             `json:"id"`
			Values map[string]float64 `json:"values"`
			Flags  map[string]string  `json:"flags"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			if r.ID == id && len(r.Values) > 0 {
				return r.Values, r.Flags, nil
			}
		}
		return nil, nil, testenv.ErrNotYet
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		v, f, err := latest("/api/v1/stations", "cj-01")
		if err != nil {
			return err
		}
		if v["pm25"] != 34.5 || v["so2"] != 8 || f["so2"] != "C" {
			return fmt.Errorf("derive console shows cj-01 %v %v", v, f)
		}
		v, _, err = latest("/api/v1/outlets", "px-power/DA001")
		if err != nil {
			return err
		}
		if v["so2"] != 21 || v["so2_zs"] != 24.5 {
			return fmt.Errorf("derive console shows px-power/DA001 %v", v)
		}
		return nil
	})
	// The ingest instance serves no console: it sees only its share of the stream.
	resp, err := http.Get("http://" + ingest.HTTPAddr + "/api/v1/stations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("ingest /api/v1/stations: %s, want 404", resp.Status)
	}
}
