// Package pipeline routes incoming messages: decode, validate, encode for InfluxDB, and hand
// each reading to the writer, or each refusal to the dead letters, acknowledging the message
// when its outcome is durable.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lantian/ingest/influx"
	"lantian/ingest/jsonreading"
	"lantian/ingest/lograte"
	"lantian/ingest/reading"
	"lantian/ingest/validate"
)

// PacketDecoder turns an HJ 212 payload (one or more packets) received on lantian/hj212/<MN>
// into readings. Its errors are *reading.Rejection (reason hj212), refusing the message.
type PacketDecoder interface {
	DecodePackets(mn string, payload []byte) ([]reading.Reading, error)
}

// Sink makes an encoded line durable and then calls done.
type Sink interface {
	Submit(ctx context.Context, line []byte, done func(error))
}

// DeadLetters keeps refused input durably.
type DeadLetters interface {
	Put(origin, topic string, payload []byte, reason string, cause error) error
}

// HistoryCheck checks a valid reading against stored history. A *reading.Rejection refuses
// it; any other error leaves the message unacknowledged, to be delivered again.
type HistoryCheck interface {
	Check(ctx context.Context, a *reading.Accepted) error
}

// Observer is told about every reading once it is durable, in no particular order across
// stations. It must not block: derived figures (AQI, exceedances) are computed from it.
type Observer interface {
	Stored(a *reading.Accepted)
}

// Pacer is implemented by an observer that queues work of its own which a fast backlog drain can
// outrun (the streaming assessor). Wait blocks while it is too far behind; the pipeline calls it
// before taking a message, so that the collector stops reading from the broker instead of the
// observer's queue growing. Stored itself must still never block.
type Pacer interface {
	Wait(ctx context.Context) error
}

// Route is the entry of one topic family, <prefix>/<family>/<key>, in the routing table. Set
// exactly one of Decode and Handle.
type Route struct {
	// Decode turns a message of a reading family into readings, which the pipeline then
	// validates and makes durable. An error refuses the message with the error's reason.
	Decode func(key string, payload []byte) ([]reading.Reading, error)
	// Handle takes a message of a family that carries no readings (forecasts on
	// lantian/forecast/<area>). It returns once the message's effect is durable; a
	// *reading.Rejection sends the message to dead letters, any other error leaves it
	// unacknowledged so that the broker delivers it again.
	Handle func(ctx context.Context, key string, payload []byte) error
}

// Config wires a pipeline.
type Config struct {
	TopicPrefix     string
	MaxPayloadBytes int
	Checker         *validate.Checker
	History         HistoryCheck // checked after Checker when set (append-only history)
	Sink            Sink
	DeadLetters     DeadLetters
	// HJ212 decodes the lantian/hj212/<MN> family; nil refuses that family's messages.
	HJ212   PacketDecoder
	Metrics *Metrics
	Log     *slog.Logger
	// Observers see each reading after it is durable.
	Observers []Observer
	// LogLimiter rate-limits the warnings about refused input; the service shares one with
	// the HJ 212 gateway. nil makes one of its own.
	LogLimiter *lograte.Limiter
	// Routes add families to the routing table beside the readings' air, source and hj212:
	// "forecast" takes <prefix>/forecast/<key>.
	Routes map[string]Route
}

// Pipeline is safe for concurrent use.
type Pipeline struct {
	cfg    Config
	prefix string
	// routes is the routing table: topic family → its route. The family is also the message
	// counter's label.
	routes map[string]Route
	logs   *lograte.Limiter
	pacers []Pacer
}

// New builds a pipeline. It panics when Config.Routes names a reading family or has an entry
// without exactly one of Decode and Handle, which are programming errors.
func New(cfg Config) *Pipeline {
	if cfg.LogLimiter == nil {
		cfg.LogLimiter = lograte.New(cfg.Log, 10*time.Second)
	}
	p := &Pipeline{
		cfg:    cfg,
		prefix: cfg.TopicPrefix + "/",
		logs:   cfg.LogLimiter,
	}
	for _, o := range cfg.Observers {
		if pc, ok := o.(Pacer); ok {
			p.pacers = append(p.pacers, pc)
		}
	}
	p.routes = map[string]Route{
		"air":    {Decode: decodeAir},
		"source": {Decode: p.decodeSource},
		"hj212":  {Decode: p.decodeHJ212},
	}
	for family, r := range cfg.Routes {
		if _, ok := p.routes[family]; ok {
			panic(fmt.Sprintf("pipeline: route %q is a reading family of the pipeline", family))
		}
		if (r.Decode == nil) == (r.Handle == nil) {
			panic(fmt.Sprintf("pipeline: route %q needs exactly one of Decode and Handle", family))
		}
		p.routes[family] = r
	}
	return p
}

