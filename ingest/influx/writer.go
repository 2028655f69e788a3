package influx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/reading"
	"lantian/ingest/spool"
)

// ErrClosed is given to the done callback of readings submitted after the writer stopped.
var ErrClosed = errors.New("influx writer is closed")

// DeadLetters keeps points InfluxDB refuses as invalid, so they are not retried for ever.
type DeadLetters interface {
	Put(origin, topic string, payload []byte, reason string, cause error) error
}

// WriterConfig tunes batching and retries.
type WriterConfig struct {
	BatchSize     int
	FlushInterval time.Duration
	RetryInterval time.Duration
	// ShutdownTimeout bounds the final flush when the writer stops.
	ShutdownTimeout time.Duration
	// SpoolAlarmRatio is the fill ratio from which the spool is reported as filling up.
	SpoolAlarmRatio float64
}

type item struct {
	line []byte
	done func(error)
}

// Writer batches lines, writes them with the blocking write API and calls each line's done
// callback once the line is durable: written to InfluxDB, appended to the spool, or kept as a
// dead letter. Writes that fail for a transient reason (no connection, 5xx, 429) go to the spool,
// which a second goroutine drains in order once InfluxDB answers again.
type Writer struct {
	api   api.WriteAPIBlocking
	spool *spool.Spool
	dead  DeadLetters
	log   *slog.Logger
	cfg   WriterConfig
	in    chan item
	wake  chan struct{}
	m     *writerMetrics

	closed     atomic.Bool
	spoolAlarm atomic.Bool
	lastErr    atomic.Pointer[string]
}

// NewWriter builds a writer; call Run to start it.
func NewWriter(w api.WriteAPIBlocking, sp *spool.Spool, dead DeadLetters, cfg WriterConfig, reg prometheus.Registerer, log *slog.Logger) *Writer {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	wr := &Writer{
		api: w, spool: sp, dead: dead, log: log, cfg: cfg,
		in:   make(chan item, cfg.BatchSize*2),
		wake: make(chan struct{}, 1),
	}
	wr.m = newWriterMetrics(reg, sp, cfg.SpoolAlarmRatio)
	return wr
}

// Submit queues an encoded line; done is called exactly once, with nil when the line is durable.
// Submit blocks while the queue is full, which is how back-pressure reaches the MQTT session.
func (w *Writer) Submit(ctx context.Context, line []byte, done func(error)) {
	if w.closed.Load() {
		done(ErrClosed)
		return
	}
	select {
	case w.in <- item{line: line, done: done}:
	case <-ctx.Done():
		done(ctx.Err())
	}
}

// Healthy reports whether the last write to InfluxDB succeeded, with the last error otherwise.
func (w *Writer) Healthy() (bool, string) {
	if e := w.lastErr.Load(); e != nil {
		return false, *e
	}
	return true, ""
}

// Run batches and writes until ctx is cancelled, then flushes what was submitted before the
// cancellation and stops the spool drainer. Callers must stop submitting before cancelling ctx.
func (w *Writer) Run(ctx context.Context) error {
	drainCtx, stopDrain := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.drain(drainCtx) }()
	defer func() { stopDrain(); wg.Wait() }()
	if w.spool.Len() > 0 {
		w.log.Warn("spool holds batches from before the restart; draining them first", "batches", w.spool.Len(), "bytes", w.spool.Bytes())
		w.poke()
	}

	batch := make([]item, 0, w.cfg.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case it := <-w.in:
			batch = append(batch, it)
			if len(batch) == 1 {
				timer.Reset(w.cfg.FlushInterval)
			}
			if len(batch) >= w.cfg.BatchSize {
				timer.Stop()
				w.flush(ctx, batch)
				batch = batch[:0]
			}
		case <-timer.C:
			w.flush(ctx, batch)
			batch = batch[:0]
		case <-ctx.Done():
			w.closed.Store(true)
			final, cancel := context.WithTimeout(context.Background(), w.cfg.ShutdownTimeout)
			defer cancel()
			for {
				select {
				case it := <-w.in:
					batch = append(batch, it)
					continue
				default:
				}
				break
			}
			for len(batch) > 0 {
				n := min(len(batch), w.cfg.BatchSize)
				w.flush(final, batch[:n])
				batch = batch[n:]
			}
			return nil
		}
	}
}

