// Command lantian-bench measures Lantian end to end against a real Mosquitto and InfluxDB:
// QoS 1 backlogs of several payload kinds drained from the broker, and live streams at fixed
// rates, each for subscribers run as separate processes — a do-nothing paho subscriber (the
// client library's ceiling), the channel pipeline a competent engineer writes first, a minimal
// Telegraf (MQTT consumer, JSON parser, InfluxDB v2 output) and `lantian run` — and writes the
// figures with their ratios as Markdown (docs/performance.md via `make bench`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// backlogSpec is one backlog scenario: a payload kind and how many readings.
type backlogSpec struct {
	payload string
	n       int
}

type options struct {
	out          string
	backlogs     []backlogSpec
	rates        []int
	liveDuration time.Duration
	lantianBin   string
	influxdBin   string
	mosquittoBin string
	telegrafBin  string
	quick        bool
	keepDir      bool
	stations     int
	publishers   int
	drainCap     time.Duration
	liveCap      time.Duration
	quietWait    time.Duration
	subscribers  []string
	args         []string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == subscriberCmd {
		os.Exit(subscriberMain(os.Args[2:]))
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	opt, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opt); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted; no report written: %w", err)
		}
		slog.Error("bench failed", "err", err)
		stop()
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("lantian-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opt options
	rates := fs.String("rates", "10000", "live stream rates in readings/s, comma-separated")
	fs.StringVar(&opt.out, "out", "", "write the Markdown report to this file (default stdout)")
	backlogs := fs.String("backlogs", "1h:1000000,rt:200000,mix:200000",
		"QoS 1 backlogs to drain, comma-separated payload:readings; payloads rt (ambient real-time), 1h (ambient hourly), mix (hourly, every fifth an outlet's); empty skips backlogs")
	fs.DurationVar(&opt.liveDuration, "live-duration", 20*time.Second, "length of each live stream")
	fs.StringVar(&opt.lantianBin, "lantian", "bin/lantian", "lantian binary (make build)")
	fs.StringVar(&opt.influxdBin, "influxd", "tools/bin/influxd", "InfluxDB 1.8 binary (make tools)")
	fs.StringVar(&opt.mosquittoBin, "mosquitto", "/usr/sbin/mosquitto", "Mosquitto binary")
	fs.StringVar(&opt.telegrafBin, "telegraf", "tools/bin/telegraf", "minimal Telegraf binary (make bench builds it)")
	fs.BoolVar(&opt.keepDir, "keep-dir", false, "keep the run's temporary folder (subscriber logs and configs) for a look afterwards")
	fs.BoolVar(&opt.quick, "quick", false, "small numbers for a smoke run (flags given explicitly still apply)")
	fs.IntVar(&opt.stations, "stations", 1000, "stations (and, in the mix, outlets) the readings are spread over")
	fs.IntVar(&opt.publishers, "publishers", 4, "parallel publisher connections filling the backlog")
	fs.DurationVar(&opt.drainCap, "drain-cap", 3*time.Minute, "longest a subscriber may take to drain a backlog")
	fs.DurationVar(&opt.liveCap, "live-cap", time.Minute, "longest a subscriber may lag behind after a live stream ends")
	fs.DurationVar(&opt.quietWait, "quiet-wait", 20*time.Second, "before each run, wait up to this long for other work on the machine to drop below half a core")
	subs := fs.String("subscribers", strings.Join(kinds, ","), "subscribers to measure, comma-separated: "+strings.Join(kinds, ", "))
	if err := fs.Parse(args); err != nil {
		return opt, err
	}
	for _, k := range strings.Split(*subs, ",") {
		k = strings.TrimSpace(k)
		if _, ok := kindTitle[k]; !ok {
			fmt.Fprintf(stderr, "lantian-bench: -subscribers: unknown subscriber %q (want %s)\n", k, strings.Join(kinds, ", "))
			return opt, errors.New("usage")
		}
		opt.subscribers = append(opt.subscribers, k)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lantian-bench: unexpected arguments %q\n", fs.Args())
		return opt, errors.New("usage")
	}
	if opt.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["backlogs"] {
			*backlogs = "1h:30000,rt:10000,mix:10000"
		}
		if !set["rates"] {
			*rates = "2000"
		}
		if !set["stations"] {
			opt.stations = 200
		}
		if !set["live-duration"] {
			opt.liveDuration = 5 * time.Second
		}
		if !set["drain-cap"] {
			opt.drainCap = time.Minute
		}
	}
	for _, spec := range strings.Split(*backlogs, ",") {
		if spec = strings.TrimSpace(spec); spec == "" {
			continue
		}
		payload, count, _ := strings.Cut(spec, ":")
		n, err := strconv.Atoi(count)
		if (payload != payloadRT && payload != payloadHour && payload != payloadMix) || err != nil || n <= 0 {
			fmt.Fprintf(stderr, "lantian-bench: -backlogs: %q is not payload:readings with payload rt, 1h or mix\n", spec)
			return opt, errors.New("usage")
		}
		opt.backlogs = append(opt.backlogs, backlogSpec{payload: payload, n: n})
	}
	for _, r := range strings.Split(*rates, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		n, err := strconv.Atoi(r)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "lantian-bench: -rates: %q is not a positive number\n", r)
			return opt, errors.New("usage")
		}
		opt.rates = append(opt.rates, n)
	}
	if opt.stations <= 0 || opt.publishers <= 0 || opt.liveDuration <= 0 {
		fmt.Fprintln(stderr, "lantian-bench: -stations, -publishers and -live-duration must be positive")
		return opt, errors.New("usage")
	}
	opt.args = args
	return opt, nil
}

