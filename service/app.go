// Package service assembles `lantian run`: spool, dead letters, InfluxDB writer, pipeline,
// MQTT collector, HJ 212 gateway, the derived components (streaming assessor, source
// monitoring, warning office), the Alertmanager client and the HTTP server, started and
// stopped in order by one run group.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"lantian/alert/hotspot"
	"lantian/alert/notify"
	"lantian/alert/office"
	"lantian/alert/source"
	"lantian/alert/stationqc"
	"lantian/alert/stream"
	"lantian/ingest/conf"
	"lantian/ingest/deadletter"
	"lantian/ingest/hj212"
	"lantian/ingest/influx"
	"lantian/ingest/lograte"
	"lantian/ingest/mqtt"
	"lantian/ingest/pipeline"
	"lantian/ingest/spool"
	"lantian/ingest/status"
	"lantian/ingest/validate"
	"lantian/service/config"
)

// Service is a running ingest service.
type Service struct {
	cfg          config.Config
	role         Role
	log          *slog.Logger
	Registry     *prometheus.Registry
	Pipeline     *pipeline.Pipeline
	writer       *influx.Writer
	collector    *mqtt.Collector
	spool        *spool.Spool
	board        *status.Board
	warnings     *office.Office
	warningStore *office.Store
	hotspots     *hotspot.Detector
	stationQC    *stationqc.Checker
	dead         *deadletter.Store
	influx       influxdb2.Client
	// query is the InfluxDB query layer over the bucket: the assessor's rebuild reads the
	// stored hours through it, the warning office its observed AQI and emission rates.
	query           *influx.Reader
	listener        net.Listener
	gateway         *hj212.Server
	gatewayListener net.Listener
	// forwarder puts the gateway's readings on the broker (--role ingest only).
	forwarder *mqtt.Forwarder
	// HJ212Addr is the address of the HJ 212 gateway, empty when it is off.
	HJ212Addr string
	// alerts is the one Alertmanager client every component notifies through (nil without
	// alertmanager.urls); notifier is it, or notify.Nop.
	alerts   *notify.Client
	notifier notify.Notifier
	// The derived components; their loops run until the service stops (after the pipeline
	// has flushed, so they see every stored reading).
	assessor *stream.Assessor
	dust     *assessmentAPI  // sand-dust periods and their API (assessment.go)
	sources  *source.Monitor // nil when source monitoring is off
	srcx     *sourceExtras   // inspections register and coverage (sources.go, inspections.go)
	warnPub  *mqtt.Publisher
	// HTTPAddr is the address the HTTP server listens on (useful with port 0).
	HTTPAddr string
	health   health
	// MetricsAddr is the address of the separate metrics and health listener, if any.
	MetricsAddr     string
	metricsListener net.Listener
	// badInputLog rate-limits warnings about bad input; the pipeline and the gateway share it.
	badInputLog *lograte.Limiter
}

// New opens the local stores and builds every component of the one-process service
// (--role all); nothing runs until Run.
func New(cfg config.Config, log *slog.Logger) (*Service, error) {
	return NewRole(cfg, RoleAll, log)
}

