package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Subscriber kinds, in the order the report lists them.
const (
	kindNull     = "null"
	kindSimple   = "simple"
	kindChannel  = "channel"
	kindTelegraf = "telegraf"
	kindLantian  = "lantian"
)

// kinds are the subscribers measured by default; the simplest pipeline (writes inside the
// paho handler) is there on request only: it is slower than what anyone would run.
var kinds = []string{kindNull, kindChannel, kindTelegraf, kindLantian}

var kindTitle = map[string]string{
	kindNull:     "paho, do nothing (library ceiling)",
	kindSimple:   "simplest pipeline (writes inside the paho handler)",
	kindChannel:  "channel pipeline (paho → json.Unmarshal → channel → one batching writer, ack after write)",
	kindTelegraf: "Telegraf (mqtt_consumer → json → influxdb_v2)",
	kindLantian:  "lantian run",
}

// filtersOf are the subscriptions the kind's session holds: lantian's are those of its data
// contract, the comparison subscribers take the air and source topics the bench publishes to.
func filtersOf(kind string) []string {
	if kind == kindLantian {
		return []string{"lantian/air/+", "lantian/source/+/+", "lantian/hj212/+"}
	}
	return []string{"lantian/air/+", "lantian/source/+/+"}
}

//go:embed telegraf.conf
var telegrafConf string

// subscriber is one running subscriber process.
type subscriber struct {
	kind string
	proc *process
	base string // http://addr of its progress or metrics endpoint
	// Telegraf has no progress endpoint: its log says when it is connected, and InfluxDB
	// how many points it wrote.
	logPath string
	svc     *services
}

// progress is what a subscriber has done so far.
type progress struct {
	Ready       bool
	Received    int64
	Stored      int64
	Rejected    int64
	WriteErrors int64
	// lantian only: the latency histograms.
	Age, Arrival hist
	// comparison subscribers only: their own latency measurement.
	LatCount   int64
	P50ms      float64
	P99ms      float64
	ScrapeTime time.Duration
	// lantian only: go_goroutines and lantian_mqtt_inflight_messages now, and the highest
	// values seen by waitStored's polls.
	Goroutines, PeakGoroutines int64
	Inflight, PeakInflight     int64
}

type subscriberSpec struct {
	kind     string
	clientID string
	latency  bool // the comparison subscribers measure latency (live runs)
	tag      string
	// unixMillis: the readings' time is unix milliseconds (live), else RFC 3339 (backlogs);
	// Telegraf's JSON parser must be told which.
	unixMillis bool
}

// startSubscriber starts the kind's process against the bench's broker and database.
func (b *bench) startSubscriber(spec subscriberSpec) (*subscriber, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(b.dir, spec.tag+".log")
	var bin string
	var args []string
	switch spec.kind {
	case kindNull, kindSimple, kindChannel:
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find own binary: %w", err)
		}
		args = []string{subscriberCmd, "-mode", spec.kind, "-mqtt-url", b.svc.mqttURL, "-client-id", spec.clientID,
			"-influx-url", b.svc.influx.URL, "-bucket", b.svc.influx.Bucket(), "-progress-addr", addr}
		if spec.latency {
			args = append(args, "-latency")
		}
	case kindLantian:
		bin = b.opt.lantianBin
		dataDir := filepath.Join(b.dir, spec.tag+"-data")
		args = []string{"run", "--config", b.lantianConfig, "--mqtt-url", b.svc.mqttURL, "--mqtt-client-id", spec.clientID,
			"--influx-url", b.svc.influx.URL, "--influx-bucket", b.svc.influx.Bucket(), "--http-addr", addr,
			"--data-dir", dataDir, "--log-level", "warn"}
	case kindTelegraf:
		bin = b.opt.telegrafBin
		timeFormat := time.RFC3339
		if spec.unixMillis {
			timeFormat = "unix_ms"
		}
		conf := strings.NewReplacer("{{MQTT_URL}}", b.svc.mqttURL, "{{CLIENT_ID}}", spec.clientID,
			"{{INFLUX_URL}}", b.svc.influx.URL, "{{BUCKET}}", b.svc.influx.Bucket(), "{{TIME_FORMAT}}", timeFormat).Replace(telegrafConf)
		confPath := filepath.Join(b.dir, spec.tag+"-telegraf.conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			return nil, fmt.Errorf("write telegraf config: %w", err)
		}
		args = []string{"--config", confPath}
	default:
		return nil, fmt.Errorf("unknown subscriber kind %q", spec.kind)
	}
	p, err := startProcess(spec.kind, bin, args, logPath, nil)
	if err != nil {
		return nil, err
	}
	return &subscriber{kind: spec.kind, proc: p, base: "http://" + addr, logPath: logPath, svc: b.svc}, nil
}

