// Package history keeps stored monitoring data append-only: a reading for a station-hour (or
// an outlet's time) that already holds a different stored value is refused as a conflict, with
// both values, instead of silently overwriting it in InfluxDB (where a point with the same
// series and time replaces the old one). A redelivered identical reading stays idempotent, and
// a split HJ 212 message whose parts carry different fields of the same time is not a conflict:
// only fields present in both are compared. Corrections go through an explicit, audited path
// (Corrections).
//
// Cost: readings are checked against a bounded in-memory cache of what was stored, so the hot
// path never queries InfluxDB. At start the cache is filled with one query for the stored
// readings of the last history.recent (Preload), so that the backlog a broker delivers after a
// restart is checked without a query each. A reading the cache cannot vouch for — stamped
// before the cache's horizon (older than history.recent, evicted when the cache was full, or
// before the process started when the preload failed) — loads the week of its station or
// outlet with one query into a second, bounded cache of such weeks, so that a logger
// uploading three days after an outage costs one or two queries, not one per reading, and a
// replay of a season of hourly data about one query per station and week. When InfluxDB
// cannot be asked, such a reading is accepted unchecked, counted and logged: ingest during an
// InfluxDB outage goes on into the spool rather than stalling.
package history

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/lograte"
	"lantian/ingest/reading"
)

// Reason codes of the refusals, the dead letters' "reason".
const (
	ReasonConflict = "conflict"
	ReasonLate     = "too_late"
)

// Lookup reads what the store holds for a reading's series and time: the values (with their
// flags) and whether anything is stored.
type Lookup interface {
	StoredValues(ctx context.Context, a *reading.Accepted) ([]reading.Value, bool, error)
}

// Scanner streams the readings stored in [from, to), of one series when only is not nil.
type Scanner interface {
	StoredSince(ctx context.Context, from, to time.Time, only *reading.Reading, fn func(*reading.Accepted) error) error
}

// Store is what the guard reads: single values (to describe a conflict) and spans.
type Store interface {
	Lookup
	Scanner
}

// maxDays bounds the weeks of single series held for late data (a week of real-time data of
// one station is about 20000 points, 2 MB).
const maxDays = 64

// window is the span of late data loaded with one query.
const window = 7 * 24 * time.Hour

// dayKey is one series' week (UTC) of late data.
type dayKey struct {
	kind reading.Kind
	id   string
	day  int64
}

type pointKey struct {
	period reading.Period
	t      int64
}

// day is a loaded (or loading) day of one series.
type day struct {
	ready chan struct{}
	err   error
	vals  map[pointKey][]sig
	used  time.Time
}

// Config is the `history` section of the configuration.
type Config struct {
	// AppendOnly refuses readings that would change a stored value (default true).
	AppendOnly bool `yaml:"append_only"`
	// Recent is how far back the cache keeps what was stored (default 26h): hourly data
	// arriving up to a day late is checked without a query.
	Recent time.Duration `yaml:"recent"`
	// CacheEntries bounds the cache (default 300000 series-times, about 50 MB).
	CacheEntries int `yaml:"cache_entries"`
	// LateWindow refuses readings stamped more than this before now as too_late (0: no limit
	// beyond ingest.max_age). Set it shorter than max_age to keep old history from being
	// filled in by devices; replays of history then need a wider window.
	LateWindow time.Duration `yaml:"late_window"`
}

// DefaultConfig is append-only with a day's cache and no window of its own for late data.
func DefaultConfig() Config {
	return Config{AppendOnly: true, Recent: 26 * time.Hour, CacheEntries: 300000}
}

// Validate reports the section's problems.
func (c Config) Validate() error {
	var errs []error
	if c.Recent < time.Hour {
		errs = append(errs, errors.New("history.recent must be at least 1h"))
	}
	if c.CacheEntries < 1000 {
		errs = append(errs, errors.New("history.cache_entries must be at least 1000"))
	}
	if c.LateWindow < 0 {
		errs = append(errs, errors.New("history.late_window must not be negative"))
	}
	return errors.Join(errs...)
}

