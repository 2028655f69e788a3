package sim

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"lantian/ingest/mqttpub"
	"lantian/ingest/reading"
)

// Session says where and how Publish and Replay publish: a persistent MQTT session with a
// bounded window of unacknowledged publishes, and the interval of their progress calls.
type Session struct {
	URL, ClientID, Username, Password string
	// TopicPrefix goes before the message topics; empty means "lantian".
	TopicPrefix string
	// Window bounds the publishes awaiting the broker's acknowledgement; 0 means 1000.
	Window int
	// ProgressEvery is the interval of progress calls; 0 means 5 s.
	ProgressEvery time.Duration
}

// complete checks the session and fills in its defaults: a broker URL is required, the client
// id (defaultID), topic prefix (lantian, never a wildcard), window (1000, at most maxWindow)
// and progress interval (5 s). what prefixes the errors.
func (s *Session) complete(what, defaultID string) error {
	if s.URL == "" {
		return fmt.Errorf("%s: no broker URL", what)
	}
	if s.ClientID == "" {
		s.ClientID = defaultID
	}
	if s.TopicPrefix == "" {
		s.TopicPrefix = "lantian"
	}
	if strings.ContainsAny(s.TopicPrefix, "#+") {
		return fmt.Errorf("%s: topic prefix %q holds a wildcard", what, s.TopicPrefix)
	}
	if s.Window <= 0 {
		s.Window = 1000
	}
	s.Window = min(s.Window, maxWindow)
	if s.ProgressEvery <= 0 {
		s.ProgressEvery = 5 * time.Second
	}
	return nil
}

// dial connects the session's publisher.
func (s Session) dial(ctx context.Context, qos byte) (*mqttpub.Publisher, error) {
	return mqttpub.Dial(ctx, mqttpub.Config{URL: s.URL, ClientID: s.ClientID, Username: s.Username,
		Password: s.Password, QoS: qos, Window: s.Window})
}

// PublishOptions configures Publish.
type PublishOptions struct {
	Session
	QoS byte
	// Rate caps messages per second; 0 publishes as fast as the broker takes them.
	Rate float64
	// Count stops after that many messages; 0 runs until the context ends.
	Count int
	// Period of the readings; empty means real-time.
	Period reading.Period
	// Speed is simulated seconds per real second while the simulated clock is behind the wall
	// clock (Start in the past); once it catches up it follows the wall clock, so no reading is
	// ever stamped in the future. 0 means 1; math.Inf(1) means as fast as Rate allows.
	Speed float64
	// Start is the simulated time of the first tick; zero means now.
	Start time.Time
	// StopAtNow ends the run once the simulated clock has caught up with the wall clock
	// (a backfill) instead of carrying on in real time.
	StopAtNow bool
	// Interval is the simulated time between two readings of one station (a tick). Zero picks
	// the period's length; for real-time readings N/Rate seconds (N messages per tick) when Rate
	// is set, so that the rate is sustained with timestamps that keep pace with the clock,
	// else one minute. For 1m/1h/1d it must be a whole number of periods.
	Interval time.Duration
}

// Stats counts a Publish run. Published and Errors count acknowledged and failed publishes;
// Sent - Published - Errors were handed to the client but not confirmed when the run ended.
type Stats struct {
	Sent, Published, Errors int64
	Elapsed                 time.Duration
	// SimTime is the simulated time of the latest tick.
	SimTime time.Time
}

const maxWindow = 60000 // MQTT message ids are 16-bit; leave room for the client's own use

