package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"lantian/ingest/hj212"
	"lantian/ingest/jsonreading"
	"lantian/ingest/mqtt"
	"lantian/ingest/pipeline"
	"lantian/ingest/reading"
	"lantian/service/config"
	"lantian/service/lease"
)

// Role is the part of the pipeline one `lantian run` process plays (docs/scaling.md).
type Role string

const (
	// RoleAll is the one-process service: intake, raw writes and every derived figure.
	RoleAll Role = "all"
	// RoleIngest takes readings (MQTT through the shared group, the HJ 212 gateway),
	// validates them and writes readings and dead letters; it keeps no derived state. Any
	// number of ingest instances run side by side.
	RoleIngest Role = "ingest"
	// RoleDerive computes the derived figures (assessment, source monitoring, the warning
	// office), serves the consoles and sends the alerts, from its own persistent MQTT session
	// that sees every reading; it writes no raw readings. One derive instance is active, the
	// others stand by until its lease is free.
	RoleDerive Role = "derive"
)

// ParseRole reads the --role flag.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAll, RoleIngest, RoleDerive:
		return r, nil
	}
	return "", fmt.Errorf("role %q: want all, ingest or derive", s)
}

func (r Role) derives() bool { return r == RoleAll || r == RoleDerive }
func (r Role) ingests() bool { return r == RoleAll || r == RoleIngest }

// check refuses configurations that would lose or double readings in this role.
func (r Role) check(cfg config.Config) error {
	if r == RoleAll && cfg.MQTT.SharedGroup != "" {
		return fmt.Errorf("mqtt.shared_group %q is set but the role is all: an instance that computes the derived figures must see every reading; run --role ingest instances in the group and one --role derive (docs/scaling.md)", cfg.MQTT.SharedGroup)
	}
	if r == RoleDerive && strings.Contains(cfg.MQTT.ClientID, "{hostname}") {
		return fmt.Errorf("mqtt.client_id %q: derive instances must share one client id, so that the one taking over continues the session with what its predecessor had not acknowledged (docs/scaling.md)", cfg.MQTT.ClientID)
	}
	if r == RoleIngest && cfg.MQTT.SharedGroup == "" {
		return errors.New("--role ingest needs mqtt.shared_group (or --mqtt-shared-group): without it every ingest instance would take every reading")
	}
	return nil
}

// mqttConfig is the collector's session in this role. The derive instance subscribes without
// the shared group even when the file shared by all instances sets one: it must see every
// reading.
func (r Role) mqttConfig(c mqtt.Config) mqtt.Config {
	if r == RoleDerive {
		c.SharedGroup = ""
	}
	return c
}

// rolePipeline adapts the pipeline to the role. The derive instance stores no raw readings
// (the ingest instances do) and keeps no dead letters (the ingest instances keep them): its
// pipeline validates with the same rules, so its observers see exactly the readings the ingest
// instances accept, and acknowledges a message once its observers have it.
func (s *Service) rolePipeline(c pipeline.Config) pipeline.Config {
	if s.role == RoleDerive {
		c.Sink = observeOnly{}
		c.DeadLetters = noDeadLetters{}
	}
	return c
}

// pipelineRegisterer is where the pipeline's counters go: nowhere visible in the derive role,
// whose pipeline stores nothing, so that a sum over instances counts each reading once.
func (s *Service) pipelineRegisterer() prometheus.Registerer {
	if s.role == RoleDerive {
		return prometheus.NewRegistry()
	}
	return s.Registry
}

// gatherer is what /metrics serves: the registry, with a role label on every series when the
// role is not all (the one-process service's series are as they always were). Prometheus adds
// the instance label when it scrapes, so sum by (role) or sum without (instance) adds up.
func (s *Service) gatherer() prometheus.Gatherer {
	if s.role == "" || s.role == RoleAll {
		return s.Registry
	}
	return roleGatherer{g: s.Registry, role: string(s.role)}
}

type roleGatherer struct {
	g    prometheus.Gatherer
	role string
}

