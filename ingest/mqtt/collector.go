// Package mqtt is the collector's MQTT session: a persistent paho session that subscribes to
// the reading topics and acknowledges each QoS 1 message only once its outcome is durable.
package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"lantian/ingest/conf"
	"lantian/ingest/lograte"
	"log/slog"
	"os"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
)

// Handler processes one message that came off the connection at arrived. It must call done
// exactly once: done(true) when the message's outcome (stored reading or dead letter) is
// durable, which acknowledges it, or done(false) when it is not and never will be in this
// session (the broker then redelivers it to the next session). It may block; it runs on one of
// the collector's workers.
type Handler func(ctx context.Context, topic string, payload []byte, arrived time.Time, done func(ack bool))

// Collector holds the MQTT session.
type Collector struct {
	cfg     Config
	filters map[string]byte
	handle  Handler
	log     *slog.Logger
	m       *metrics

	client paho.Client
	// held bounds the messages taken off the connection and not yet done with; jobs hands them
	// to cfg.Workers goroutines.
	held *budget
	jobs chan job
	wg   sync.WaitGroup // the workers
	// quit ends the workers; a message paho still hands over after it is left to the broker.
	quit     chan struct{}
	quitOnce sync.Once

	// mu guards stopping against inflight.Add, so that Stop's Wait cannot race a new Add.
	mu       sync.RWMutex
	stopping bool
	inflight sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	// connectDone is closed when connectLoop has returned.
	connectDone chan struct{}
}

type job struct {
	msg     paho.Message
	arrived time.Time
}

// Filters returns the subscriptions of the data contract under prefix: the reading topics and
// the extra topic families (such as "forecast", one level below the family).
func Filters(prefix string, families ...string) []string {
	f := []string{prefix + "/air/+", prefix + "/source/+/+", prefix + "/hj212/+"}
	for _, fam := range families {
		f = append(f, prefix+"/"+fam+"/+")
	}
	return f
}

// New builds a collector; Start connects it.
func New(cfg Config, filters []string, handle Handler, reg prometheus.Registerer, log *slog.Logger) (*Collector, error) {
	c := &Collector{
		cfg: cfg, handle: handle, log: log,
		filters: make(map[string]byte, len(filters)),
		held:    newBudget(int64(cfg.MaxHeldMessages), int64(cfg.MaxHeldBytes)),
		jobs:    make(chan job, cfg.Workers),
		quit:    make(chan struct{}),
	}
	c.m = newMetrics(reg, cfg, c.held)
	for _, f := range filters {
		c.filters[cfg.Subscription(f)] = 1
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	opts, err := SessionOptions(cfg, cfg.ClientID)
	if err != nil {
		return nil, err
	}
	opts.
		// Ordered delivery runs onMessage on paho's one router goroutine: while the budget is
		// spent, onMessage waits, paho stops reading the connection and TCP holds the broker
		// back, whatever its in-flight window. Acknowledgements leave on paho's own writer
		// goroutine meanwhile, and workers, not the router, run the handler, so the router only
		// waits for room. (Unordered delivery starts a goroutine per message without bound.)
		SetOrderMatters(true).
		// paho acks when the handler returns unless told otherwise; we ack after durability.
		SetAutoAckDisabled(true).
		SetDefaultPublishHandler(c.onMessage).
		SetOnConnectHandler(c.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.m.connected.Set(0)
			c.m.connectionLost.Inc()
			c.log.Warn("MQTT connection lost; reconnecting", "broker", conf.RedactURL(cfg.URL), "err", err)
		}).
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) { c.m.reconnects.Inc() }).
		// The first connection is retried by connectLoop, which can log why an attempt failed
		// (paho's own retry keeps the reason to itself); after it, paho reconnects.
		SetConnectRetry(false)
	c.client = paho.NewClient(opts)
	for range cfg.Workers {
		c.wg.Add(1)
		go c.work()
	}
	return c, nil
}

// SessionOptions are the paho options every Lantian MQTT session shares: a persistent session
// under a stable client id (the broker keeps subscriptions and queued QoS 1 messages while we
// are away), reconnecting on its own, bounded timeouts, credentials and TLS from config.
func SessionOptions(cfg Config, clientID string) (*paho.ClientOptions, error) {
	opts := paho.NewClientOptions().
		AddBroker(cfg.URL).
		SetClientID(clientID).
		SetCleanSession(false).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(cfg.MaxReconnect).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetKeepAlive(cfg.KeepAlive).
		SetPingTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second)
	if cfg.Username != "" {
		opts.SetUsername(cfg.Username)
		opts.SetPassword(cfg.Password.Reveal())
	}
	tlsCfg, err := tlsConfig(cfg.TLS)
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
	return opts, nil
}