// NewRole builds the components of one role (docs/scaling.md): RoleAll everything, RoleIngest
// the intake and raw writes, RoleDerive the derived figures, consoles and alerts.
func NewRole(cfg config.Config, role Role, log *slog.Logger) (*Service, error) {
	if err := role.check(cfg); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, role: role, log: log, Registry: prometheus.NewRegistry()}
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	s.spool, err = spool.OpenWith(filepath.Join(cfg.DataDir, "spool"), spool.Options{MaxBytes: int64(cfg.Spool.MaxBytes), Logger: log.With("component", "spool"), Metrics: s.Registry})
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	s.dead, err = deadletter.Open(filepath.Join(cfg.DataDir, "deadletters"), int64(cfg.DeadLetter.MaxFileBytes), cfg.DeadLetter.MaxFiles)
	if err != nil {
		s.spool.Close()
		return nil, fmt.Errorf("open dead letters: %w", err)
	}
	s.dead.Redact = hj212.MaskPassword
	opts := influxdb2.DefaultOptions().
		SetHTTPRequestTimeout(uint(cfg.Influx.Timeout / time.Second)).
		SetUseGZip(cfg.Influx.GZip)
	s.influx = influxdb2.NewClientWithOptions(cfg.Influx.URL, cfg.Influx.Token.Reveal(), opts)
	s.query = influx.NewReader(s.influx.QueryAPI(cfg.Influx.Org), cfg.Influx.Bucket)
	s.writer = influx.NewWriter(s.influx.WriteAPIBlocking(cfg.Influx.Org, cfg.Influx.Bucket), s.spool, s.dead,
		cfg.Influx.WriterConfig(cfg.Spool.AlarmRatio), s.Registry, log.With("component", "influx"))
	devices := hj212Devices(&cfg)
	s.notifier = notify.Nop{}
	if len(cfg.Alertmanager.URLs) > 0 {
		s.alerts, err = notify.New(cfg.Alertmanager, s.Registry, log.With("component", "alertmanager"))
		if err != nil {
			s.closeStores()
			return nil, fmt.Errorf("alertmanager: %w", err)
		}
		s.notifier = s.alerts
	}
	var observers []pipeline.Observer
	var routes map[string]pipeline.Route
	if role.derives() {
		observers, err = s.derivedObservers()
		if err != nil {
			s.closeStores()
			return nil, err
		}
		sourceObs, err := s.sourceObservers()
		if err != nil {
			s.closeStores()
			return nil, err
		}
		observers = append(observers, sourceObs...)
		commandCentreObs, err := s.commandCentreObservers()
		if err != nil {
			s.closeStores()
			return nil, err
		}
		observers = append(observers, commandCentreObs...)
		routes, err = s.warningRoutes()
		if err != nil {
			s.closeStores()
			return nil, err
		}
		s.board = status.NewBoard(&cfg.Registry, cfg.Ingest.SilentAfter)
		observers = append(observers, s.board)
	}
	// The append-only check guards raw writes, so it lives where they happen.
	var history pipeline.HistoryCheck
	if role.ingests() {
		guard, err := s.historyGuard()
		if err != nil {
			s.closeStores()
			return nil, err
		}
		history = guard
		observers = append(observers, guard)
	}
	s.Pipeline = pipeline.New(s.rolePipeline(pipeline.Config{
		Observers:       observers,
		Routes:          routes,
		TopicPrefix:     cfg.MQTT.TopicPrefix,
		MaxPayloadBytes: int(cfg.MQTT.MaxPayloadBytes),
		Checker: &validate.Checker{
			Registry:      &cfg.Registry,
			AcceptUnknown: cfg.Ingest.AcceptUnknownStations,
			MaxFuture:     cfg.Ingest.MaxFuture,
			MaxAge:        cfg.Ingest.MaxAge,
		},
		History:     history,
		Sink:        s.writer,
		DeadLetters: s.dead,
		HJ212: &hj212.PayloadDecoder{Registry: devices, Location: cfg.Location(),
			MaxPacket: int(cfg.HJ212.MaxPacketBytes)},
		Metrics:    pipeline.NewMetrics(s.pipelineRegisterer()),
		Log:        log.With("component", "pipeline"),
		LogLimiter: s.logLimit(),
	}))
	families := make([]string, 0, len(routes))
	for f := range routes {
		families = append(families, f)
	}
	s.collector, err = mqtt.New(role.mqttConfig(cfg.MQTT), mqtt.Filters(cfg.MQTT.TopicPrefix, families...), s.Pipeline.HandleMessage, s.Registry, log.With("component", "mqtt"))
	if err != nil {
		s.closeStores()
		return nil, err
	}
	if cfg.HJ212.Listen != "" && role.ingests() {
		s.gateway, err = hj212.NewServer(s.gatewayConfig(devices))
		if err != nil {
			s.closeStores()
			return nil, fmt.Errorf("hj212 gateway: %w", err)
		}
		s.gatewayListener, err = net.Listen("tcp", cfg.HJ212.Listen)
		if err != nil {
			s.closeStores()
			return nil, fmt.Errorf("listen on hj212.listen %s: %w", cfg.HJ212.Listen, err)
		}
		s.HJ212Addr = s.gatewayListener.Addr().String()
	}
	s.listener, err = net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		s.closeStores()
		return nil, fmt.Errorf("listen on http.addr %s: %w", cfg.HTTP.Addr, err)
	}
	s.HTTPAddr = s.listener.Addr().String()
	if cfg.HTTP.MetricsAddr != "" {
		if s.metricsListener, err = net.Listen("tcp", cfg.HTTP.MetricsAddr); err != nil {
			s.listener.Close()
			s.closeStores()
			return nil, fmt.Errorf("listen on http.metrics_addr %s: %w", cfg.HTTP.MetricsAddr, err)
		}
		s.MetricsAddr = s.metricsListener.Addr().String()
	}
	return s, nil
}

func (s *Service) closeStores() {
	s.srcx.close()
	s.influx.Close()
	s.spool.Close()
	s.dead.Close()
}