type key struct {
	kind   reading.Kind
	id     string
	period reading.Period
	t      int64
}

func keyOf(a *reading.Accepted) key {
	return key{kind: a.Kind, id: a.ID(), period: a.Period, t: a.Time.UnixNano()}
}

// sig is a field's name hash (high half) and value hash (low half): 8 bytes a field instead
// of the values themselves.
type sig uint64

func sigOf(v reading.Value) sig {
	h := fnv.New32a()
	_, _ = h.Write([]byte(v.Name))
	name := h.Sum32()
	h.Reset()
	var b [10]byte
	bits := math.Float64bits(v.Value)
	if v.NoValue {
		bits = 0
	}
	for i := range 8 {
		b[i] = byte(bits >> (8 * i))
	}
	b[8] = byte(v.Flag)
	if v.NoValue {
		b[9] = 1
	}
	_, _ = h.Write(b[:])
	return sig(uint64(name)<<32 | uint64(h.Sum32()))
}

func sigs(vs []reading.Value) []sig {
	out := make([]sig, len(vs))
	for i, v := range vs {
		out[i] = sigOf(v)
	}
	slices.Sort(out)
	return out
}

// differs reports whether a field present in both has another value.
func differs(old, new []sig) bool {
	for _, n := range new {
		for _, o := range old {
			if o>>32 == n>>32 && o != n {
				return true
			}
		}
	}
	return false
}

// Guard checks readings before they are written and learns what was stored. Safe for
// concurrent use.
type Guard struct {
	cfg    Config
	lookup Store
	now    func() time.Time
	log    *slog.Logger
	limit  *lograte.Limiter

	mu      sync.Mutex
	cache   map[key][]sig
	order   []key // insertion order, for eviction
	head    int
	horizon time.Time // readings stamped before it may be stored without being in the cache
	future  time.Duration
	days    map[dayKey]*day

	conflicts, lateRefused, lookups, lookupErrors prometheus.Counter
}

// New builds a guard. Readings stamped before start+maxFuture may have been stored by an
// earlier process, so they are looked up; reg may be nil.
func New(cfg Config, lookup Store, maxFuture time.Duration, reg prometheus.Registerer, log *slog.Logger) (*Guard, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{cfg: cfg, lookup: lookup, now: time.Now, cache: map[key][]sig{}, days: map[dayKey]*day{}, log: log, limit: lograte.New(log, 0)}
	g.horizon = g.now().Add(maxFuture)
	g.future = maxFuture
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "lantian", Subsystem: "history", Name: name, Help: help})
	}
	g.conflicts = c("conflicts_total", "Readings refused because the stored value of their station-hour (outlet-time) differs.")
	g.lateRefused = c("late_refused_total", "Readings refused as older than history.late_window.")
	g.lookups = c("lookups_total", "Queries to InfluxDB for late data (a day of one series) or to describe a conflict.")
	g.lookupErrors = c("unchecked_total", "Late readings accepted without the check because InfluxDB could not be asked.")
	if reg != nil {
		entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "lantian", Subsystem: "history", Name: "cache_entries",
			Help: "Series-times in the append-only check's cache."}, func() float64 { g.mu.Lock(); defer g.mu.Unlock(); return float64(len(g.cache)) })
		for _, col := range []prometheus.Collector{g.conflicts, g.lateRefused, g.lookups, g.lookupErrors, entries} {
			if err := reg.Register(col); err != nil {
				return nil, fmt.Errorf("history: register metrics: %w", err)
			}
		}
	}
	return g, nil
}

