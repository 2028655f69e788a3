package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"lantian/ingest/schema"
)

// subscriberCmd is the hidden first argument that makes the bench binary run one of the two
// comparison subscribers in a process of its own, so its CPU and memory can be read from /proc.
const subscriberCmd = "__subscriber"

// Subscriber modes.
const (
	modeNull    = "null"    // do-nothing paho subscriber: counts messages
	modeSimple  = "simple"  // paho → encoding/json → blocking InfluxDB writes in the handler
	modeChannel = "channel" // paho → json.Unmarshal → bounded channel → one batching writer
)

// childProgress is what a comparison subscriber reports on GET /progress.
type childProgress struct {
	Ready       bool  `json:"ready"`
	Received    int64 `json:"received"`
	Stored      int64 `json:"stored"`
	Malformed   int64 `json:"malformed"`
	WriteErrors int64 `json:"write_errors"`
	// Latency from the reading's time (its publish time, unix ms) to receipt (null) or to the
	// return of the write that stored it (simple); only with -latency.
	LatencyCount int64   `json:"latency_count"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
}

type child struct {
	mode      string
	latency   bool
	received  atomic.Int64
	stored    atomic.Int64
	malformed atomic.Int64
	writeErrs atomic.Int64
	ready     atomic.Bool
	hist      latencyHist
	log       *slog.Logger

	// simple mode: mu serialises WritePoint and Flush, so pending mirrors the client's batch.
	mu         sync.Mutex
	writer     api.WriteAPIBlocking
	batchSize  int
	pending    []int64 // reading times (unix ms) of the points in the client's batch
	firstAdded time.Time

	// channel mode: decoded readings waiting for the writer goroutine.
	queue chan queued
}

// queued is one decoded message of the channel pipeline.
type queued struct {
	point *write.Point
	ms    int64 // the reading's time, for the latency
	msg   paho.Message
}

func subscriberMain(args []string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	fs := flag.NewFlagSet(subscriberCmd, flag.ContinueOnError)
	mode := fs.String("mode", modeNull, "null, simple or channel")
	mqttURL := fs.String("mqtt-url", "", "broker")
	clientID := fs.String("client-id", "", "MQTT client id (persistent session)")
	influxURL := fs.String("influx-url", "", "InfluxDB (simple mode)")
	bucket := fs.String("bucket", "", "InfluxDB bucket (simple mode)")
	batch := fs.Int("batch-size", 5000, "points per write (simple mode)")
	flushAfter := fs.Duration("flush-after", 100*time.Millisecond, "longest a point waits for its batch (simple mode)")
	addr := fs.String("progress-addr", "127.0.0.1:0", "listen address of GET /progress")
	latency := fs.Bool("latency", false, "record latency from the reading's unix-ms time")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &child{mode: *mode, latency: *latency, log: log, batchSize: *batch}
	if err := c.run(ctx, *mqttURL, *clientID, *influxURL, *bucket, *addr, *flushAfter); err != nil {
		log.Error("subscriber failed", "mode", *mode, "err", err)
		return 1
	}
	return 0
}

func (c *child) run(ctx context.Context, mqttURL, clientID, influxURL, bucket, addr string, flushAfter time.Duration) error {
	var handler paho.MessageHandler
	switch c.mode {
	case modeNull:
		handler = c.onNull
	case modeChannel:
		client := influxdb2.NewClient(influxURL, "")
		defer client.Close()
		c.writer = client.WriteAPIBlocking("", bucket)
		c.queue = make(chan queued, 2*c.batchSize)
		handler = c.onChannel
		done := make(chan struct{})
		defer func() { <-done }()
		go func() { defer close(done); c.channelWriter(ctx, flushAfter) }()
	case modeSimple:
		client := influxdb2.NewClientWithOptions(influxURL, "", influxdb2.DefaultOptions().SetBatchSize(uint(c.batchSize)))
		defer client.Close()
		c.writer = client.WriteAPIBlocking("", bucket)
		c.writer.EnableBatching()
		c.pending = make([]int64, 0, c.batchSize)
		handler = c.onSimple
		go c.flushOld(ctx, flushAfter)
	default:
		return fmt.Errorf("unknown mode %q", c.mode)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("progress listener: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(c.serveProgress), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	opts := paho.NewClientOptions().AddBroker(mqttURL).SetClientID(clientID).SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).
		SetDefaultPublishHandler(handler).
		// The channel pipeline acknowledges after the write; the others when the handler returns.
		SetAutoAckDisabled(c.mode == modeChannel).
		SetOnConnectHandler(func(cl paho.Client) {
			// The session already holds the subscription (the bench created it); subscribing
			// again is harmless and covers a lost session.
			tok := cl.SubscribeMultiple(map[string]byte{"lantian/air/+": 1, "lantian/source/+/+": 1}, nil)
			if tok.WaitTimeout(30*time.Second) && tok.Error() == nil {
				c.ready.Store(true)
				return
			}
			c.log.Error("subscribe failed", "err", tok.Error())
		})
	mc := paho.NewClient(opts)
	if tok := mc.Connect(); tok.WaitTimeout(30*time.Second) && tok.Error() != nil {
		return fmt.Errorf("mqtt connect: %w", tok.Error())
	}
	<-ctx.Done()
	mc.Disconnect(250)
	if c.mode == modeSimple {
		c.mu.Lock()
		err := c.writer.Flush(context.Background())
		c.batchDone(err)
		c.mu.Unlock()
	}
	return nil
}

func (c *child) serveProgress(w http.ResponseWriter, _ *http.Request) {
	p := childProgress{
		Ready: c.ready.Load(), Received: c.received.Load(), Stored: c.stored.Load(),
		Malformed: c.malformed.Load(), WriteErrors: c.writeErrs.Load(),
	}
	p.LatencyCount, p.P50Ms, p.P99Ms = c.hist.summary()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p)
}

// onNull is the do-nothing subscriber: paho acknowledges when it returns.
func (c *child) onNull(_ paho.Client, m paho.Message) {
	if c.latency {
		if ms, ok := millisOf(m.Payload()); ok {
			c.hist.add(time.Now().UnixMilli() - ms)
		}
	}
	c.received.Add(1)
	c.stored.Add(1)
}

// millisOf finds the unix-ms "time" of a live bench payload without decoding it.
func millisOf(p []byte) (int64, bool) {
	i := bytes.Index(p, []byte(`"time":`))
	if i < 0 {
		return 0, false
	}
	p = p[i+len(`"time":`):]
	var ms int64
	n := 0
	for ; n < len(p) && p[n] >= '0' && p[n] <= '9'; n++ {
		ms = ms*10 + int64(p[n]-'0')
	}
	return ms, n > 0
}

// onSimple is the simplest pipeline: decode into a map, build a point, write it with the
// blocking client in batching mode (every batch-size-th call sends the batch and blocks).
// paho acknowledges when it returns, before the point is in InfluxDB.
func (c *child) onSimple(_ paho.Client, m paho.Message) {
	c.received.Add(1)
	var doc map[string]any
	if err := json.Unmarshal(m.Payload(), &doc); err != nil {
		c.malformed.Add(1)
		return
	}
	station, _ := doc["station"].(string)
	if station == "" {
		station = m.Topic()[strings.LastIndexByte(m.Topic(), '/')+1:]
	}
	period, _ := doc["period"].(string)
	var t time.Time
	var ms int64
	switch v := doc["time"].(type) {
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			c.malformed.Add(1)
			return
		}
		ms = t.UnixMilli()
	case float64:
		ms = int64(v)
		t = time.UnixMilli(ms)
	default:
		c.malformed.Add(1)
		return
	}
	fields := make(map[string]any, len(doc))
	for k, v := range doc {
		switch k {
		case "station", "time", "period":
			continue
		case "flags":
			flags, _ := v.(map[string]any)
			for fk, fv := range flags {
				if s, ok := fv.(string); ok {
					fields[fk+schema.FlagSuffix] = s
				}
			}
			continue
		}
		switch x := v.(type) {
		case float64:
			fields[k] = x
		case string:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				fields[k] = f
			}
		}
	}
	p := write.NewPoint(schema.Air, map[string]string{schema.TagStation: station, schema.TagPeriod: period}, fields, t)

	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		c.firstAdded = time.Now()
	}
	c.pending = append(c.pending, ms)
	err := c.writer.WritePoint(context.Background(), p)
	if len(c.pending) == c.batchSize { // this call sent the batch
		c.batchDone(err)
	}
}

// benchNumber is a JSON number or numeric string, as stations send both.
type benchAir struct {
	Station  string            `json:"station"`
	Time     json.RawMessage   `json:"time"`
	Period   string            `json:"period"`
	PM25     json.Number       `json:"pm25"`
	PM10     json.Number       `json:"pm10"`
	SO2      json.Number       `json:"so2"`
	NO2      json.Number       `json:"no2"`
	CO       json.Number       `json:"co"`
	O3       json.Number       `json:"o3"`
	Flags    map[string]string `json:"flags"`
	Dust     json.Number       `json:"dust"`
	NOx      json.Number       `json:"nox"`
	SO2Zs    json.Number       `json:"so2_zs"`
	O2       json.Number       `json:"o2"`
	Flow     json.Number       `json:"flow"`
	Temp     json.Number       `json:"temp"`
	Source   string            `json:"source"`
	Outlet   string            `json:"outlet"`
	Pressure json.Number       `json:"pressure"`
}

// onChannel is the channel pipeline's paho handler (ordered delivery, so it runs on paho's
// router): decode into a struct, build the point, queue it. A full queue blocks the handler and
// so paho's reading, which is the pipeline's back-pressure.
func (c *child) onChannel(_ paho.Client, m paho.Message) {
	c.received.Add(1)
	var d benchAir
	if err := json.Unmarshal(m.Payload(), &d); err != nil {
		c.malformed.Add(1)
		m.Ack()
		return
	}
	var t time.Time
	if len(d.Time) > 0 && d.Time[0] == '"' {
		var s string
		_ = json.Unmarshal(d.Time, &s)
		var err error
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			c.malformed.Add(1)
			m.Ack()
			return
		}
	} else {
		ms, err := strconv.ParseInt(string(d.Time), 10, 64)
		if err != nil {
			c.malformed.Add(1)
			m.Ack()
			return
		}
		t = time.UnixMilli(ms)
	}
	fields := make(map[string]any, 12)
	num := func(name string, n json.Number) {
		if n != "" {
			if f, err := n.Float64(); err == nil {
				fields[name] = f
			}
		}
	}
	var p *write.Point
	topic := m.Topic()
	if strings.HasPrefix(topic, "lantian/source/") {
		parts := strings.Split(topic, "/")
		num("dust", d.Dust)
		num("so2", d.SO2)
		num("nox", d.NOx)
		num("so2_zs", d.SO2Zs)
		num("o2", d.O2)
		num("flow", d.Flow)
		num("temp", d.Temp)
		for k, v := range d.Flags {
			fields[k+schema.FlagSuffix] = v
		}
		p = write.NewPoint(schema.Emission, map[string]string{schema.TagSource: parts[2], schema.TagOutlet: parts[3], schema.TagPeriod: d.Period}, fields, t)
	} else {
		station := d.Station
		if station == "" {
			station = topic[strings.LastIndexByte(topic, '/')+1:]
		}
		num("pm25", d.PM25)
		num("pm10", d.PM10)
		num("so2", d.SO2)
		num("no2", d.NO2)
		num("co", d.CO)
		num("o3", d.O3)
		for k, v := range d.Flags {
			fields[k+schema.FlagSuffix] = v
		}
		p = write.NewPoint(schema.Air, map[string]string{schema.TagStation: station, schema.TagPeriod: d.Period}, fields, t)
	}
	c.queue <- queued{point: p, ms: t.UnixMilli(), msg: m}
}

// channelWriter is the channel pipeline's one writer: batches of batchSize points (or what
// came within flushAfter of a batch's first point) through the blocking write API, each
// message acknowledged once its batch is written.
func (c *child) channelWriter(ctx context.Context, flushAfter time.Duration) {
	batch := make([]queued, 0, c.batchSize)
	points := make([]*write.Point, 0, c.batchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		points = points[:0]
		for _, q := range batch {
			points = append(points, q.point)
		}
		if err := c.writer.WritePoint(context.WithoutCancel(ctx), points...); err != nil {
			c.writeErrs.Add(int64(len(batch)))
			c.log.Error("write failed; messages left unacknowledged", "points", len(batch), "err", err)
		} else {
			now := time.Now().UnixMilli()
			for _, q := range batch {
				q.msg.Ack()
				if c.latency {
					c.hist.add(now - q.ms)
				}
			}
			c.stored.Add(int64(len(batch)))
		}
		batch = batch[:0]
	}
	for {
		select {
		case <-ctx.Done():
			flush()
			return
		case q := <-c.queue:
			batch = append(batch, q)
			if len(batch) == 1 {
				timer.Reset(flushAfter)
			}
			if len(batch) >= c.batchSize {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// flushOld sends a batch whose first point waited flushAfter, as lantian's flush interval does,
// so live latency is not bound to the batch filling.
func (c *child) flushOld(ctx context.Context, flushAfter time.Duration) {
	t := time.NewTicker(flushAfter / 10)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		if len(c.pending) > 0 && time.Since(c.firstAdded) >= flushAfter {
			c.batchDone(c.writer.Flush(ctx))
		}
		c.mu.Unlock()
	}
}

// batchDone accounts for the batch just sent; c.mu is held.
func (c *child) batchDone(err error) {
	n := int64(len(c.pending))
	if n == 0 {
		return
	}
	if err != nil {
		c.writeErrs.Add(n)
		if !errors.Is(err, context.Canceled) {
			c.log.Error("write failed", "points", n, "err", err)
		}
	} else {
		if c.latency {
			now := time.Now().UnixMilli()
			for _, ms := range c.pending {
				c.hist.add(now - ms)
			}
		}
		c.stored.Add(n)
	}
	c.pending = c.pending[:0]
}

// latencyHist counts latencies in 1 ms buckets up to 10 minutes.
type latencyHist struct {
	mu     sync.Mutex
	counts []int64
	n      int64
}

const histMaxMs = 600_000

func (h *latencyHist) add(ms int64) {
	ms = min(max(ms, 0), histMaxMs)
	h.mu.Lock()
	if h.counts == nil {
		h.counts = make([]int64, histMaxMs+1)
	}
	h.counts[ms]++
	h.n++
	h.mu.Unlock()
}

// summary returns the count and the p50 and p99 in ms (upper edge of the 1 ms bucket: the
// publish stamp is truncated to the millisecond, so a latency counted in bucket i is below i+1).
func (h *latencyHist) summary() (n int64, p50, p99 float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0, 0, 0
	}
	q := func(f float64) float64 {
		rank := int64(f*float64(h.n) + 0.999999)
		var cum int64
		for i, c := range h.counts {
			cum += c
			if cum >= rank {
				return float64(i + 1)
			}
		}
		return histMaxMs
	}
	return h.n, q(0.50), q(0.99)
}
