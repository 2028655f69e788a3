// Package lease makes one instance of a role the active one, using the MQTT broker Lantian
// already runs as the lock: the broker lets only one connection hold a client id (a second
// connection with the same id takes the session over and the broker closes the first), and it
// publishes a connection's will when the connection ends without a clean disconnect.
//
// The holder connects with the lease's client id, a will that clears the lease topic, and
// publishes its own id there, retained, every TTL/3. A standby watches the topic with its own
// client id and connects with the lease's client id only when the topic is cleared (the
// holder's will: its process or host died) or has not been renewed for a TTL (the holder
// hangs). Two standbys that try at once both connect; the broker keeps the later one and
// closes the earlier, which sees its connection lost and steps down. A holder that loses its
// connection for any reason, or sees another id on the topic, steps down: it never reconnects
// with the lease's id by itself, so it cannot take the lease back from its successor.
package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/ingest/mqtt"
)

// Config is a lease over a broker.
type Config struct {
	// MQTT is the broker connection (URL, credentials, TLS, keep-alive); its client id is
	// not used.
	MQTT mqtt.Config
	// Name is the lease's name, e.g. "derive": the lock's client id is <prefix>-lease-<name>
	// and its topic <prefix>/_lease/<name>.
	Name string
	// Holder identifies this instance (host name and process id, say) on the lease topic.
	Holder string
	// TTL is how long a claim that is not renewed keeps a standby waiting (the holder renews
	// every TTL/3). A dead process is noticed at once (its will); TTL covers a hung one.
	TTL time.Duration
}

// Claim is what the lease topic holds while the lease is held.
type Claim struct {
	Holder  string    `json:"holder"`
	Renewed time.Time `json:"renewed"`
}

func (c Config) lockID() string { return c.MQTT.TopicPrefix + "-lease-" + c.Name }

// Topic is the retained topic of the lease.
func (c Config) Topic() string { return c.MQTT.TopicPrefix + "/_lease/" + c.Name }

// Held is a lease this instance holds until Lost is closed or Release is called.
type Held struct {
	cfg     Config
	log     *slog.Logger
	lock    paho.Client
	watch   paho.Client
	lost    chan struct{}
	once    sync.Once
	stop    chan struct{}
	stopped chan struct{}
	why     string
	mu      sync.Mutex
	release sync.Once
}

// Lost is closed when the lease is lost: the lock's connection ended or another holder
// claimed the topic. The holder must then stop acting in the role.
func (h *Held) Lost() <-chan struct{} { return h.lost }

// Why says why the lease was lost.
func (h *Held) Why() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.why
}

func (h *Held) lose(why string) {
	h.once.Do(func() {
		h.mu.Lock()
		h.why = why
		h.mu.Unlock()
		close(h.lost)
	})
}

// Release gives the lease up: the topic is cleared and the lock disconnected, so a standby
// takes over at once.
func (h *Held) Release() {
	h.release.Do(h.doRelease)
}

func (h *Held) doRelease() {
	close(h.stop)
	<-h.stopped
	h.lose("released")
	if h.lock.IsConnectionOpen() {
		tok := h.lock.Publish(h.cfg.Topic(), 1, true, []byte{})
		tok.WaitTimeout(5 * time.Second)
	}
	h.lock.Disconnect(250)
	h.watch.Disconnect(250)
}

// watcher follows the lease topic: the current claim and when it last changed.
type watcher struct {
	mu      sync.Mutex
	claim   Claim
	seen    time.Time
	changed chan struct{}
	probed  chan struct{}
}

func (w *watcher) state() (Claim, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.claim, w.seen
}

