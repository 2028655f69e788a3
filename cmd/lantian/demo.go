package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"lantian/alert/aqi"
	"lantian/alert/office"
	"lantian/ingest/conf"
	"lantian/ingest/hj212"
	"lantian/ingest/reading"
	"lantian/ingest/sim"
	"lantian/internal/devenv/broker"
	"lantian/internal/devenv/localinflux"
	"lantian/service"
	"lantian/service/config"
)

// demoCmd runs the whole pipeline on this machine: an embedded MQTT broker, a local InfluxDB,
// the simulated prefecture (a 72-hour hourly backfill with a heavy-pollution episode, then
// real-time readings), an HJ 212 data logger talking to the gateway, and now and then a broken
// message, so that every path of the pipeline shows in the metrics.
func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "registry file (default "+defaultConfigPath+" when present)")
	influxd := fs.String("influxd", envOr("LANTIAN_INFLUXD", filepath.Join("tools", "bin", "influxd")), "InfluxDB 1.8 binary (make tools builds it; env LANTIAN_INFLUXD)")
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "metrics and API address (a free port is taken if this one is busy)")
	dataDir := fs.String("data-dir", "", "keep the demo's data here (default: a temporary folder removed on exit)")
	backfill := fs.Duration("backfill", 72*time.Hour, "hours of hourly data published first (the episode builds up in them)")
	interval := fs.Duration("interval", 10*time.Second, "time between real-time readings of a station")
	seed := fs.Int64("seed", 1, "simulator seed")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}

	cfg := config.Default()
	path := *cfgPath
	if path == "" {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			path = defaultConfigPath
		}
	}
	if path != "" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			return err
		}
	}

	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "lantian-demo-")
		if err != nil {
			return fmt.Errorf("demo folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	logPath := filepath.Join(dir, "lantian.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("demo log: %w", err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	fmt.Fprintln(stderr, "starting the embedded MQTT broker and the local InfluxDB…")
	brk, err := broker.Start("127.0.0.1:0", log.With("component", "broker"))
	if err != nil {
		return err
	}
	defer brk.Close()
	influx, err := localinflux.Start(*influxd, filepath.Join(dir, "influxdb"))
	if err != nil {
		return err
	}
	defer influx.Stop()

	cfg.MQTT.URL = brk.URL
	cfg.MQTT.ClientID = "lantian-demo"
	cfg.Influx.URL = influx.URL
	cfg.Influx.Bucket = influx.Bucket()
	cfg.DataDir = filepath.Join(dir, "lantian")
	cfg.HTTP.Addr = freeOr(*httpAddr)
	cfg.HJ212.Listen = "127.0.0.1:0"
	cfg.HJ212.Devices = demoDevices(&cfg)
	// A fresh emergency-role token for this run, so the warning console can be tried at once.
	tokenBytes := make([]byte, 12)
	if _, err := rand.Read(tokenBytes); err != nil {
		return fmt.Errorf("demo token: %w", err)
	}
	demoToken := hex.EncodeToString(tokenBytes)
	cfg.Warnings.Tokens = []config.WarningToken{{Name: "demo-emergency", Role: office.RoleEmergency, Token: conf.Secret(demoToken)}}
	if err := cfg.Resolve(); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	svc, err := service.New(cfg, log)
	if err != nil {
		return err
	}

	runCtx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	var wg sync.WaitGroup
	svcErr := make(chan error, 1)
	go func() { svcErr <- svc.Run(runCtx) }()

	start := time.Now().Add(-*backfill).Truncate(time.Hour)
	// The simulated enterprises answer the warnings the office issues (some cut, one stops,
	// one does not), read from the retained messages on lantian/warnings/<area>.
	board := sim.NewWarningBoard()
	if err := brk.Subscribe("lantian/warnings/+", 1, func(topic string, payload []byte) {
		if err := board.Handle(payload); err != nil {
			log.Warn("demo: warning message not understood", "topic", topic, "err", err)
		}
	}); err != nil {
		return err
	}
	simulator, err := sim.New(sim.Options{Registry: &cfg.Registry, Seed: *seed, Location: cfg.Location(),
		EpisodeStart: start.Add(*backfill / 4), Faults: sim.DefaultFaults(&cfg.Registry, start), Warnings: board})
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	wg.Add(4)
	go func() {
		defer wg.Done()
		sim.PublishForecasts(runCtx, simulator, sim.ForecastOptions{Registry: &cfg.Registry, AQI: forecastAQI, Log: log,
			Publish: func(topic string, payload []byte) error { return brk.Publish("lantian/"+topic, payload, false, 1) }})
	}()
	go func() {
		defer wg.Done()
		publishDemo(runCtx, log, simulator, sim.PublishOptions{Session: sim.Session{URL: brk.URL, ClientID: "demo-backfill"}, QoS: 1,
			Period: reading.Hour, Start: start, Speed: math.Inf(1), StopAtNow: true})
		publishDemo(runCtx, log, simulator, sim.PublishOptions{Session: sim.Session{URL: brk.URL, ClientID: "demo-live"}, QoS: 1,
			Period: reading.RealTime, Interval: *interval})
	}()
	go func() {
		defer wg.Done()
		sim.RunLogger(runCtx, simulator, sim.LoggerOptions{Addr: svc.HJ212Addr, Registry: &cfg.Registry, Every: *interval, Log: log})
	}()
	go func() { defer wg.Done(); publishGarbage(runCtx, brk) }()

	base := "http://" + svc.HTTPAddr
	fmt.Fprintf(stdout, `
Lantian demo is running.
  live console   %s/
  warnings       %s/warnings   (log in with the emergency token %s)
  metrics        %s/metrics
  health         %s/healthz   %s/readyz
  MQTT broker    %s   (publish to lantian/air/<station>, lantian/source/<source>/<outlet>)
  HJ 212 gateway tcp://%s
  InfluxDB       %s   (database %s, Flux enabled; e.g. curl '%s/query?db=%s&q=SHOW+MEASUREMENTS')
  log            %s
  data           %s
Press Ctrl-C to stop.

`, base, base, demoToken, base, base, base, brk.URL, svc.HJ212Addr, influx.URL, localinflux.Database, influx.URL, localinflux.Database, logPath, dir)

	var lastStored float64
	lastAt := time.Now()
	stopStatus := sim.StartProgress(2*time.Second, func(now time.Time) {
		s := gather(svc)
		rate := (s.stored - lastStored) / now.Sub(lastAt).Seconds()
		lastStored, lastAt = s.stored, now
		fmt.Fprintf(stdout, "\r%s  %7.0f readings/s  stored %-9.0f rejected %-6.0f spooled batches %-4.0f mqtt %s   ",
			now.Format("15:04:05"), rate, s.stored, s.rejected, s.spooled, upDown(s.connected))
	})
	select {
	case <-ctx.Done():
	case err := <-svcErr:
		stopStatus()
		stopAll()
		wg.Wait()
		return fmt.Errorf("pipeline stopped: %w", err)
	}
	stopStatus()
	fmt.Fprintln(stdout, "\nstopping: simulator, pipeline (flushing), InfluxDB, broker…")
	stopAll()
	wg.Wait()
	if err := <-svcErr; err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped cleanly.")
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// freeOr returns addr if it can be listened on now, else a free loopback port.
func freeOr(addr string) string {
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		return addr
	}
	return "127.0.0.1:0"
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "DOWN"
}

func publishDemo(ctx context.Context, log *slog.Logger, s *sim.Simulator, o sim.PublishOptions) {
	if _, err := sim.Publish(ctx, s, o, nil); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("simulator stopped", "client", o.ClientID, "err", err)
	}
}

// publishGarbage sends a broken message now and then, so the demo shows dead letters.
func publishGarbage(ctx context.Context, brk *broker.Broker) {
	bad := []string{`{"time":"yesterday","pm25":30}`, `{"time":1700000000,"pm25":-4}`, `not json at all`}
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = brk.Publish("lantian/air/cj-01", []byte(bad[i%len(bad)]), false, 1)
		}
	}
}