// HandleMessage processes one MQTT message. done(true) is called once the message's readings
// are durable or the message is a durable dead letter; done(false) when neither could be done
// (shutdown with InfluxDB and the spool both unavailable, a full disk), so the message is left
// to the broker, which redelivers it.
//
// arrived is when the message came off the connection, before it waited for a worker, so that
// lantian_arrival_to_durable_seconds includes the queueing inside Lantian.
func (p *Pipeline) HandleMessage(ctx context.Context, topic string, payload []byte, arrived time.Time, done func(ack bool)) {
	for _, pc := range p.pacers {
		if err := pc.Wait(ctx); err != nil {
			done(false) // shutting down: the broker delivers it again
			return
		}
	}
	route, key, err := p.route(topic, payload)
	if err != nil {
		p.refuse("mqtt", topic, payload, err, done)
		return
	}
	if route.Handle != nil {
		p.handle(ctx, route.Handle, key, topic, payload, done)
		return
	}
	readings, err := route.Decode(key, payload)
	if err != nil {
		p.refuse("mqtt", topic, payload, err, done)
		return
	}
	p.Store(ctx, readings, func(err error) {
		if err != nil {
			var rej *reading.Rejection
			if errors.As(err, &rej) {
				p.refuse("mqtt", topic, payload, err, done)
				return
			}
			done(false)
			return
		}
		p.cfg.Metrics.arrivalToDurable.Observe(time.Since(arrived).Seconds())
		done(true)
	})
}

// route looks topic up in the routing table and counts the message under its family (or as
// oversize or unknown); key is the rest of the topic after the family.
func (p *Pipeline) route(topic string, payload []byte) (r Route, key string, err error) {
	m := p.cfg.Metrics
	if len(payload) > p.cfg.MaxPayloadBytes {
		m.messages.WithLabelValues("oversize").Inc()
		return Route{}, "", &reading.Rejection{Reason: reading.ReasonTooLarge,
			Err: fmt.Errorf("payload of %d bytes exceeds mqtt.max_payload_bytes %d", len(payload), p.cfg.MaxPayloadBytes)}
	}
	if rest, ok := strings.CutPrefix(topic, p.prefix); ok {
		if family, key, ok := strings.Cut(rest, "/"); ok {
			if r, ok := p.routes[family]; ok && emptyLevel(key) {
				m.messages.WithLabelValues("unknown").Inc()
				return Route{}, "", &reading.Rejection{Reason: reading.ReasonBadTopic, Err: fmt.Errorf("topic %q has an empty level", topic)}
			} else if ok {
				m.messages.WithLabelValues(family).Inc()
				return r, key, nil
			}
		}
	}
	m.messages.WithLabelValues("unknown").Inc()
	return Route{}, "", &reading.Rejection{Reason: reading.ReasonBadTopic, Err: fmt.Errorf("topic %q is not a reading topic", topic)}
}

// emptyLevel reports whether a topic's key has an empty level ("", "a//b", "a/"): an empty
// station level would skip the check that the payload's station is the topic's.
func emptyLevel(key string) bool {
	return key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//")
}

// decodeAir decodes <prefix>/air/<station>.
func decodeAir(station string, payload []byte) ([]reading.Reading, error) {
	r, err := jsonreading.DecodeAir(station, payload)
	if err != nil {
		return nil, err
	}
	return []reading.Reading{r}, nil
}

// decodeSource decodes <prefix>/source/<source>/<outlet>.
func (p *Pipeline) decodeSource(key string, payload []byte) ([]reading.Reading, error) {
	src, out, ok := strings.Cut(key, "/")
	if !ok || strings.Contains(out, "/") {
		return nil, &reading.Rejection{Reason: reading.ReasonBadTopic, Err: fmt.Errorf("topic %q is not %ssource/<source>/<outlet>", p.prefix+"source/"+key, p.prefix)}
	}
	r, err := jsonreading.DecodeSource(src, out, payload)
	if err != nil {
		return nil, err
	}
	return []reading.Reading{r}, nil
}

// decodeHJ212 decodes <prefix>/hj212/<MN> with the configured decoder.
func (p *Pipeline) decodeHJ212(mn string, payload []byte) ([]reading.Reading, error) {
	if p.cfg.HJ212 == nil {
		return nil, &reading.Rejection{Reason: reading.ReasonHJ212, Err: errors.New("no HJ 212 decoder is configured")}
	}
	return p.cfg.HJ212.DecodePackets(mn, payload)
}