// Acquire waits until this instance holds the lease or ctx ends. waiting is called with the
// current holder each time it changes while this instance stands by (it may be nil).
func Acquire(ctx context.Context, cfg Config, log *slog.Logger, waiting func(holder string)) (*Held, error) {
	if cfg.Name == "" || cfg.Holder == "" || cfg.TTL < 3*time.Second {
		return nil, fmt.Errorf("lease: name and holder are required and ttl must be at least 3s (got %q, %q, %s)", cfg.Name, cfg.Holder, cfg.TTL)
	}
	w := &watcher{changed: make(chan struct{}, 1), probed: make(chan struct{}, 1)}
	probe := cfg.Topic() + "/probe/" + cfg.Holder
	opts, err := mqtt.SessionOptions(cfg.MQTT, cfg.MQTT.TopicPrefix+"-lease-watch-"+cfg.Holder)
	if err != nil {
		return nil, err
	}
	opts.SetCleanSession(true).SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		if m.Topic() == probe {
			select {
			case w.probed <- struct{}{}:
			default:
			}
			return
		}
		var c Claim
		if len(m.Payload()) > 0 {
			if err := json.Unmarshal(m.Payload(), &c); err != nil {
				log.Warn("lease topic holds something other than a claim; treating it as vacant", "topic", m.Topic(), "err", err)
				c = Claim{}
			}
		}
		w.mu.Lock()
		w.claim, w.seen = c, time.Now()
		w.mu.Unlock()
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}).SetOnConnectHandler(func(c paho.Client) {
		// Subscribe on every connect (clean session): the retained claim comes with it.
		c.SubscribeMultiple(map[string]byte{cfg.Topic(): 1, probe: 1}, nil)
	})
	watch := paho.NewClient(opts)
	if tok := watch.Connect(); !waitToken(ctx, tok) {
		watch.Disconnect(0)
		return nil, fmt.Errorf("lease %s: connect watcher: %w", cfg.Name, tokenErr(ctx, tok))
	}
	// The broker sends a retained message right after the subscription's acknowledgement and
	// before anything published later on the same connection, so once our own probe comes
	// back we know whether a claim exists.
	for {
		tok := watch.Publish(probe, 1, false, []byte("probe"))
		if !waitToken(ctx, tok) {
			watch.Disconnect(0)
			return nil, fmt.Errorf("lease %s: probe: %w", cfg.Name, tokenErr(ctx, tok))
		}
		select {
		case <-w.probed:
		case <-time.After(2 * time.Second):
			// The subscription of onConnect may not have been in place yet.
			continue
		case <-ctx.Done():
			watch.Disconnect(0)
			return nil, ctx.Err()
		}
		break
	}
	lastHolder := "\x00"
	for {
		claim, seen := w.state()
		stale := claim.Holder != "" && !seen.IsZero() && time.Since(seen) > cfg.TTL
		if claim.Holder == "" || claim.Holder == cfg.Holder || stale {
			if stale {
				log.Warn("lease not renewed in time; taking it over", "lease", cfg.Name, "holder", claim.Holder, "ttl", cfg.TTL)
			}
			h, err := take(ctx, cfg, log, watch, w)
			if err == nil {
				return h, nil
			}
			if ctx.Err() != nil {
				watch.Disconnect(0)
				return nil, ctx.Err()
			}
			log.Warn("cannot take the lease yet", "lease", cfg.Name, "err", err)
		} else if claim.Holder != lastHolder {
			lastHolder = claim.Holder
			log.Info("standing by: the lease is held by another instance", "lease", cfg.Name, "holder", claim.Holder)
			if waiting != nil {
				waiting(claim.Holder)
			}
		}
		wait := cfg.TTL / 3
		select {
		case <-w.changed:
		case <-time.After(wait):
		case <-ctx.Done():
			watch.Disconnect(0)
			return nil, ctx.Err()
		}
	}
}

// take connects with the lock's client id and claims the topic.
func take(ctx context.Context, cfg Config, log *slog.Logger, watch paho.Client, w *watcher) (*Held, error) {
	h := &Held{cfg: cfg, log: log, watch: watch, lost: make(chan struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
	opts, err := mqtt.SessionOptions(cfg.MQTT, cfg.lockID())
	if err != nil {
		return nil, err
	}
	opts.SetCleanSession(true).
		// Never reconnect with the lock's id on our own: that would take the lease back
		// from a successor.
		SetAutoReconnect(false).
		SetConnectRetry(false).
		// An empty retained will clears the claim as soon as the broker notices we are gone.
		SetBinaryWill(cfg.Topic(), []byte{}, 1, true).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			h.lose(fmt.Sprintf("lock connection lost: %v", err))
		})
	h.lock = paho.NewClient(opts)
	if tok := h.lock.Connect(); !waitToken(ctx, tok) {
		h.lock.Disconnect(0)
		return nil, fmt.Errorf("connect as %s: %w", cfg.lockID(), tokenErr(ctx, tok))
	}
	if err := h.claim(ctx); err != nil {
		h.lock.Disconnect(0)
		return nil, err
	}
	log.Info("lease taken: this instance is the active one", "lease", cfg.Name, "holder", cfg.Holder)
	go h.keep(w)
	return h, nil
}

func (h *Held) claim(ctx context.Context) error {
	b, err := json.Marshal(Claim{Holder: h.cfg.Holder, Renewed: time.Now().UTC()})
	if err != nil {
		return err
	}
	tok := h.lock.Publish(h.cfg.Topic(), 1, true, b)
	if !waitToken(ctx, tok) {
		return fmt.Errorf("claim %s: %w", h.cfg.Topic(), tokenErr(ctx, tok))
	}
	return nil
}

// keep renews the claim and watches the topic for another holder.
func (h *Held) keep(w *watcher) {
	defer close(h.stopped)
	tick := time.NewTicker(h.cfg.TTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-h.lost:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), h.cfg.TTL/3)
			err := h.claim(ctx)
			cancel()
			if err != nil {
				h.log.Warn("cannot renew the lease", "lease", h.cfg.Name, "err", err)
			}
		case <-w.changed:
			c, _ := w.state()
			switch c.Holder {
			case h.cfg.Holder:
			case "":
				// A predecessor's will, sent after our claim: claim again.
				ctx, cancel := context.WithTimeout(context.Background(), h.cfg.TTL/3)
				if err := h.claim(ctx); err != nil {
					h.log.Warn("cannot renew the lease", "lease", h.cfg.Name, "err", err)
				}
				cancel()
			default:
				h.lose("lease claimed by " + c.Holder)
				return
			}
		}
	}
}

func waitToken(ctx context.Context, tok paho.Token) bool {
	select {
	case <-tok.Done():
		return tok.Error() == nil
	case <-ctx.Done():
		return false
	}
}

func tokenErr(ctx context.Context, tok paho.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tok.Error(); err != nil {
		return err
	}
	return errors.New("no answer")
}