// waitReady waits until the subscriber is connected and subscribed (lantian: /readyz is 200).
func (s *subscriber) waitReady(ctx context.Context) error {
	return waitFor(ctx, 60*time.Second, func() error {
		if err := s.proc.alive(); err != nil {
			return err
		}
		if s.kind == kindLantian {
			return httpOK(ctx, s.base+"/readyz")
		}
		p, err := s.progress(ctx)
		if err != nil {
			return err
		}
		if !p.Ready {
			return fmt.Errorf("%s not subscribed yet", s.kind)
		}
		return nil
	})
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	return nil
}

// progress asks the subscriber how far it got: the comparison subscribers' /progress, or
// lantian's /metrics (lantian_readings_stored_total counts readings made durable).
func (s *subscriber) progress(ctx context.Context) (progress, error) {
	began := time.Now()
	if s.kind == kindTelegraf {
		logText, err := os.ReadFile(s.logPath)
		if err != nil {
			return progress{}, fmt.Errorf("telegraf log: %w", err)
		}
		n, err := s.svc.countPoints()
		if err != nil {
			return progress{}, err
		}
		return progress{Ready: strings.Contains(string(logText), "Connected"), Received: n, Stored: n, ScrapeTime: time.Since(began)}, nil
	}
	if s.kind == kindLantian {
		fams, err := scrape(ctx, s.base+"/metrics")
		if err != nil {
			return progress{}, err
		}
		return progress{
			Ready:      true,
			Received:   int64(counterSum(fams, "lantian_messages_total")),
			Stored:     int64(counterSum(fams, "lantian_readings_stored_total")),
			Rejected:   int64(counterSum(fams, "lantian_rejected_total")),
			Age:        histogramOf(fams, "lantian_reading_age_at_durable_seconds"),
			Arrival:    histogramOf(fams, "lantian_arrival_to_durable_seconds"),
			Goroutines: int64(counterSum(fams, "go_goroutines")),
			Inflight:   int64(counterSum(fams, "lantian_mqtt_inflight_messages")),
			ScrapeTime: time.Since(began),
		}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/progress", nil)
	if err != nil {
		return progress{}, fmt.Errorf("progress of %s: %w", s.kind, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return progress{}, fmt.Errorf("progress of %s: %w", s.kind, err)
	}
	defer resp.Body.Close()
	var cp childProgress
	if err := json.NewDecoder(resp.Body).Decode(&cp); err != nil {
		return progress{}, fmt.Errorf("progress of %s: %w", s.kind, err)
	}
	return progress{
		Ready: cp.Ready, Received: cp.Received, Stored: cp.Stored, Rejected: cp.Malformed,
		WriteErrors: cp.WriteErrors, LatCount: cp.LatencyCount, P50ms: cp.P50Ms, P99ms: cp.P99Ms,
		ScrapeTime: time.Since(began),
	}, nil
}

// nextPoll is how long to wait before asking for progress again. Lantian's /metrics is a real
// exposition whose cost lands on lantian's CPU (the bench measures it), so polls are spaced up to
// a second apart and come faster only when the current rate says the target is near, which
// keeps the end time accurate to about 50 ms with few scrapes.
func nextPoll(stored, want int64, perSecond float64) time.Duration {
	const lo, hi = 50 * time.Millisecond, time.Second
	if perSecond <= 0 {
		return 200 * time.Millisecond
	}
	eta := time.Duration(float64(want-stored) / perSecond * float64(time.Second))
	return min(max(eta/2, lo), hi)
}

// waitStored polls until the subscriber has stored want readings or the deadline passes. It
// returns the last progress and when it was seen.
func (s *subscriber) waitStored(ctx context.Context, want int64, deadline time.Time) (progress, time.Time, int, error) {
	var last progress
	var lastErr error
	var lastAt time.Time
	var peakG, peakI int64
	var perSecond float64
	polls := 0
	for {
		if err := s.proc.alive(); err != nil {
			return last, time.Now(), polls, err
		}
		p, err := s.progress(ctx)
		polls++
		seen := time.Now()
		switch {
		case err == nil:
			if !lastAt.IsZero() && seen.After(lastAt) {
				perSecond = float64(p.Stored-last.Stored) / seen.Sub(lastAt).Seconds()
			}
			peakG, peakI = max(peakG, p.Goroutines), max(peakI, p.Inflight)
			p.PeakGoroutines, p.PeakInflight = peakG, peakI
			last, lastErr, lastAt = p, nil, seen
			if p.Stored >= want {
				return last, seen, polls, nil
			}
		case strings.Contains(err.Error(), "connection refused"):
			lastErr = err // still starting
		default:
			return last, seen, polls, err
		}
		if seen.After(deadline) {
			return last, seen, polls, lastErr
		}
		select {
		case <-ctx.Done():
			return last, seen, polls, ctx.Err()
		case <-time.After(nextPoll(last.Stored, want, perSecond)):
		}
	}
}
