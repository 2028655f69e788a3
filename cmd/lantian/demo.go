package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"lantian/alert/aqi"
	"lantian/ingest/hj212"
	"lantian/ingest/jsonreading"
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
	// A fresh emergency-role token for this run, so the warning console can be tried at once.
	tokenBytes := make([]byte, 12)
	if _, err := rand.Read(tokenBytes); err != nil {
		return fmt.Errorf("demo token: %w", err)
	}
	demoToken := hex.EncodeToString(tokenBytes)
	cfg.Warnings.Tokens = []config.WarningToken{{Name: "demo-emergency", Role: config.RoleEmergency, Token: config.Secret(demoToken)}}
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
	simulator, err := sim.New(sim.Options{Registry: &cfg.Registry, Seed: *seed, Location: cfg.Location(),
		EpisodeStart: start.Add(*backfill / 4), Faults: sim.DefaultFaults(&cfg.Registry, start)})
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	wg.Add(4)
	go func() { defer wg.Done(); publishForecasts(runCtx, log, brk, simulator, &cfg) }()
	go func() {
		defer wg.Done()
		publishDemo(runCtx, log, simulator, sim.PublishOptions{URL: brk.URL, ClientID: "demo-backfill", QoS: 1,
			Period: reading.Hour, Start: start, Speed: math.Inf(1), StopAtNow: true})
		publishDemo(runCtx, log, simulator, sim.PublishOptions{URL: brk.URL, ClientID: "demo-live", QoS: 1,
			Period: reading.RealTime, Interval: *interval})
	}()
	go func() { defer wg.Done(); runDemoLogger(runCtx, log, svc.HJ212Addr, &cfg, simulator, *interval) }()
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

	status := time.NewTicker(2 * time.Second)
	defer status.Stop()
	var lastStored float64
	lastAt := time.Now()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-svcErr:
			stopAll()
			wg.Wait()
			return fmt.Errorf("pipeline stopped: %w", err)
		case now := <-status.C:
			s := gather(svc)
			rate := (s.stored - lastStored) / now.Sub(lastAt).Seconds()
			lastStored, lastAt = s.stored, now
			fmt.Fprintf(stdout, "\r%s  %7.0f readings/s  stored %-9.0f rejected %-6.0f spooled batches %-4.0f mqtt %s   ",
				now.Format("15:04:05"), rate, s.stored, s.rejected, s.spooled, upDown(s.connected))
		}
	}
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