// forecastAQI grades the demo's perfect forecast of an area's day by the IAQI of its mean 24-h
// PM2.5 and PM10, under the rules in force on that day.
func forecastAQI(date time.Time, pm25, pm10 float64) (int, string) {
	rules := aqi.RulesForTime(date)
	i25, i10 := demoIAQI(rules, aqi.PM25_24h, pm25), demoIAQI(rules, aqi.PM10_24h, pm10)
	v, primary := max(i25, i10), ""
	if v > 50 {
		primary = "PM2.5"
		if i10 > i25 {
			primary = "PM10"
		}
	}
	return v, primary
}

func demoIAQI(rules aqi.Rules, ind aqi.Indicator, mean float64) int {
	c, err := aqi.FromFloat(mean)
	if err != nil {
		return 0
	}
	v, _ := aqi.IAQI(rules, ind, c)
	return v
}

type demoStatus struct {
	stored, rejected, spooled float64
	connected                 bool
}

// gather reads the status line's figures from the service's own metrics.
func gather(svc *service.Service) demoStatus {
	var s demoStatus
	families, err := svc.Registry.Gather()
	if err != nil {
		return s
	}
	sum := func(f *dto.MetricFamily) float64 {
		var t float64
		for _, m := range f.GetMetric() {
			switch {
			case m.Counter != nil:
				t += m.Counter.GetValue()
			case m.Gauge != nil:
				t += m.Gauge.GetValue()
			}
		}
		return t
	}
	for _, f := range families {
		switch f.GetName() {
		case "lantian_readings_stored_total":
			s.stored = sum(f)
		case "lantian_rejected_total":
			s.rejected = sum(f)
		case "lantian_spool_batches":
			s.spooled = sum(f)
		case "lantian_mqtt_connected":
			s.connected = sum(f) == 1
		}
	}
	return s
}

// demoDevices gives every MN of the registry the password of the demo's data logger: the
// gateway refuses devices without one.
func demoDevices(cfg *config.Config) []hj212.DeviceConfig {
	var devs []hj212.DeviceConfig
	for _, s := range cfg.Stations {
		if s.MN != "" {
			devs = append(devs, hj212.DeviceConfig{MN: s.MN, Password: sim.LoggerPassword})
		}
	}
	for _, src := range cfg.Sources {
		for _, o := range src.Outlets {
			if o.MN != "" {
				devs = append(devs, hj212.DeviceConfig{MN: o.MN, Password: sim.LoggerPassword})
			}
		}
	}
	return devs
}