// Run runs the service until ctx is cancelled or the HTTP server fails, then shuts down in
// order: stop taking MQTT messages and wait for those in flight to become durable and be
// acknowledged, stop the HJ 212 gateway, stop creating the bucket, stop the derived
// components, deliver the last alerts, flush the writer, stop the HTTP server, close the stores.
func (s *Service) Run(ctx context.Context) error {
	defer s.closeStores()
	g := s.runGroup()
	s.log.Info("lantian running", "role", string(s.role), "http", "http://"+s.HTTPAddr, "mqtt", conf.RedactURL(s.cfg.MQTT.URL),
		"influx", conf.RedactURL(s.cfg.Influx.URL), "bucket", s.cfg.Influx.Bucket, "data_dir", s.cfg.DataDir)
	err := g.run(ctx)
	s.log.Info("stopped", "spooled_batches", s.spool.Len())
	return err
}

// runGroup registers every long-running part of the service. The group stops them in the
// reverse order, so each part is added after the parts it feeds: the HTTP server outlives
// everything; the writer takes the last results of the derived components and the readings
// of the gateway and the collector; the Alertmanager client delivers the derived components'
// last alerts; the gateway lets a store in progress finish, so its readings reach the writer
// before the writer's final flush.
func (s *Service) runGroup() *runGroup {
	g := &runGroup{}
	g.add("http server", s.serveHTTP)
	if s.metricsListener != nil {
		g.add("metrics server", s.serveMetrics)
	}
	g.add("influx writer", s.writer.Run)
	if s.alerts != nil {
		g.add("alertmanager client", s.alerts.Run)
	}
	if s.role.derives() {
		g.add("derived components", s.runDerived)
	}
	if s.cfg.Influx.CreateBucket {
		g.add("bucket creation", func(ctx context.Context) error { s.ensureBucket(ctx); return nil })
	}
	s.addForwarder(g)
	if s.gateway != nil {
		g.add("hj212 gateway", func(ctx context.Context) error {
			if err := s.gateway.Serve(ctx, s.gatewayListener); err != nil {
				s.log.Error("hj212 gateway stopped", "err", err)
			}
			return nil
		})
	}
	g.add("mqtt collector", s.collect)
	return g
}

// serveHTTP serves until ctx is cancelled, then lets requests in progress finish.
func (s *Service) serveHTTP(ctx context.Context) error {
	srv := s.httpServer(s.routes())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(s.listener) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		s.log.Warn("http shutdown", "err", err)
	}
	<-served
	return nil
}

// runDerived runs the derived components' loops until ctx is cancelled and all of them have
// returned. A loop that fails is logged and the service goes on without it.
func (s *Service) runDerived(ctx context.Context) error {
	loops := []func(context.Context) error{s.assessor.Run, s.runWarnings}
	if s.sources != nil {
		loops = append(loops, s.sources.Run)
	}
	loops = append(loops, s.commandCentreLoops()...)
	var wg sync.WaitGroup
	for _, run := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("background component stopped", "err", err)
			}
		}()
	}
	wg.Wait()
	return nil
}

// collect runs the MQTT collector until ctx is cancelled, then stops taking messages and
// waits for those in flight to become durable and be acknowledged.
func (s *Service) collect(ctx context.Context) error {
	s.collector.Start()
	<-ctx.Done()
	s.log.Info("shutting down: stopping MQTT intake and flushing")
	s.leaveGroup()
	stopCtx, cancel := context.WithTimeout(context.Background(), s.cfg.Influx.Timeout+5*time.Second)
	defer cancel()
	if err := s.collector.Stop(stopCtx); err != nil {
		s.log.Warn("MQTT stop", "err", err)
	}
	return nil
}

// Ready reports whether the service can take data now, and why not.
func (s *Service) Ready() (bool, []string) {
	var why []string
	if !s.collector.Connected() {
		why = append(why, "MQTT broker not connected")
	}
	if ok, msg := s.writer.Healthy(); !ok && float64(s.spool.Bytes()) >= s.cfg.Spool.AlarmRatio*float64(s.spool.MaxBytes()) {
		why = append(why, "InfluxDB unavailable ("+msg+") and spool past its alarm ratio")
	}
	return len(why) == 0, why
}

// ensureBucket creates the database (1.8) or bucket (2.x) when missing, retrying until it
// succeeds: InfluxDB may start after Lantian, and writes meanwhile go to the spool.
func (s *Service) ensureBucket(ctx context.Context) {
	for {
		err := ensureBucket(ctx, s.influx, s.cfg.Influx)
		if err == nil {
			return
		}
		s.log.Warn("cannot ensure InfluxDB bucket yet; retrying", "bucket", s.cfg.Influx.Bucket, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.Influx.RetryInterval):
		}
	}
}