// runDemoLogger plays an HJ 212 data logger for each registry device with an MN: it connects
// to the gateway and sends real-time data (CN 2011, answer wanted) built from the simulator.
func runDemoLogger(ctx context.Context, log *slog.Logger, addr string, cfg *config.Config, s *sim.Simulator, every time.Duration) {
	type device struct{ mn, topic string }
	var devices []device
	for _, st := range cfg.Stations {
		if st.MN != "" {
			devices = append(devices, device{st.MN, "air/" + st.ID})
		}
	}
	for _, src := range cfg.Sources {
		for _, o := range src.Outlets {
			if o.MN != "" {
				devices = append(devices, device{o.MN, "source/" + src.ID + "/" + o.ID})
			}
		}
	}
	if len(devices) == 0 || addr == "" {
		return
	}
	codes := map[string]string{"pm25": "a34004", "pm10": "a34002", "so2": "a21026", "no2": "a21004", "co": "a21005",
		"o3": "a05024", "dust": "a34013", "nox": "a21002", "o2": "a19001", "flow": "a00000", "temp": "a01012"}
	for ctx.Err() == nil {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		replies := hj212.NewSplitter(conn, hj212.DefaultMaxPacket)
		t := time.NewTicker(every)
		for ctx.Err() == nil {
			now := time.Now().Truncate(time.Second)
			byTopic := map[string][]byte{}
			for _, m := range s.Messages(now, reading.RealTime) {
				byTopic[m.Topic] = m.Payload
			}
			for _, d := range devices {
				payload, ok := byTopic[d.topic]
				if !ok {
					continue
				}
				cp := demoCP(d.topic, payload, codes, now, cfg.Location())
				st := "22"
				if strings.HasPrefix(d.topic, "source/") {
					st = "31"
				}
				pkt, err := hj212.Encode(hj212.Header{QN: hj212.NewQN(now, cfg.Location()), ST: st, CN: "2011", PW: "123456",
					MN: d.mn, Flag: 5, HasFlag: true}, cp)
				if err != nil {
					log.Error("demo data logger: encode", "err", err)
					continue
				}
				if _, err := conn.Write(pkt); err != nil {
					break
				}
				_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				if _, err := replies.Next(); err != nil {
					log.Warn("demo data logger: no reply from gateway", "err", err)
				}
			}
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
		t.Stop()
		conn.Close()
	}
}

// demoCP turns a simulator JSON payload into an HJ 212 CP area.
func demoCP(topic string, payload []byte, codes map[string]string, now time.Time, loc *time.Location) string {
	var r reading.Reading
	var err error
	if strings.HasPrefix(topic, "air/") {
		r, err = jsonreading.DecodeAir(strings.TrimPrefix(topic, "air/"), payload)
	} else {
		parts := strings.Split(topic, "/")
		r, err = jsonreading.DecodeSource(parts[1], parts[2], payload)
	}
	var b strings.Builder
	b.WriteString("DataTime=" + hj212.FormatTime(now, loc))
	if err != nil {
		return b.String()
	}
	for _, v := range r.Values {
		code, ok := codes[v.Name]
		if !ok || v.NoValue {
			continue
		}
		fmt.Fprintf(&b, ";%s-Rtd=%.3f,%s-Flag=N", code, v.Value, code)
	}
	return b.String()
}

// publishForecasts plays the forecasting centre: every few minutes, a 3-day forecast per county
// and park from the simulator's own future (a perfect forecast), so that the warning office
// recommends as the simulated episode builds up.
func publishForecasts(ctx context.Context, log *slog.Logger, brk *broker.Broker, s *sim.Simulator, cfg *config.Config) {
	countyOf := map[string]string{}
	for _, st := range cfg.Stations {
		countyOf[st.ID] = st.Area
	}
	type day struct {
		Date    string `json:"date"`
		AQI     int    `json:"aqi"`
		Primary string `json:"primary,omitempty"`
	}
	loc := cfg.Location()
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		now := time.Now().In(loc)
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
		forecast := map[string][]day{}
		for d := 1; d <= 3; d++ {
			date := today.AddDate(0, 0, d)
			sums := map[string][2]float64{}
			counts := map[string]float64{}
			for _, m := range s.Messages(date, reading.Day) {
				station, ok := strings.CutPrefix(m.Topic, "air/")
				county := countyOf[station]
				if !ok || county == "" {
					continue
				}
				r, err := jsonreading.DecodeAir(station, m.Payload)
				if err != nil {
					continue
				}
				pm25, ok25 := r.Get("pm25")
				pm10, ok10 := r.Get("pm10")
				if !ok25 || !ok10 {
					continue
				}
				v := sums[county]
				sums[county] = [2]float64{v[0] + pm25.Value, v[1] + pm10.Value}
				counts[county]++
			}
			for county, v := range sums {
				rules := aqi.RulesForTime(date)
				i25, i10 := demoIAQI(rules, aqi.PM25_24h, v[0]/counts[county]), demoIAQI(rules, aqi.PM10_24h, v[1]/counts[county])
				dd := day{Date: date.Format("2006-01-02"), AQI: max(i25, i10)}
				if dd.AQI > 50 {
					dd.Primary = "PM2.5"
					if i10 > i25 {
						dd.Primary = "PM10"
					}
				}
				forecast[county] = append(forecast[county], dd)
			}
		}
		for county, days := range forecast {
			payload, err := json.Marshal(map[string]any{"area": county, "issued": now.Format(time.RFC3339),
				"source": "demo simulator (perfect forecast)", "days": days})
			if err == nil {
				err = brk.Publish("lantian/forecast/"+county, payload, false, 1)
			}
			if err != nil {
				log.Warn("demo forecast not published", "area", county, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