// handle runs the route of a family without readings and acknowledges or refuses the message
// by its outcome.
func (p *Pipeline) handle(ctx context.Context, h func(context.Context, string, []byte) error, key, topic string, payload []byte, done func(ack bool)) {
	err := h(ctx, key, payload)
	var rej *reading.Rejection
	switch {
	case err == nil:
		done(true)
	case errors.As(err, &rej):
		p.refuse("mqtt", topic, payload, err, done)
	default:
		p.cfg.Log.Error("message not handled; left for redelivery", "topic", topic, "err", err)
		done(false)
	}
}

// Store validates readings and makes them durable; done gets nil once all are stored (at once
// when there are none, as for a payload of HJ 212 heartbeats), a *reading.Rejection if one is
// invalid (nothing is stored then), or the storage error. The HJ 212 gateway uses it directly.
func (p *Pipeline) Store(ctx context.Context, rs []reading.Reading, done func(error)) {
	if len(rs) == 0 {
		done(nil)
		return
	}
	// One allocation holds the whole operation's state; a message has one reading almost always.
	op := &storeOp{p: p, done: done}
	op.accepted = op.one[:0]
	if len(rs) > 1 {
		op.accepted = make([]reading.Accepted, 0, len(rs))
	}
	for _, r := range rs {
		a, err := p.cfg.Checker.Check(r)
		if err == nil && p.cfg.History != nil {
			err = p.cfg.History.Check(ctx, &a)
		}
		if err != nil {
			done(err)
			return
		}
		op.accepted = append(op.accepted, a)
	}
	op.pending.Store(int32(len(op.accepted)))
	for i := range op.accepted {
		line := influx.EncodeLine(&op.accepted[i])
		p.cfg.Sink.Submit(ctx, line, op.lineDone(i))
	}
}

// storeOp is one Store call: its readings and how many are still to become durable.
type storeOp struct {
	p        *Pipeline
	done     func(error)
	one      [1]reading.Accepted
	accepted []reading.Accepted
	pending  atomic.Int32
	mu       sync.Mutex
	firstErr error
}

func (op *storeOp) lineDone(i int) func(error) {
	if len(op.accepted) == 1 {
		return op.onlyDone
	}
	return func(err error) { op.finish(i, err) }
}

// onlyDone is lineDone of the single reading, a method value instead of a closure.
func (op *storeOp) onlyDone(err error) { op.finish(0, err) }

func (op *storeOp) finish(i int, err error) {
	if err != nil {
		op.mu.Lock()
		if op.firstErr == nil {
			op.firstErr = err
		}
		op.mu.Unlock()
	} else {
		a := &op.accepted[i]
		op.p.cfg.Metrics.stored(a)
		for _, o := range op.p.cfg.Observers {
			o.Stored(a)
		}
	}
	if op.pending.Add(-1) == 0 {
		op.mu.Lock()
		e := op.firstErr
		op.mu.Unlock()
		op.done(e)
	}
}

// StoreWait is Store for callers that wait, such as a TCP connection that replies after.
func (p *Pipeline) StoreWait(ctx context.Context, rs []reading.Reading) error {
	ch := make(chan error, 1)
	p.Store(ctx, rs, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refuse counts, logs (rate-limited) and keeps a refused message, then acknowledges it.
func (p *Pipeline) refuse(origin, topic string, payload []byte, err error, done func(ack bool)) {
	reason := reading.ReasonOf(err)
	p.cfg.Metrics.rejected.WithLabelValues(reason).Inc()
	p.logs.Warn(p.cfg.Log, reason, "input refused", "reason", reason, "topic", topic, "err", err, "bytes", len(payload))
	if derr := p.cfg.DeadLetters.Put(origin, topic, payload, reason, err); derr != nil {
		// Not acknowledged: the broker keeps it and redelivers once the disk is writable.
		p.cfg.Log.Error("cannot keep dead letter; message left unacknowledged", "err", derr, "topic", topic)
		done(false)
		return
	}
	done(true)
}

// Refuse keeps refused input from another origin (the HJ 212 gateway) as a dead letter.
func (p *Pipeline) Refuse(origin, topic string, payload []byte, err error) error {
	reason := reading.ReasonOf(err)
	p.cfg.Metrics.rejected.WithLabelValues(reason).Inc()
	p.logs.Warn(p.cfg.Log, reason, "input refused", "reason", reason, "origin", origin, "err", err, "bytes", len(payload))
	return p.cfg.DeadLetters.Put(origin, topic, payload, reason, err)
}