func (r roleGatherer) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := r.g.Gather()
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			name, value := "role", r.role
			m.Label = append(m.Label, &dto.LabelPair{Name: &name, Value: &value})
		}
	}
	return mfs, err
}

type observeOnly struct{}

func (observeOnly) Submit(_ context.Context, _ []byte, done func(error)) { done(nil) }

type noDeadLetters struct{}

func (noDeadLetters) Put(string, string, []byte, string, error) error { return nil }

// RunOptions are the flags of `lantian run` beyond the configuration file.
type RunOptions struct {
	Role Role
	// InstanceID names this process on the derive lease and in the logs; default host
	// name and process id.
	InstanceID string
	// LeaseTTL is how long a derive standby waits for a holder that stopped renewing but whose
	// connection the broker still has open (a hung process); a dead one is replaced at once.
	LeaseTTL time.Duration
	// TakeoverDelay is how long a derive instance that has just taken the lease waits before
	// it rebuilds its state from InfluxDB: the readings its predecessor had already seen on
	// its own session are by then stored by the ingest instances (a write takes at most
	// influx.flush_interval + influx.timeout). Default: that sum.
	TakeoverDelay time.Duration
}

// DefaultLeaseTTL is the lease's default time to live.
const DefaultLeaseTTL = 15 * time.Second

// RunRole runs `lantian run` in a role until ctx is cancelled. A derive instance first stands
// by until it holds the derive lease (serving /healthz, and /readyz as not ready); it stops with
// an error when it loses the lease, so that the orchestrator starts it again as a standby.
func RunRole(ctx context.Context, cfg config.Config, opts RunOptions, log *slog.Logger) error {
	if opts.Role == "" {
		opts.Role = RoleAll
	}
	if err := opts.Role.check(cfg); err != nil {
		return err
	}
	cfg = expandHostname(cfg)
	if opts.Role != RoleDerive {
		svc, err := NewRole(cfg, opts.Role, log)
		if err != nil {
			return err
		}
		return svc.Run(ctx)
	}
	if opts.InstanceID == "" {
		host, _ := os.Hostname()
		opts.InstanceID = host + "-" + strconv.Itoa(os.Getpid())
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	log = log.With("role", string(RoleDerive), "instance", opts.InstanceID)
	held, err := standBy(ctx, cfg, opts, log)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped while standing by.
			return nil
		}
		return err
	}
	delay := opts.TakeoverDelay
	if delay == 0 {
		delay = cfg.Influx.FlushInterval + cfg.Influx.Timeout
	}
	log.Info("derive lease held; letting the ingest instances store what the previous holder saw before rebuilding", "delay", delay)
	select {
	case <-time.After(delay):
	case <-held.Lost():
		return fmt.Errorf("derive lease lost before taking over (%s)", held.Why())
	case <-ctx.Done():
		held.Release()
		return nil
	}
	svc, err := NewRole(cfg, RoleDerive, log)
	if err != nil {
		held.Release()
		return err
	}
	active := prometheus.NewGauge(prometheus.GaugeOpts{Name: "lantian_derive_active",
		Help: "1 while this instance holds the derive lease and computes the derived figures."})
	svc.Registry.MustRegister(active)
	active.Set(1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-held.Lost():
			log.Error("derive lease lost: stopping this instance; it starts again as a standby", "why", held.Why())
			cancel()
		case <-rctx.Done():
		}
	}()
	err = svc.Run(rctx)
	select {
	case <-held.Lost():
		if ctx.Err() == nil {
			return errors.Join(err, fmt.Errorf("derive lease lost (%s)", held.Why()))
		}
	default:
	}
	held.Release()
	return err
}

