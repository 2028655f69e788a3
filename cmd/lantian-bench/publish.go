package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// stationID is the id of bench station i (0-based); the registry given to lantian lists them.
func stationID(i int) string { return fmt.Sprintf("bench-%03d", i+1) }

// sourceID and outletID name bench outlet i's source and outlet; the registry lists them.
func sourceID(i int) string { return fmt.Sprintf("bench-src-%03d", i+1) }

const outletID = "DA001"

// Payload kinds of a backlog: ambient real-time readings, ambient hourly readings (on the
// hour, which the streaming assessor takes), or hourly readings of which every fifth is a
// pollution-source outlet's.
const (
	payloadRT   = "rt"
	payloadHour = "1h"
	payloadMix  = "mix"
)

// airPayload is an ambient reading shaped like the ones stations send (see
// service/app_test.go airMessages): numbers, a numeric string and a flag. ts is either an
// RFC 3339 time (quoted) or unix milliseconds (a bare number).
func airPayload(dst []byte, station string, ts []byte, i int, period string) []byte {
	dst = append(dst, `{"station":"`...)
	dst = append(dst, station...)
	dst = append(dst, `","time":`...)
	dst = append(dst, ts...)
	dst = append(dst, `,"period":"`...)
	dst = append(dst, period...)
	dst = append(dst, `","pm25":`...)
	dst = strconv.AppendInt(dst, int64(20+i%60), 10)
	dst = append(dst, `,"pm10":`...)
	dst = strconv.AppendInt(dst, int64(45+i%90), 10)
	dst = append(dst, `,"so2":8,"no2":`...)
	dst = strconv.AppendFloat(dst, 20+float64(i%200)/10, 'f', 1, 64)
	dst = append(dst, `,"co":0.9,"o3":"`...)
	dst = strconv.AppendInt(dst, int64(30+i%80), 10)
	dst = append(dst, `","flags":{"pm25":"N"}}`...)
	return dst
}

// sourcePayload is an hourly CEMS reading of an outlet: concentrations, converted ones, O2,
// flow and a flag, as a source's data logger sends them.
func sourcePayload(dst []byte, ts []byte, i int) []byte {
	dst = append(dst, `{"time":`...)
	dst = append(dst, ts...)
	dst = append(dst, `,"period":"1h","dust":`...)
	dst = strconv.AppendFloat(dst, 2+float64(i%30)/10, 'f', 1, 64)
	dst = append(dst, `,"so2":`...)
	dst = strconv.AppendInt(dst, int64(15+i%40), 10)
	dst = append(dst, `,"nox":`...)
	dst = strconv.AppendInt(dst, int64(30+i%60), 10)
	dst = append(dst, `,"so2_zs":`...)
	dst = strconv.AppendInt(dst, int64(17+i%40), 10)
	dst = append(dst, `,"o2":7.5,"flow":512000,"temp":49.5,"flags":{"so2":"N"}}`...)
	return dst
}

// backlogMessage is message i of a backlog of kind over stations stations: its topic and
// payload. Readings of one station (or outlet) are a step apart from start, so every
// station/time pair is distinct; hourly ones are on the hour.
func backlogMessage(kind string, i, stations int, start time.Time) (string, []byte) {
	step := time.Minute
	period := "rt"
	if kind != payloadRT {
		step, period = time.Hour, "1h"
	}
	ts := []byte{'"'}
	ts = start.Add(time.Duration(i/stations)*step).UTC().AppendFormat(ts, time.RFC3339)
	ts = append(ts, '"')
	if kind == payloadMix && i%5 == 4 {
		src := sourceID(i % stations)
		return "lantian/source/" + src + "/" + outletID, sourcePayload(nil, ts, i)
	}
	st := stationID(i % stations)
	return "lantian/air/" + st, airPayload(nil, st, ts, i, period)
}

// backlogStart is the time of the first readings of a backlog of n readings: far enough back
// that the last ones are still in the past.
func backlogStart(kind string, n, stations int) time.Time {
	if kind == payloadRT {
		return time.Now().Add(-time.Duration(n/stations+60) * time.Minute).Truncate(time.Minute)
	}
	return time.Now().Add(-time.Duration(n/stations+2) * time.Hour).Truncate(time.Hour)
}

func connect(ctx context.Context, url, clientID string, clean bool) (paho.Client, error) {
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(clientID).SetCleanSession(clean).
		SetAutoReconnect(false).SetWriteTimeout(10 * time.Second).SetConnectTimeout(10 * time.Second).
		SetKeepAlive(60 * time.Second)
	c := paho.NewClient(opts)
	tok := c.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("mqtt connect %s as %s: %w", url, clientID, err)
	}
	return c, nil
}