func tlsConfig(t TLS) (*tls.Config, error) {
	if t.CAFile == "" && t.CertFile == "" && !t.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // operator's explicit choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.tls.ca_file %s: no PEM certificates", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Start begins connecting; it returns at once and the session keeps retrying in the background.
func (c *Collector) Start() {
	c.log.Info("connecting to MQTT broker", "broker", conf.RedactURL(c.cfg.URL), "client_id", c.cfg.ClientID, "shared_group", c.cfg.SharedGroup)
	c.connectDone = make(chan struct{})
	go c.connectLoop()
}

// connectLoop connects until it succeeds or the collector stops, logging each failure with
// its reason (refused, not authorised, TLS, DNS), at most once per interval.
func (c *Collector) connectLoop() {
	defer close(c.connectDone)
	limit := lograte.New(c.log, 30*time.Second)
	for {
		tok := c.client.Connect()
		for !tok.WaitTimeout(100 * time.Millisecond) {
			if c.ctx.Err() != nil {
				return
			}
		}
		err := tok.Error()
		if err == nil || c.ctx.Err() != nil {
			return
		}
		c.m.reconnects.Inc()
		limit.Warn(nil, "connect", "cannot connect to MQTT broker; retrying", "broker", conf.RedactURL(c.cfg.URL), "err", err)
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// Connected reports whether the session is up.
func (c *Collector) Connected() bool { return c.client.IsConnectionOpen() }

// onConnect subscribes on every (re)connect: harmless with a persistent session, and it
// restores the subscriptions when the broker lost the session (restart without persistence).
func (c *Collector) onConnect(client paho.Client) {
	c.m.connected.Set(1)
	tok := client.SubscribeMultiple(c.filters, nil)
	if !tok.WaitTimeout(30 * time.Second) {
		c.log.Error("MQTT subscribe timed out; will retry on the next connect")
		return
	}
	if err := tok.Error(); err != nil {
		c.log.Error("MQTT subscribe failed", "err", err)
		return
	}
	c.log.Info("MQTT connected and subscribed", "broker", conf.RedactURL(c.cfg.URL))
}

// onMessage runs on paho's router goroutine: it waits for room in the budget, then queues the
// message for a worker.
func (c *Collector) onMessage(_ paho.Client, msg paho.Message) {
	arrived := time.Now()
	c.mu.RLock()
	stopping := c.stopping
	c.mu.RUnlock()
	if stopping {
		// Not acknowledged: the broker delivers it again to the next session.
		return
	}
	size := int64(len(msg.Payload()))
	waited, ok := c.held.acquire(size)
	if waited > 0 {
		c.m.pauses.Inc()
		c.m.pausedSeconds.Add(waited.Seconds())
		if waited > c.cfg.KeepAlive/2 {
			c.log.Warn("MQTT reading paused long for the held-message budget: held messages are not becoming durable fast enough",
				"paused", waited.Round(time.Millisecond), "keep_alive", c.cfg.KeepAlive)
		}
	}
	if !ok {
		return
	}
	c.mu.RLock()
	if c.stopping {
		c.mu.RUnlock()
		c.held.release(size)
		return
	}
	c.inflight.Add(1)
	c.mu.RUnlock()
	c.m.received.Inc()
	if msg.Duplicate() {
		c.m.duplicates.Inc()
	}
	select {
	case c.jobs <- job{msg: msg, arrived: arrived}:
	case <-c.quit:
		c.held.release(size)
		c.inflight.Done()
	}
}

// work runs the handler of queued messages until Stop ends the workers.
func (c *Collector) work() {
	defer c.wg.Done()
	for {
		var j job
		select {
		case j = <-c.jobs:
		case <-c.quit:
			return
		}
		msg := j.msg
		size := int64(len(msg.Payload()))
		var once sync.Once
		c.handle(c.ctx, msg.Topic(), msg.Payload(), j.arrived, func(ack bool) {
			once.Do(func() {
				if ack {
					msg.Ack()
				}
				c.held.release(size)
				c.inflight.Done()
			})
		})
	}
}

// Stop stops taking messages, waits until every message taken has been acknowledged or the
// context ends, then disconnects. Messages not acknowledged stay with the broker.
func (c *Collector) Stop(ctx context.Context) error {
	c.mu.Lock()
	c.stopping = true
	c.mu.Unlock()
	c.held.close()
	done := make(chan struct{})
	go func() { c.inflight.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.New("stopped before every message in flight was acknowledged; the broker will redeliver them")
	}
	c.cancel()
	if c.connectDone != nil {
		<-c.connectDone
	}
	// Disconnect stops paho's router; quit (stopWorkers) covers a router still handing a
	// message over after Disconnect gave up waiting for it.
	c.client.Disconnect(250)
	c.m.connected.Set(0)
	if err == nil {
		// Handlers still running after a timeout hold the goroutine count up; wait for them
		// now that their context is cancelled.
		<-done
	}
	c.stopWorkers()
	return err
}

// stopWorkers ends the workers once paho's router no longer calls onMessage. A handler still
// running after Stop's deadline finishes on its own, its context cancelled.
func (c *Collector) stopWorkers() {
	c.quitOnce.Do(func() { close(c.quit) })
}
