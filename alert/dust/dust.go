// Package dust keeps the sand-dust periods (沙尘天气过程) that assessment and ranking deduct
// (环办监测〔2016〕120号): entered by the monitoring centre through the API, the command line or
// the configuration, or imported from a CSV of the meteorological service's notices. Every entry
// and withdrawal is kept with who made it and when, in an append-only log, so the deducted
// figures can always be traced to the periods behind them. The public AQI never changes.
package dust

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Sources of a period.
const (
	SourceConfig = "config" // the configuration file's sand_dust.periods
	SourceAPI    = "api"    // POST /api/v1/dust-periods (also `lantian dust add`)
	SourceCSV    = "csv"    // an imported notice file (`lantian dust import`)
)

// MaxSpan bounds one period: a sand-dust process lasts hours to days; a longer entry is a typo
// that would silently deduct weeks of data.
const MaxSpan = 15 * 24 * time.Hour

// Period is one sand-dust period of some counties (none: the whole prefecture), [From, To).
type Period struct {
	ID        string    `json:"id"`
	Areas     []string  `json:"areas,omitempty"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Note      string    `json:"note,omitempty"`
	Source    string    `json:"source"`
	EnteredBy string    `json:"entered_by"`
	EnteredAt time.Time `json:"entered_at"`
	// Withdrawn is set when the period was taken back (entered in error); it then deducts nothing.
	Withdrawn *Withdrawal `json:"withdrawn,omitempty"`
}

// Withdrawal records who took a period back, when and why.
type Withdrawal struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Covers reports whether the hour starting at t of county lies in the (not withdrawn) period.
func (p *Period) Covers(county string, t time.Time) bool {
	if p.Withdrawn != nil || t.Before(p.From) || !t.Before(p.To) {
		return false
	}
	return len(p.Areas) == 0 || slices.Contains(p.Areas, county)
}

// Request is a period to enter.
type Request struct {
	Areas []string  `json:"areas,omitempty" yaml:"areas,omitempty"`
	From  time.Time `json:"from" yaml:"from"`
	To    time.Time `json:"to" yaml:"to"`
	Note  string    `json:"note,omitempty" yaml:"note,omitempty"`
}

// Config is the `sand_dust` section of the configuration: periods known in advance or kept in
// the file (they are not withdrawable through the API; change the file).
type Config struct {
	Periods []Request `yaml:"periods"`
}

// Validate checks every configured period; known says whether an area id exists.
func (c Config) Validate(known func(string) bool) error {
	var errs []error
	for i, r := range c.Periods {
		if err := r.check(known); err != nil {
			errs = append(errs, fmt.Errorf("sand_dust.periods[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// RequestError is a request the store refuses (bad span, unknown area).
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

func (r Request) check(known func(string) bool) error {
	switch {
	case r.From.IsZero() || r.To.IsZero():
		return &RequestError{errors.New("from and to are required")}
	case !r.To.After(r.From):
		return &RequestError{fmt.Errorf("to %s is not after from %s", r.To.Format(time.RFC3339), r.From.Format(time.RFC3339))}
	case r.To.Sub(r.From) > MaxSpan:
		return &RequestError{fmt.Errorf("a sand-dust period longer than %s (%s) is refused: enter each process on its own", MaxSpan, r.To.Sub(r.From))}
	}
	for _, a := range r.Areas {
		if known != nil && !known(a) {
			return &RequestError{fmt.Errorf("area %q is not a county or park of the registry", a)}
		}
	}
	return nil
}

// event is one line of the log.
type event struct {
	Op       string     `json:"op"` // "add" or "withdraw"
	Period   *Period    `json:"period,omitempty"`
	ID       string     `json:"id,omitempty"`
	Withdraw Withdrawal `json:"withdrawal,omitzero"`
}

// Options configure a Store.
type Options struct {
	// Path is the append-only log (JSON lines); empty keeps periods in memory only (tests).
	Path string
	// Known says whether an area id may be named (nil: any).
	Known func(string) bool
	// Config are the configuration's periods, loaded on every start (not logged).
	Config []Request
	// Zone is where times are shown (nil: UTC+8).
	Zone *time.Location
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// OnChange is called after a period is entered or withdrawn (e.g. to reassess).
	OnChange func()
}

// Store holds the periods. It is safe for concurrent use; Dusty is read-locked and cheap.
type Store struct {
	opts Options
	mu   sync.RWMutex
	list []*Period
	seq  int
}

// Open loads the log (and the configured periods).
func Open(opts Options) (*Store, error) {
	if opts.Zone == nil {
		opts.Zone = time.FixedZone("CST", 8*3600)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{opts: opts}
	for i, r := range opts.Config {
		if err := r.check(opts.Known); err != nil {
			return nil, fmt.Errorf("sand_dust.periods[%d]: %w", i, err)
		}
		s.list = append(s.list, &Period{ID: fmt.Sprintf("config-%d", i+1), Areas: r.Areas, From: r.From.In(opts.Zone),
			To: r.To.In(opts.Zone), Note: r.Note, Source: SourceConfig, EnteredBy: "config"})
	}
	if opts.Path == "" {
		return s, nil
	}
	f, err := os.Open(opts.Path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dust periods: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, fmt.Errorf("dust periods %s:%d: %w", opts.Path, line, err)
		}
		s.apply(ev)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dust periods %s: %w", opts.Path, err)
	}
	return s, nil
}

func (s *Store) apply(ev event) {
	switch ev.Op {
	case "add":
		if ev.Period != nil {
			s.list = append(s.list, ev.Period)
			var n int
			if _, err := fmt.Sscanf(ev.Period.ID, "D%d", &n); err == nil {
				s.seq = max(s.seq, n)
			}
		}
	case "withdraw":
		for _, p := range s.list {
			if p.ID == ev.ID {
				w := ev.Withdraw
				p.Withdrawn = &w
			}
		}
	}
}

func (s *Store) append(ev event) error {
	if s.opts.Path == "" {
		return nil
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.opts.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("dust periods: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("dust periods: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("dust periods: %w", err)
	}
	return f.Close()
}

// Add enters a period by who, from source; it is durable when Add returns.
func (s *Store) Add(_ context.Context, r Request, source, who string) (Period, error) {
	if err := r.check(s.opts.Known); err != nil {
		return Period{}, err
	}
	if strings.TrimSpace(who) == "" {
		return Period{}, &RequestError{errors.New("who entered the period is required")}
	}
	s.mu.Lock()
	s.seq++
	p := &Period{ID: fmt.Sprintf("D%d", s.seq), Areas: slices.Clone(r.Areas), From: r.From.In(s.opts.Zone), To: r.To.In(s.opts.Zone),
		Note: r.Note, Source: source, EnteredBy: who, EnteredAt: s.opts.Now().In(s.opts.Zone).Truncate(time.Second)}
	if err := s.append(event{Op: "add", Period: p}); err != nil {
		s.seq--
		s.mu.Unlock()
		return Period{}, err
	}
	s.list = append(s.list, p)
	s.mu.Unlock()
	if s.opts.OnChange != nil {
		s.opts.OnChange()
	}
	return *p, nil
}

// ErrNotFound is returned for an unknown (or configured, hence not withdrawable) period.
var ErrNotFound = errors.New("no such sand-dust period (configured periods are changed in the configuration)")

// Withdraw takes a period back; it stays in the list, marked, with who and why.
func (s *Store) Withdraw(_ context.Context, id, who, reason string) (Period, error) {
	if strings.TrimSpace(who) == "" || strings.TrimSpace(reason) == "" {
		return Period{}, &RequestError{errors.New("who and a reason are required to withdraw a period")}
	}
	s.mu.Lock()
	var p *Period
	for _, q := range s.list {
		if q.ID == id && q.Source != SourceConfig {
			p = q
		}
	}
	if p == nil {
		s.mu.Unlock()
		return Period{}, ErrNotFound
	}
	if p.Withdrawn != nil {
		s.mu.Unlock()
		return *p, nil
	}
	w := Withdrawal{By: who, At: s.opts.Now().In(s.opts.Zone).Truncate(time.Second), Reason: reason}
	if err := s.append(event{Op: "withdraw", ID: id, Withdraw: w}); err != nil {
		s.mu.Unlock()
		return Period{}, err
	}
	p.Withdrawn = &w
	out := *p
	s.mu.Unlock()
	if s.opts.OnChange != nil {
		s.opts.OnChange()
	}
	return out, nil
}

// List returns every period, withdrawn ones included, in order of entry.
func (s *Store) List() []Period {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Period, len(s.list))
	for i, p := range s.list {
		out[i] = *p
	}
	return out
}

// Dusty implements stream.DustPeriods.
func (s *Store) Dusty(county string, t time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.list {
		if p.Covers(county, t) {
			return true
		}
	}
	return false
}

// Import enters every period of a notice CSV (ParseCSV) by who; it stops at the first refused
// one, reporting how many were entered.
func (s *Store) Import(ctx context.Context, r io.Reader, name, who string) (int, error) {
	reqs, err := ParseCSV(r, name, s.opts.Zone)
	if err != nil {
		return 0, err
	}
	for i, q := range reqs {
		if _, err := s.Add(ctx, q, SourceCSV, who); err != nil {
			return i, fmt.Errorf("%s: period %d: %w", name, i+1, err)
		}
	}
	return len(reqs), nil
}