// Publish publishes sim's readings to an MQTT broker, tick after tick: every tick, one reading
// of each station and outlet for the tick's simulated time, so (station, time) pairs are
// unique. The session is persistent (clean session off, stable client id) and reconnects on
// its own; QoS 1 publishes interrupted by a broker restart are resent after the reconnect.
// progress, when not nil, is called every ProgressEvery from another goroutine. A cancelled ctx
// ends the run cleanly: publishes in flight get a few seconds to be acknowledged and the
// result has no error.
func Publish(ctx context.Context, sim *Simulator, o PublishOptions, progress func(Stats)) (Stats, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	period := o.Period
	plen := period.Length()
	if o.Interval == 0 {
		o.Interval = plen
		if period == reading.RealTime {
			o.Interval = time.Minute
			if o.Rate > 0 {
				n := len(sim.Messages(o.Start, period))
				o.Interval = max(time.Millisecond, time.Duration(float64(n)/o.Rate*float64(time.Second)).Round(time.Millisecond))
			}
		}
	}
	if period == reading.RealTime {
		o.Interval = max(time.Millisecond, o.Interval.Round(time.Millisecond))
	} else if o.Interval%plen != 0 || o.Interval < plen {
		return Stats{}, fmt.Errorf("sim: interval %s is not a whole number of %s periods", o.Interval, period)
	}

	pub, err := o.dial(ctx, o.QoS)
	if err != nil {
		return Stats{}, fmt.Errorf("sim: %w", err)
	}
	var simTime atomic.Int64
	began := time.Now()
	snapshot := func(c mqttpub.Counts) Stats {
		return Stats{Sent: c.Sent, Published: c.Published, Errors: c.Errors,
			Elapsed: time.Since(began), SimTime: time.Unix(0, simTime.Load()).In(sim.loc)}
	}

	var report func(time.Time)
	if progress != nil {
		report = func(time.Time) { progress(snapshot(pub.Counts())) }
	}
	stopProgress := StartProgress(o.ProgressEvery, report)

	prefix := strings.TrimSuffix(o.TopicPrefix, "/") + "/"
	pace := pacer{every: rateInterval(o.Rate)}
	t := sim.PeriodStart(o.Start, period)
loop:
	for {
		end := t.Add(plen) // a reading is published once its period is over
		if o.StopAtNow && end.After(time.Now()) {
			break
		}
		due := end
		if !math.IsInf(o.Speed, 1) {
			if d := began.Add(time.Duration(float64(end.Sub(o.Start)) / o.Speed)); d.After(due) {
				due = d
			}
		}
		if sleepUntil(ctx, due) != nil {
			break
		}
		simTime.Store(t.UnixNano())
		for _, m := range sim.Messages(t, period) {
			if o.Count > 0 && pub.Counts().Sent >= int64(o.Count) {
				break loop
			}
			if pace.wait(ctx) != nil {
				break loop
			}
			if pub.Publish(ctx, prefix+m.Topic, m.Payload) != nil {
				break loop
			}
		}
		if period == reading.Day {
			t = t.AddDate(0, 0, int(o.Interval/plen))
		} else {
			t = t.Add(o.Interval)
		}
	}
	counts, err := pub.Close(ctx)
	stopProgress()
	st := snapshot(counts)
	if err != nil {
		return st, fmt.Errorf("sim: %w", err)
	}
	return st, nil
}

func (o PublishOptions) withDefaults() (PublishOptions, error) {
	if err := o.complete("sim", "lantian-sim"); err != nil {
		return o, err
	}
	if o.Period == "" {
		o.Period = reading.RealTime
	}
	if _, err := reading.ParsePeriod(string(o.Period)); err != nil {
		return o, fmt.Errorf("sim: %w", err)
	}
	switch {
	case o.QoS > 2:
		return o, fmt.Errorf("sim: QoS %d is not 0, 1 or 2", o.QoS)
	case o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return o, fmt.Errorf("sim: rate %g must be a finite number >= 0", o.Rate)
	case o.Count < 0:
		return o, fmt.Errorf("sim: count %d is negative", o.Count)
	case o.Speed < 0 || math.IsNaN(o.Speed):
		return o, fmt.Errorf("sim: speed %g is negative", o.Speed)
	case o.Interval < 0:
		return o, fmt.Errorf("sim: interval %s is negative", o.Interval)
	}
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	return o, nil
}

func rateInterval(rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / rate)
}

// pacer spaces messages evenly at a rate. It sleeps only when more than a millisecond ahead,
// so that high rates do not pay for a timer per message.
type pacer struct {
	every time.Duration
	next  time.Time
}

// maxBurst is how far behind the pacer may fall and still catch up: a short stall is made
// good, a long pause (waiting for the next tick) is not turned into a burst.
const maxBurst = 10 * time.Millisecond

func (p *pacer) wait(ctx context.Context) error {
	if p.every <= 0 {
		return ctx.Err()
	}
	now := time.Now()
	if p.next.Before(now.Add(-maxBurst)) {
		p.next = now
	}
	ahead := p.next.Sub(now)
	p.next = p.next.Add(p.every)
	if ahead > time.Millisecond {
		return sleepUntil(ctx, now.Add(ahead))
	}
	return ctx.Err()
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