// Preload fills the cache with the readings stored in the last history.recent, so that only
// older readings need a query each. On error the cache is left as it was (readings since
// the process started are vouched for; older ones are looked up one by one).
func (g *Guard) Preload(ctx context.Context, sc Scanner) (int, error) {
	if !g.cfg.AppendOnly {
		return 0, nil
	}
	now := g.now()
	from, to := now.Add(-g.cfg.Recent), now.Add(g.future+time.Minute)
	type entry struct {
		k key
		s []sig
	}
	var got []entry
	err := sc.StoredSince(ctx, from, to, nil, func(a *reading.Accepted) error {
		got = append(got, entry{keyOf(a), sigs(a.Values)})
		return nil
	})
	if err != nil {
		return 0, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range got {
		if old, ok := g.cache[e.k]; ok {
			g.cache[e.k] = merge(old, e.s)
			continue
		}
		g.cache[e.k] = e.s
		g.order = append(g.order, e.k)
	}
	// Everything stored since from is now known (or was stored by this process).
	if from.Before(g.horizon) {
		g.horizon = from
	}
	g.evict()
	return len(got), nil
}

func merge(old, in []sig) []sig {
	for _, s := range in {
		if !slices.ContainsFunc(old, func(o sig) bool { return o>>32 == s>>32 }) {
			old = append(old, s)
		}
	}
	slices.Sort(old)
	return old
}

// Check refuses a reading that would rewrite stored history (*reading.Rejection, reason
// conflict or too_late). A late reading that cannot be checked (InfluxDB unreachable) is
// accepted, counted and logged.
func (g *Guard) Check(ctx context.Context, a *reading.Accepted) error {
	now := g.now()
	if g.cfg.LateWindow > 0 && a.Time.Before(now.Add(-g.cfg.LateWindow)) {
		g.lateRefused.Inc()
		return &reading.Rejection{Reason: ReasonLate, Err: fmt.Errorf("%s %s %s is older than history.late_window %s",
			a.ID(), a.Period, a.Time.Format(time.RFC3339), g.cfg.LateWindow)}
	}
	if !g.cfg.AppendOnly {
		return nil
	}
	k := keyOf(a)
	in := sigs(a.Values)
	g.mu.Lock()
	old, cached := g.cache[k]
	vouched := cached || !a.Time.Before(g.horizon)
	g.mu.Unlock()
	if cached && !differs(old, in) {
		return nil
	}
	if vouched && !cached {
		return nil // stamped after the horizon and not stored by this process: new
	}
	if cached {
		// A conflict seen in the cache: ask the store for the values to show (or find the
		// value accepted earlier still in the spool).
		return g.describeConflict(ctx, a)
	}
	// Late data: check it against its series' day, loaded with one query.
	d, err := g.loadDay(ctx, a)
	if err != nil {
		g.lookupErrors.Inc()
		g.limit.Warn(nil, "lookup", "cannot check a late reading against stored history (InfluxDB unavailable); accepted unchecked",
			"id", a.ID(), "time", a.Time, "err", err)
		return nil
	}
	g.mu.Lock()
	old, found := d.vals[pointKey{a.Period, a.Time.UnixNano()}]
	g.mu.Unlock()
	if !found || !differs(old, in) {
		return nil
	}
	return g.describeConflict(ctx, a)
}

func (g *Guard) describeConflict(ctx context.Context, a *reading.Accepted) error {
	g.lookups.Inc()
	stored, found, err := g.lookup.StoredValues(ctx, a)
	if err != nil || !found {
		return g.conflict(a, nil)
	}
	return g.conflict(a, stored)
}

func dayOf(a *reading.Accepted) dayKey {
	return dayKey{kind: a.Kind, id: a.ID(), day: a.Time.UTC().Truncate(window).Unix()}
}

// loadDay returns the stored readings of a's series on a's day, querying them once; other
// checks of the same day wait for that query.
func (g *Guard) loadDay(ctx context.Context, a *reading.Accepted) (*day, error) {
	k := dayOf(a)
	g.mu.Lock()
	d, ok := g.days[k]
	if ok && d.err != nil {
		select {
		case <-d.ready:
			delete(g.days, k) // failed earlier: try again
			ok = false
		default:
		}
	}
	if !ok {
		if len(g.days) >= maxDays {
			var oldest dayKey
			var ot time.Time
			for dk, dd := range g.days {
				select {
				case <-dd.ready:
				default:
					continue
				}
				if ot.IsZero() || dd.used.Before(ot) {
					oldest, ot = dk, dd.used
				}
			}
			delete(g.days, oldest)
		}
		d = &day{ready: make(chan struct{}), vals: map[pointKey][]sig{}}
		g.days[k] = d
		g.mu.Unlock()
		g.lookups.Inc()
		from := time.Unix(k.day, 0)
		only := a.Reading
		err := g.lookup.StoredSince(ctx, from, from.Add(window), &only, func(s *reading.Accepted) error {
			pk := pointKey{s.Period, s.Time.UnixNano()}
			g.mu.Lock()
			d.vals[pk] = merge(d.vals[pk], sigs(s.Values))
			g.mu.Unlock()
			return nil
		})
		g.mu.Lock()
		d.err, d.used = err, g.now()
		g.mu.Unlock()
		close(d.ready)
		return d, err
	}
	d.used = g.now()
	g.mu.Unlock()
	select {
	case <-d.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return d, d.err
}

func (g *Guard) conflict(a *reading.Accepted, stored []reading.Value) error {
	g.conflicts.Inc()
	g.limit.Warn(nil, "conflict", "reading would rewrite stored history; refused", "id", a.ID(), "period", a.Period, "time", a.Time)
	was := "a different value accepted earlier (still in the spool)"
	if stored != nil {
		was = describe(stored, a.Values)
	}
	return &reading.Rejection{Reason: ReasonConflict, Err: fmt.Errorf(
		"%s %s %s already stored: stored %s, received %s; history is append-only (correct it with `lantian history correct`)",
		a.ID(), a.Period, a.Time.Format(time.RFC3339), was, describe(a.Values, a.Values))}
}

// describe lists the values of vs that are named in like: "pm25=20 (N), pm10=41 (N)".
func describe(vs, like []reading.Value) string {
	var parts []string
	for _, v := range vs {
		if !slices.ContainsFunc(like, func(l reading.Value) bool { return l.Name == v.Name }) {
			continue
		}
		val := fmt.Sprint(v.Value)
		if v.NoValue {
			val = "none"
		}
		if v.Flag != reading.FlagNone {
			val += " (" + v.Flag.String() + ")"
		}
		parts = append(parts, v.Name+"="+val)
	}
	if len(parts) == 0 {
		return "no common field"
	}
	return strings.Join(parts, ", ")
}

// Stored learns a durable reading (pipeline.Observer): its fields join those already known
// for its series and time.
func (g *Guard) Stored(a *reading.Accepted) {
	if !g.cfg.AppendOnly {
		return
	}
	k := keyOf(a)
	in := sigs(a.Values)
	g.mu.Lock()
	defer g.mu.Unlock()
	if d, ok := g.days[dayOf(a)]; ok && a.Time.Before(g.horizon) {
		pk := pointKey{a.Period, k.t}
		d.vals[pk] = merge(d.vals[pk], in)
		return
	}
	if old, ok := g.cache[k]; ok {
		g.cache[k] = merge(old, in)
		return
	}
	g.cache[k] = in
	g.order = append(g.order, k)
	g.evict()
}

// evict drops entries beyond the bound or older than Recent, oldest inserted first, and moves
// the horizon past them so that such readings are looked up instead.
func (g *Guard) evict() {
	old := g.now().Add(-g.cfg.Recent)
	for g.head < len(g.order) {
		k := g.order[g.head]
		t := time.Unix(0, k.t)
		if len(g.cache) <= g.cfg.CacheEntries && !t.Before(old) {
			break
		}
		delete(g.cache, k)
		g.head++
		if !t.Before(g.horizon) {
			g.horizon = t.Add(time.Nanosecond)
		}
	}
	if !old.Before(g.horizon) {
		g.horizon = old
	}
	if g.head > len(g.order)/2 && g.head > 1024 {
		g.order = append(g.order[:0:0], g.order[g.head:]...)
		g.head = 0
	}
}