// standBy serves /healthz, /readyz and /metrics while it waits for the derive lease.
func standBy(ctx context.Context, cfg config.Config, opts RunOptions, log *slog.Logger) (*lease.Held, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	standby := prometheus.NewGauge(prometheus.GaugeOpts{Name: "lantian_derive_standby",
		Help: "1 while this derive instance stands by for the lease held by another instance."})
	reg.MustRegister(standby)
	standby.Set(1)
	var holder stringValue
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(roleGatherer{g: reg, role: string(RoleDerive)}, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "role": "derive", "state": "standby"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "role": "derive",
			"problems": []string{"standing by: the derive role is held by " + holder.get()}})
	})
	l, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on http.addr %s: %w", cfg.HTTP.Addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("derive instance: waiting for the derive lease", "http", "http://"+l.Addr().String())
	held, err := lease.Acquire(ctx, lease.Config{MQTT: cfg.MQTT, Name: "derive", Holder: opts.InstanceID, TTL: opts.LeaseTTL},
		log.With("component", "lease"), holder.set)
	if err != nil {
		return nil, fmt.Errorf("derive lease: %w", err)
	}
	return held, nil
}

// stringValue is a string shared between goroutines.
type stringValue struct {
	mu sync.Mutex
	v  string
}

func (s *stringValue) set(v string) { s.mu.Lock(); s.v = v; s.mu.Unlock() }
func (s *stringValue) get() string  { s.mu.Lock(); defer s.mu.Unlock(); return s.v }

// leaveGroup hands an ingest instance's turn in the shared group back before it stops
// (mqtt.Collector.LeaveGroup), so a member that is stopped for good leaves nothing queued.
func (s *Service) leaveGroup() {
	if s.role != RoleIngest {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Influx.Timeout+10*time.Second)
	defer cancel()
	if err := s.collector.LeaveGroup(ctx); err != nil {
		s.log.Warn("MQTT shared group", "err", err)
	}
}

// expandHostname replaces {hostname} in mqtt.client_id and data_dir with the host name, for
// replicas that share one configuration but must each keep their own broker session and spool
// (docker compose --scale: a container keeps its host name across restarts).
func expandHostname(cfg config.Config) config.Config {
	if !strings.Contains(cfg.MQTT.ClientID+cfg.DataDir, "{hostname}") {
		return cfg
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	cfg.MQTT.ClientID = strings.ReplaceAll(cfg.MQTT.ClientID, "{hostname}", host)
	cfg.DataDir = strings.ReplaceAll(cfg.DataDir, "{hostname}", host)
	return cfg
}

// gatewaySink is where the HJ 212 gateway puts the readings of TCP loggers. With --role all
// they go into the pipeline (and its observers) directly. An ingest instance puts them on the
// broker instead, as data-contract JSON on <prefix>/air/… and <prefix>/source/…, and answers
// the logger once the broker has acknowledged them: the shared group stores them like any
// MQTT reading, and the derive instance, which sees only the broker, sees them too.
func (s *Service) gatewaySink() hj212.Sink {
	direct := gatewaySink{p: s.Pipeline}
	if s.role != RoleIngest {
		return direct
	}
	fwd, err := mqtt.NewForwarder(s.cfg.MQTT, s.cfg.MQTT.ClientID+"-gateway", s.log.With("component", "hj212"))
	if err != nil {
		// SessionOptions failed for the collector already if the settings were wrong.
		s.log.Error("HJ 212 forwarder; storing gateway readings directly", "err", err)
		return direct
	}
	s.forwarder = fwd
	return forwardSink{gatewaySink: direct, fwd: fwd, prefix: s.cfg.MQTT.TopicPrefix}
}

// addForwarder runs the gateway's forwarder session; registered before the gateway, it stops
// after it.
func (s *Service) addForwarder(g *runGroup) {
	if s.forwarder == nil {
		return
	}
	g.add("hj212 forwarder", func(ctx context.Context) error {
		s.forwarder.Start()
		<-ctx.Done()
		s.forwarder.Stop()
		return nil
	})
}

type forwardSink struct {
	gatewaySink
	fwd    *mqtt.Forwarder
	prefix string
}

func (f forwardSink) Store(ctx context.Context, rs []reading.Reading) error {
	for i := range rs {
		topic, payload, err := jsonreading.Encode(f.prefix, &rs[i])
		if err != nil {
			return fmt.Errorf("%w: %w", hj212.ErrRefused, &reading.Rejection{Reason: reading.ReasonBadValue, Err: err})
		}
		if err := f.fwd.Publish(ctx, topic, payload); err != nil {
			return err
		}
	}
	return nil
}