// presubscribe creates the subscriber's persistent session with its subscriptions, so the
// broker queues what is published before the subscriber starts.
func presubscribe(ctx context.Context, url, clientID string, filters []string) error {
	c, err := connect(ctx, url, clientID, false)
	if err != nil {
		return err
	}
	defer c.Disconnect(250)
	subs := make(map[string]byte, len(filters))
	for _, f := range filters {
		subs[f] = 1
	}
	tok := c.SubscribeMultiple(subs, nil)
	if !tok.WaitTimeout(30 * time.Second) {
		return fmt.Errorf("subscribe %s: timed out", clientID)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("subscribe %s: %w", clientID, err)
	}
	return nil
}

// window publishes at QoS 1 with a bounded number of unacknowledged messages, retrying a
// message whose acknowledgement failed.
type window struct {
	c       paho.Client
	pending []pendingPub
	size    int
	retries int
}

type pendingPub struct {
	tok     paho.Token
	topic   string
	payload []byte
}

func (w *window) publish(ctx context.Context, topic string, payload []byte) error {
	w.pending = append(w.pending, pendingPub{w.c.Publish(topic, 1, false, payload), topic, payload})
	if len(w.pending) >= w.size {
		p := w.pending[0]
		w.pending = w.pending[1:]
		return w.settle(ctx, p)
	}
	return nil
}

func (w *window) settle(ctx context.Context, p pendingPub) error {
	for attempt := 0; ; attempt++ {
		select {
		case <-p.tok.Done():
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Second):
		}
		if p.tok.Error() == nil && isDone(p.tok) {
			return nil
		}
		if attempt >= 5 {
			return fmt.Errorf("publish %s not acknowledged after %d attempts: %v", p.topic, attempt+1, p.tok.Error())
		}
		w.retries++
		p.tok = w.c.Publish(p.topic, 1, false, p.payload)
	}
}

func isDone(t paho.Token) bool {
	select {
	case <-t.Done():
		return true
	default:
		return false
	}
}

func (w *window) flush(ctx context.Context) error {
	for _, p := range w.pending {
		if err := w.settle(ctx, p); err != nil {
			return err
		}
	}
	w.pending = w.pending[:0]
	return nil
}

// publishBacklog publishes n readings of a payload kind at QoS 1 over several connections (see
// backlogMessage). It returns when the broker has acknowledged all.
func publishBacklog(ctx context.Context, url, kind string, n, stations, conns int) (time.Duration, error) {
	start := backlogStart(kind, n, stations)
	began := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for k := 0; k < conns; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = func() error {
				c, err := connect(ctx, url, fmt.Sprintf("bench-backlog-pub-%d", k), true)
				if err != nil {
					return err
				}
				defer c.Disconnect(250)
				w := &window{c: c, size: 2000}
				for i := k; i < n; i += conns {
					topic, payload := backlogMessage(kind, i, stations, start)
					if err := w.publish(ctx, topic, payload); err != nil {
						return err
					}
				}
				return w.flush(ctx)
			}()
		}()
	}
	wg.Wait()
	return time.Since(began), errors.Join(errs...)
}

// liveResult is what a live publisher did.
type liveResult struct {
	Published int64
	Elapsed   time.Duration
}

// publishLive publishes at rate readings/s for d, each stamped with its publish time in unix
// milliseconds, cycling over the stations. It paces in 2 ms steps against the start time, so
// a late step catches up instead of lowering the rate.
func publishLive(ctx context.Context, url string, rate int, d time.Duration, stations int) (liveResult, error) {
	c, err := connect(ctx, url, fmt.Sprintf("bench-live-pub-%d", rate), true)
	if err != nil {
		return liveResult{}, err
	}
	defer c.Disconnect(250)
	w := &window{c: c, size: 5000}
	last := make([]int64, stations) // last stamp per station: keeps station/time pairs distinct
	total := int64(float64(rate) * d.Seconds())
	began := time.Now()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	var ts []byte
	for i := int64(0); i < total; {
		select {
		case <-ctx.Done():
			return liveResult{}, ctx.Err()
		case <-tick.C:
		}
		due := int64(time.Since(began).Seconds() * float64(rate))
		if due > total {
			due = total
		}
		for ; i < due; i++ {
			s := int(i % int64(stations))
			ms := time.Now().UnixMilli()
			if ms <= last[s] {
				ms = last[s] + 1
			}
			last[s] = ms
			st := stationID(s)
			ts = strconv.AppendInt(ts[:0], ms, 10)
			if err := w.publish(ctx, "lantian/air/"+st, airPayload(nil, st, ts, int(i), "rt")); err != nil {
				return liveResult{}, err
			}
		}
	}
	elapsed := time.Since(began)
	if err := w.flush(ctx); err != nil {
		return liveResult{}, err
	}
	return liveResult{Published: total, Elapsed: elapsed}, nil
}