// bench holds what every run shares.
type bench struct {
	opt           options
	dir           string
	svc           *services
	lantianConfig string
}

func run(ctx context.Context, opt options) error {
	bins := []*string{&opt.lantianBin, &opt.influxdBin, &opt.mosquittoBin}
	if slices.Contains(opt.subscribers, kindTelegraf) {
		bins = append(bins, &opt.telegrafBin)
	}
	for _, bin := range bins {
		p, err := exec.LookPath(*bin)
		if err != nil {
			return fmt.Errorf("binary %s: %w (make build, make tools, make bench builds Telegraf)", *bin, err)
		}
		if *bin, err = filepath.Abs(p); err != nil {
			return fmt.Errorf("binary %s: %w", p, err)
		}
	}
	rep := &report{opt: opt, machine: describeMachine(), started: time.Now(), loadStart: loadAvg(),
		versions: toolVersions(opt.mosquittoBin, opt.influxdBin)}
	dir, err := os.MkdirTemp("", "lantian-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	if opt.keepDir {
		slog.Info("keeping the run's files (logs, configs, data)", "dir", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	slog.Info("starting mosquitto and influxdb", "dir", dir)
	svc, err := startServices(ctx, dir, opt.mosquittoBin, opt.influxdBin)
	if err != nil {
		return err
	}
	defer svc.stop()
	b := &bench{opt: opt, dir: dir, svc: svc, lantianConfig: filepath.Join(dir, "lantian.yaml")}
	if err := os.WriteFile(b.lantianConfig, []byte(registryYAML(opt.stations)), 0o600); err != nil {
		return fmt.Errorf("write lantian config: %w", err)
	}

	for _, spec := range opt.backlogs {
		set := backlogSet{spec: spec}
		for _, kind := range opt.subscribers {
			slog.Info("backlog", "subscriber", kind, "payload", spec.payload, "readings", spec.n)
			r := b.backlog(ctx, kind, spec)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			logResult("backlog "+spec.payload, r)
			set.results = append(set.results, r)
		}
		rep.backlog = append(rep.backlog, set)
	}
	for _, rate := range opt.rates {
		var rs []result
		for _, kind := range opt.subscribers {
			slog.Info("live", "subscriber", kind, "rate", rate, "duration", opt.liveDuration)
			r := b.live(ctx, kind, rate)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			logResult("live", r)
			rs = append(rs, r)
		}
		rep.live = append(rep.live, liveSet{rate: rate, results: rs})
	}
	scale := b.scaleOut(ctx) // scaleout.go
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rep.finished = time.Now()
	rep.loadEnd = loadAvg()

	md := rep.markdown() + scaleOutMarkdown(scale, rep.machine.Cores)
	if opt.out == "" {
		_, err := io.WriteString(os.Stdout, md)
		return err
	}
	tmp := opt.out + ".tmp"
	if err := os.WriteFile(tmp, []byte(md), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(tmp, opt.out); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	slog.Info("report written", "file", opt.out)
	return nil
}

func logResult(scenario string, r result) {
	attrs := []any{"subscriber", r.Kind, "stored", r.Stored, "of", r.Target, "wall", r.Wall.Round(time.Millisecond),
		"per_s", int(r.rate()), "cpu", r.CPU, "us_per_reading", fmt.Sprintf("%.2f", r.usPerReading()),
		"peak_rss_mb", fmt.Sprintf("%.1f", mb(r.PeakRSS))}
	if r.Err != nil {
		slog.Error(scenario+" run failed", append(attrs, "err", r.Err)...)
		return
	}
	slog.Info(scenario+" done", attrs...)
}

// registryYAML is the lantian configuration the bench runs with: the built-in defaults plus a
// registry of the bench's stations and outlets, spread over the prefecture's counties.
func registryYAML(stations int) string {
	counties := []string{"changji", "fukang", "hutubi", "manas", "jimsar", "qitai", "mori"}
	var sb strings.Builder
	sb.WriteString("# lantian-bench registry: the stations the bench publishes for\nstations:\n")
	for i := 0; i < stations; i++ {
		class := "micro"
		if i%10 == 0 {
			class = "national"
		}
		fmt.Fprintf(&sb, "  - {id: %s, name: 压测站%d, area: %s, class: %s}\n", stationID(i), i+1, counties[i%len(counties)], class)
	}
	sb.WriteString("sources:\n")
	for i := 0; i < stations; i++ {
		fmt.Fprintf(&sb, "  - {id: %s, name: 压测企业%d, area: %s, industry: power, outlets: [{id: %s}]}\n", sourceID(i), i+1, counties[i%len(counties)], outletID)
	}
	return sb.String()
}
