package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"lantian/ingest/mqttpub"
	"lantian/ingest/reading"
)

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// Session is where the readings go: <TopicPrefix>/air/<station>, always at QoS 1.
	Session
	// Speed is simulated hours per real second; 0 publishes as fast as the broker acknowledges.
	Speed float64
	// Location is the zone the times of the messages are written in (nil: Asia/Shanghai).
	Location *time.Location
}

// ReplayStats count a replay. Published counts publishes the broker acknowledged.
type ReplayStats struct {
	// Rows counts the readings given to Replay, one per row of the input.
	Rows, Sent, Published, Errors int
	// Skipped counts readings without any valid value: the pipeline refuses an empty reading,
	// and an hour without data adds nothing to an assessment.
	Skipped int
	// First and Last are the first and last hour of the input; Current the hour being sent.
	First, Last, Current time.Time
	Elapsed              time.Duration
}

func (o ReplayOptions) normalized() (ReplayOptions, error) {
	if err := o.complete("replay", "lantian-replay"); err != nil {
		return o, err
	}
	if o.Speed < 0 || o.Speed != o.Speed {
		return o, fmt.Errorf("replay: speed %g must be >= 0", o.Speed)
	}
	if o.Location == nil {
		o.Location = defaultLocation()
	}
	return o, nil
}

// replayMessage is the MQTT topic and JSON of one air reading: station, time (the start of its
// period in RFC 3339), period, then the values that may enter an assessment, as the shortest
// decimals that give back the same float64 (so an hourly CSV value 12.5 is sent as 12.5).
// Missing values, values without a number and values flagged invalid are left out; ok is false
// when none is left.
func replayMessage(prefix string, r *reading.Reading, loc *time.Location) (topic string, payload []byte, ok bool) {
	w := jsonWriter{b: make([]byte, 0, 160)}
	w.raw("station", []byte(strconv.Quote(r.Station)))
	w.str("time", r.Time.In(loc).AppendFormat(nil, time.RFC3339))
	w.str("period", []byte(r.Period))
	for _, v := range r.Values {
		if v.NoValue || !v.Flag.Valid() {
			continue
		}
		w.key(v.Name)
		w.b = strconv.AppendFloat(w.b, v.Value, 'f', -1, 64)
		ok = true
	}
	return strings.TrimSuffix(prefix, "/") + "/air/" + r.Station, w.close(), ok
}

// Replay publishes air readings (hourly rows of a CSV file, in time order) to
// <prefix>/air/<station> at QoS 1 from a persistent session, paced by Speed on the readings'
// times, keeping at most Window publishes unacknowledged. progress, when not nil, is called
// every ProgressEvery from another goroutine. A cancelled ctx stops cleanly: publishing ends,
// the publishes in flight get a few seconds to be acknowledged, and the stats are returned with
// ctx's error.
func Replay(ctx context.Context, o ReplayOptions, readings []reading.Reading, progress func(ReplayStats)) (ReplayStats, error) {
	o, err := o.normalized()
	if err != nil {
		return ReplayStats{}, err
	}
	for i := range readings {
		if readings[i].Kind != reading.Air {
			return ReplayStats{}, fmt.Errorf("replay: reading %d of %s is not an air reading", i+1, readings[i].ID())
		}
	}
	st := ReplayStats{Rows: len(readings)}
	if len(readings) == 0 {
		return st, nil
	}
	st.First, st.Last = readings[0].Time, readings[len(readings)-1].Time

	pub, err := o.dial(ctx, 1)
	if err != nil {
		return st, fmt.Errorf("replay: %w", err)
	}
	var skipped, current atomic.Int64
	began := time.Now()
	snapshot := func(c mqttpub.Counts) ReplayStats {
		s := st
		s.Sent, s.Published, s.Errors = int(c.Sent), int(c.Published), int(c.Errors)
		s.Skipped = int(skipped.Load())
		s.Current = time.Unix(0, current.Load()).In(o.Location)
		s.Elapsed = time.Since(began)
		return s
	}
	var report func(time.Time)
	if progress != nil {
		report = func(time.Time) { progress(snapshot(pub.Counts())) }
	}
	stopProgress := StartProgress(o.ProgressEvery, report)

	first := readings[0].Time
	for i := range readings {
		r := &readings[i]
		if o.Speed > 0 {
			due := began.Add(time.Duration(r.Time.Sub(first).Hours() / o.Speed * float64(time.Second)))
			if sleepUntil(ctx, due) != nil {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
		topic, payload, ok := replayMessage(o.TopicPrefix, r, o.Location)
		if !ok {
			skipped.Add(1)
			continue
		}
		current.Store(r.Time.UnixNano())
		if pub.Publish(ctx, topic, payload) != nil {
			break
		}
	}
	counts, err := pub.Close(ctx)
	stopProgress()
	res := snapshot(counts)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		return res, fmt.Errorf("replay: %w", err)
	}
	return res, nil
}
