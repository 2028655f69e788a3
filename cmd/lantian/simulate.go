package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/sim"
	"lantian/service/config"
)

func simulateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lantian simulate [flags]\n\nPublishes simulated readings of every station and outlet of the registry to an MQTT broker\n(see docs/simulator.md).\n\nFlags:")
		fs.PrintDefaults()
	}
	configPath := fs.String("config", "", "registry/config file (env LANTIAN_CONFIG; default "+defaultConfigPath+" when present)")
	mqttURL := fs.String("mqtt-url", "", "MQTT broker URL (env LANTIAN_MQTT_URL; default the config's mqtt.url, else tcp://127.0.0.1:1883)")
	clientID := fs.String("mqtt-client-id", "lantian-sim", "stable MQTT client id of the simulator (not the collector's)")
	username := fs.String("mqtt-username", "", "MQTT user name (env LANTIAN_MQTT_USERNAME)")
	password := fs.String("mqtt-password", "", "MQTT password (prefer env LANTIAN_MQTT_PASSWORD)")
	prefix := fs.String("topic-prefix", "", "topic prefix (default the config's mqtt.topic_prefix, lantian)")
	qos := fs.Uint("qos", 1, "QoS of the publishes: 0, 1 or 2")
	rate := fs.Float64("rate", 0, "messages per second; 0 = as fast as the broker takes them")
	count := fs.Int("count", 0, "stop after this many messages; 0 = until interrupted")
	extra := fs.Int("stations", 0, `synthetic micro-stations "sim-0001".. outside the registry (collector needs accept_unknown_stations)`)
	period := fs.String("period", "rt", "period of the readings: rt, 1m, 1h or 1d")
	speed := fs.Float64("speed", 1, "simulated seconds per real second while behind the clock (--start in the past); 0 = as fast as --rate allows")
	start := fs.String("start", "now", `simulated time of the first reading: "now", RFC 3339, or an offset such as -72h`)
	untilNow := fs.Bool("until-now", false, "stop once the simulated clock catches up with the wall clock (a backfill)")
	interval := fs.Duration("interval", 0, "simulated time between two readings of a station; 0 = the period (rt: 1m, or stations/rate with --rate)")
	seed := fs.Int64("seed", 1, "random seed; the same seed and times give the same readings")
	episode := fs.String("episode", "start", `heavy-pollution episode start: "start", "none", RFC 3339, or an offset from --start such as -48h`)
	faults := fs.String("faults", "default", `outlet faults: "default" (a few outlets, see docs) or "none"`)
	progressEvery := fs.Duration("progress", 5*time.Second, "interval of the progress line on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lantian simulate: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "lantian simulate: "+format+"\n", a...)
		return errUsage
	}
	p, err := reading.ParsePeriod(*period)
	if err != nil {
		return usageErr("--period: %v", err)
	}
	if *qos > 2 {
		return usageErr("--qos %d: want 0, 1 or 2", *qos)
	}
	if *rate < 0 || *count < 0 || *extra < 0 || *speed < 0 || *interval < 0 {
		return usageErr("--rate, --count, --stations, --speed and --interval must not be negative")
	}
	if *faults != "default" && *faults != "none" {
		return usageErr(`--faults %q: want "default" or "none"`, *faults)
	}
	now := time.Now()
	startTime, err := parseWhen(*start, now, now)
	if err != nil {
		return usageErr("--start: %v", err)
	}

	cfg, file, err := loadRegistry(*configPath)
	if err != nil {
		return err
	}
	loc := cfg.Location()
	startTime = startTime.In(loc)
	var episodeStart time.Time
	if *episode != "none" {
		if episodeStart, err = parseWhen(*episode, startTime, startTime); err != nil {
			return usageErr("--episode: %v", err)
		}
	}
	var plan []sim.Fault
	if *faults == "default" {
		plan = sim.DefaultFaults(&cfg.Registry, startTime)
	}
	s, err := sim.New(sim.Options{
		Registry: &cfg.Registry, Seed: *seed, Location: loc,
		EpisodeStart: episodeStart, ExtraStations: *extra, Faults: plan,
	})
	if err != nil {
		return err
	}

	o := sim.PublishOptions{
		Session: sim.Session{
			URL:      firstOf(*mqttURL, os.Getenv("LANTIAN_MQTT_URL"), cfg.MQTT.URL),
			ClientID: *clientID,
			Username: firstOf(*username, os.Getenv("LANTIAN_MQTT_USERNAME")),
			Password: firstOf(*password, os.Getenv("LANTIAN_MQTT_PASSWORD")),
			// The prefix is the collector's, so that both agree on the topics by default.
			TopicPrefix:   firstOf(*prefix, cfg.MQTT.TopicPrefix),
			ProgressEvery: *progressEvery,
		},
		QoS:       byte(*qos),
		Rate:      *rate,
		Count:     *count,
		Period:    p,
		Speed:     *speed,
		Start:     startTime,
		StopAtNow: *untilNow,
		Interval:  *interval,
	}
	if o.Speed == 0 {
		o.Speed = math.Inf(1)
	}

	source := file
	if source == "" {
		source = "built-in defaults (no stations or sources)"
	}
	fmt.Fprintf(stderr, "simulate: registry %s: %d stations + %d synthetic, %d sources; %s/… at %s, period %s, QoS %d, seed %d\n",
		source, len(cfg.Stations), *extra, len(cfg.Sources), o.TopicPrefix, o.URL, p, o.QoS, *seed)
	if !episodeStart.IsZero() {
		fmt.Fprintf(stderr, "simulate: heavy-pollution episode builds from %s, peaks %s\n",
			episodeStart.Format(time.RFC3339), sim.EpisodePeak(episodeStart).Format(time.RFC3339))
	}
	for _, f := range plan {
		until := "on"
		if !f.Until.IsZero() {
			until = "until " + f.Until.Format(time.RFC3339)
		}
		field := ""
		if f.Field != "" {
			field = " " + f.Field
		}
		fmt.Fprintf(stderr, "simulate: fault %s%s on %s/%s from %s %s\n", f.Kind, field, f.Source, f.Outlet, f.From.Format(time.RFC3339), until)
	}

	var last sim.Stats
	progress := func(st sim.Stats) {
		fmt.Fprintf(stderr, "simulate: %d published (%.0f/s over the last interval), %d errors, %d awaiting ack, sim time %s\n",
			st.Published, float64(st.Published-last.Published)/(st.Elapsed-last.Elapsed).Seconds(),
			st.Errors, st.Sent-st.Published-st.Errors, st.SimTime.Format(time.RFC3339))
		last = st
	}
	st, err := sim.Publish(ctx, s, o, progress)
	rateSeen := 0.0
	if secs := st.Elapsed.Seconds(); secs > 0 {
		rateSeen = float64(st.Published) / secs
	}
	fmt.Fprintf(stdout, "simulate: %d messages published in %s (%.0f/s), %d errors, %d unconfirmed; last sim time %s\n",
		st.Published, st.Elapsed.Round(time.Millisecond), rateSeen, st.Errors, st.Sent-st.Published-st.Errors,
		st.SimTime.Format(time.RFC3339))
	return err
}

// loadRegistry reads the config file for its registry, zone and MQTT defaults.
func loadRegistry(path string) (config.Config, string, error) {
	file := firstOf(path, os.Getenv("LANTIAN_CONFIG"))
	if file == "" {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			file = defaultConfigPath
		}
	}
	cfg := config.Default()
	if file != "" {
		var err error
		if cfg, err = config.Load(file); err != nil {
			return cfg, file, err
		}
	}
	if err := cfg.Resolve(); err != nil {
		return cfg, file, fmt.Errorf("invalid configuration (%s):\n%w", firstOf(file, "built-in defaults"), err)
	}
	return cfg, file, nil
}

// parseWhen reads "now", RFC 3339, or a signed offset (e.g. -72h) from base.
func parseWhen(s string, now, base time.Time) (time.Time, error) {
	switch {
	case s == "now":
		return now, nil
	case s == "start":
		return base, nil
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+"):
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an offset such as -72h", s)
		}
		return base.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339 (e.g. 2024-01-10T08:00:00+08:00)", s)
	}
	return t, nil
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
