// Package mqttpub publishes messages from a persistent MQTT session with a bounded window of
// unacknowledged publishes, and confirms at the end that the broker has every one of them. The
// simulator and the replay publish through it.
package mqttpub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Config says where and how to publish.
type Config struct {
	URL, ClientID, Username, Password string
	QoS                               byte
	// Window bounds the publishes awaiting the broker's acknowledgement (default 1000).
	Window int
}

// Counts are the publishes so far: handed to the client, acknowledged, failed.
type Counts struct {
	Sent, Published, Errors int64
}

// Publisher is used by one goroutine; Counts may be read from others.
type Publisher struct {
	qos    byte
	client paho.Client
	store  paho.Store

	tokens  chan paho.Token
	abandon chan struct{}
	waited  chan struct{}

	sent, published, failed atomic.Int64
	errOnce                 sync.Once
	firstErr                error
}

// graceAfterCancel is how long publishes in flight get to be acknowledged after the context
// that ran the publishing was cancelled.
const graceAfterCancel = 5 * time.Second

// Dial connects a persistent session: clean session off and a client store, so that QoS 1
// publishes interrupted by a broker restart or a cut connection are resent after the reconnect.
func Dial(ctx context.Context, cfg Config) (*Publisher, error) {
	if cfg.Window <= 0 {
		cfg.Window = 1000
	}
	store := paho.NewMemoryStore()
	opts := paho.NewClientOptions().AddBroker(cfg.URL).SetClientID(cfg.ClientID).
		SetCleanSession(false).SetStore(store).SetAutoReconnect(true).
		SetMaxReconnectInterval(5 * time.Second).SetConnectTimeout(10 * time.Second).SetKeepAlive(30 * time.Second)
	if cfg.Username != "" {
		opts.SetUsername(cfg.Username)
		opts.SetPassword(cfg.Password)
	}
	client := paho.NewClient(opts)
	tok := client.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		client.Disconnect(0)
		return nil, fmt.Errorf("connect to MQTT broker %s: %w", cfg.URL, ctx.Err())
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("connect to MQTT broker %s: %w", cfg.URL, err)
	}
	p := &Publisher{qos: cfg.QoS, client: client, store: store,
		tokens: make(chan paho.Token, cfg.Window), abandon: make(chan struct{}), waited: make(chan struct{})}
	go p.await()
	return p, nil
}

// await counts acknowledgements; the channel's capacity is the window, so Publish blocks
// instead of queueing without bound inside the client.
func (p *Publisher) await() {
	defer close(p.waited)
	for tok := range p.tokens {
		select {
		case <-tok.Done():
			err := tok.Error()
			if pt, ok := tok.(*paho.PublishToken); ok && err != nil && p.qos > 0 && pt.MessageID() != 0 {
				// Failed on a dying connection: the message is in the store and paho resends
				// it after the reconnect; Close confirms it.
				err = nil
			}
			if err != nil {
				p.failed.Add(1)
				p.errOnce.Do(func() { p.firstErr = err })
			} else {
				p.published.Add(1)
			}
		case <-p.abandon:
			for range p.tokens {
			}
			return
		}
	}
}

// Publish hands a message to the client, waiting while the window is full. It returns ctx's
// error if ctx ends first.
func (p *Publisher) Publish(ctx context.Context, topic string, payload []byte) error {
	select {
	case p.tokens <- p.client.Publish(topic, p.qos, false, payload):
		p.sent.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Counts reports the publishes so far.
func (p *Publisher) Counts() Counts {
	return Counts{Sent: p.sent.Load(), Published: p.published.Load(), Errors: p.failed.Load()}
}

// Close waits until every publish is acknowledged (after ctx ends, for a few seconds more at
// most), disconnects, and returns the final counts with the first publish error.
func (p *Publisher) Close(ctx context.Context) (Counts, error) {
	defer p.client.Disconnect(250)
	close(p.tokens)
	var deadline time.Time
	expired := func() bool {
		if ctx.Err() == nil {
			return false
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(graceAfterCancel)
		}
		return time.Now().After(deadline)
	}
	for waiting := true; waiting; {
		select {
		case <-p.waited:
			waiting = false
		case <-time.After(10 * time.Millisecond):
			if expired() {
				close(p.abandon)
				<-p.waited
				waiting = false
			}
		}
	}
	// paho completes the tokens of stored publishes when it queues them again after a
	// reconnect, before the broker has acknowledged them; the store holds each QoS 1/2 publish
	// until its acknowledgement, so an empty store is the proof that everything arrived.
	pending := p.pending()
	for pending > 0 && !expired() {
		time.Sleep(10 * time.Millisecond)
		pending = p.pending()
	}
	c := p.Counts()
	c.Published = max(0, min(c.Published, c.Sent-c.Errors-int64(pending)))
	if c.Errors > 0 {
		return c, fmt.Errorf("%d of %d publishes failed, the first with: %w", c.Errors, c.Sent, p.firstErr)
	}
	return c, nil
}

// pending counts the outbound messages the client still keeps for resending.
func (p *Publisher) pending() int {
	n := 0
	for _, k := range p.store.All() {
		if strings.HasPrefix(k, "o.") {
			n++
		}
	}
	return n
}