func (w *Writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// flush makes a batch durable and calls its done callbacks. ctx only bounds how long it keeps
// trying when both InfluxDB and the spool refuse; it never drops a batch silently.
func (w *Writer) flush(ctx context.Context, batch []item) {
	if len(batch) == 0 {
		return
	}
	w.m.batchPoints.Observe(float64(len(batch)))
	var body bytes.Buffer
	for i, it := range batch {
		if i > 0 {
			body.WriteByte('\n')
		}
		body.Write(it.line)
	}
	err := w.store(ctx, body.Bytes(), len(batch))
	for _, it := range batch {
		it.done(err)
	}
}

// store writes body to InfluxDB, or to the spool when InfluxDB cannot take it now.
func (w *Writer) store(ctx context.Context, body []byte, points int) error {
	for {
		// While the spool holds older batches, new ones queue behind them to keep the order.
		if w.spool.Len() == 0 {
			err := w.write(ctx, body, points)
			if err == nil {
				return nil
			}
			if !retryable(err) {
				return w.writeEach(ctx, body, err)
			}
		}
		err := w.spool.Append(body)
		if err == nil {
			w.m.spooledBatches.Inc()
			w.poke()
			w.checkSpoolAlarm()
			return nil
		}
		w.m.spoolErrors.Inc()
		w.log.Error("cannot spool batch; holding it (messages stay unacknowledged at the broker)", "err", err, "points", points)
		select {
		case <-ctx.Done():
			return fmt.Errorf("batch neither written nor spooled: %w", err)
		case <-time.After(w.cfg.RetryInterval):
		}
	}
}

// checkSpoolAlarm logs once each time the spool crosses its alarm ratio, so operators hear of a
// long outage long before the spool is full and intake slows down.
func (w *Writer) checkSpoolAlarm() {
	filling := float64(w.spool.Bytes()) >= w.cfg.SpoolAlarmRatio*float64(w.spool.MaxBytes())
	if filling && !w.spoolAlarm.Swap(true) {
		w.log.Error("spool past its alarm ratio: InfluxDB has been unavailable for long; when the spool is full, messages stay at the broker",
			"bytes", w.spool.Bytes(), "max_bytes", w.spool.MaxBytes(), "alarm_ratio", w.cfg.SpoolAlarmRatio)
	}
	if !filling {
		w.spoolAlarm.Store(false)
	}
}

// write sends one body of lines and records the outcome.
func (w *Writer) write(ctx context.Context, body []byte, points int) error {
	start := time.Now()
	err := w.api.WriteRecord(ctx, string(body))
	w.m.writeSeconds.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		w.m.writes.WithLabelValues("ok").Inc()
		w.m.points.Add(float64(points))
		w.m.up.Set(1)
		w.lastErr.Store(nil)
	case retryable(err):
		w.m.writes.WithLabelValues("retryable_error").Inc()
		w.m.up.Set(0)
		msg := err.Error()
		if w.lastErr.Swap(&msg) == nil {
			w.log.Warn("InfluxDB write failed; spooling until it is back", "err", err)
		}
	default:
		w.m.writes.WithLabelValues("rejected").Inc()
	}
	return err
}

// writeEach isolates the points InfluxDB refuses after it refused a batch: it writes halves of
// the batch, splitting further only the halves that are refused, so that one bad point in a
// batch of thousands costs a few dozen requests, and only refused points become dead letters.
// A transient failure part-way spools what is left.
func (w *Writer) writeEach(ctx context.Context, body []byte, refusal error) error {
	return w.bisect(ctx, bytes.Split(body, []byte{'\n'}), refusal)
}

// bisect handles lines that InfluxDB refused as a whole with refusal.
func (w *Writer) bisect(ctx context.Context, lines [][]byte, refusal error) error {
	if len(lines) == 1 {
		w.m.rejectedPoints.Inc()
		if err := w.dead.Put("influx", "", lines[0], reading.ReasonInfluxRejected, refusal); err != nil {
			return fmt.Errorf("keep refused point as dead letter: %w", err)
		}
		return nil
	}
	half := len(lines) / 2
	for _, part := range [][][]byte{lines[:half], lines[half:]} {
		body := bytes.Join(part, []byte{'\n'})
		err := w.write(ctx, body, len(part))
		switch {
		case err == nil:
		case retryable(err):
			if err := w.store(ctx, body, len(part)); err != nil {
				return err
			}
		default:
			if err := w.bisect(ctx, part, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// drain writes spooled batches to InfluxDB, oldest first, until ctx is cancelled.
func (w *Writer) drain(ctx context.Context) {
	for {
		rec, err := w.spool.Peek()
		if errors.Is(err, spool.ErrEmpty) {
			select {
			case <-w.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			w.log.Error("cannot read spool; retrying", "err", err)
			if !sleep(ctx, w.cfg.RetryInterval) {
				return
			}
			continue
		}
		points := bytes.Count(rec, []byte{'\n'}) + 1
		err = w.write(ctx, rec, points)
		if err != nil && !retryable(err) {
			err = w.writeEach(ctx, rec, err)
		}
		if err != nil {
			if !sleep(ctx, w.cfg.RetryInterval) {
				return
			}
			continue
		}
		if err := w.spool.Pop(); err != nil {
			w.log.Error("cannot advance spool", "err", err)
		}
		w.m.drainedBatches.Inc()
		if w.spool.Len() == 0 {
			w.log.Info("spool drained")
		}
		w.checkSpoolAlarm()
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// retryable tells transient failures (no answer, 5xx, 429, and the auth/not-found answers of a
// misconfigured or still-starting server) from InfluxDB refusing the points themselves.
func retryable(err error) bool {
	var he *ihttp.Error
	if !errors.As(err, &he) {
		return true
	}
	switch {
	case he.StatusCode == 0, he.StatusCode == 429, he.StatusCode >= 500:
		return true
	case he.StatusCode == 401, he.StatusCode == 403, he.StatusCode == 404:
		return true
	}
	return false
}
