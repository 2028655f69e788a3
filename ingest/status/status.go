// Package status keeps the latest stored reading of every station and outlet, for the
// operators' live view and the JSON API: which stations report, what they last said, and which
// went silent.
package status

import (
	"sort"
	"sync"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// Latest is the last stored reading of one station or outlet.
type Latest struct {
	Kind       string             `json:"kind"`
	ID         string             `json:"id"`
	Name       string             `json:"name,omitempty"`
	County     string             `json:"county"`
	Class      string             `json:"class,omitempty"`
	Industry   string             `json:"industry,omitempty"`
	Registered bool               `json:"registered"`
	Time       time.Time          `json:"time,omitzero"`
	Period     string             `json:"period,omitempty"`
	StoredAt   time.Time          `json:"stored_at,omitzero"`
	Values     map[string]float64 `json:"values,omitempty"`
	Flags      map[string]string  `json:"flags,omitempty"`
	// Silent is set when the newest reading is older than the silence threshold.
	Silent bool `json:"silent"`
}

// Board is safe for concurrent use.
type Board struct {
	reg     *registry.Registry
	silence time.Duration
	now     func() time.Time

	mu     sync.RWMutex
	latest map[string]*Latest
	// unregistered bounds what unknown stations can add, so a flood of invented ids cannot
	// grow memory without limit.
	unregistered int
}

// maxUnregistered caps the unregistered stations kept on the board.
const maxUnregistered = 1000

// NewBoard lists every registered station and outlet, silent until their first reading.
func NewBoard(reg *registry.Registry, silence time.Duration) *Board {
	b := &Board{reg: reg, silence: silence, now: time.Now, latest: map[string]*Latest{}}
	for _, s := range reg.Stations {
		b.latest["air/"+s.ID] = &Latest{Kind: "air", ID: s.ID, Name: s.Name, County: s.Area, Class: string(s.Class), Registered: true}
	}
	for _, src := range reg.Sources {
		for _, o := range src.Outlets {
			id := src.ID + "/" + o.ID
			b.latest["source/"+id] = &Latest{Kind: "source", ID: id, Name: src.Name, County: src.Area, Industry: src.Industry, Registered: true}
		}
	}
	return b
}

// Stored implements pipeline.Observer. Older readings arriving late do not replace newer ones.
func (b *Board) Stored(a *reading.Accepted) {
	key := a.Kind.String() + "/" + a.ID()
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.latest[key]
	if !ok {
		if b.unregistered >= maxUnregistered {
			return
		}
		b.unregistered++
		l = &Latest{Kind: a.Kind.String(), ID: a.ID(), County: a.County}
		b.latest[key] = l
	}
	if a.Time.Before(l.Time) {
		return
	}
	l.Time, l.Period, l.StoredAt = a.Time, string(a.Period), b.now()
	l.Values, l.Flags = make(map[string]float64, len(a.Values)), nil
	for _, v := range a.Values {
		if !v.NoValue {
			l.Values[v.Name] = v.Value
		}
		if v.Flag != reading.FlagNone {
			if l.Flags == nil {
				l.Flags = map[string]string{}
			}
			l.Flags[v.Name] = v.Flag.String()
		}
	}
}

// Snapshot returns copies of all entries of a kind ("air" or "source"), sorted by county and id.
func (b *Board) Snapshot(kind string) []Latest {
	now := b.now()
	b.mu.RLock()
	out := make([]Latest, 0, len(b.latest))
	for _, l := range b.latest {
		if l.Kind != kind {
			continue
		}
		c := *l
		// Silence is judged on the readings' own time: a backlog stored just now of data from
		// yesterday does not make a station that stopped reporting look alive.
		c.Silent = c.Time.IsZero() || now.Sub(c.Time) > b.silence
		out = append(out, c)
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].County != out[j].County {
			return out[i].County < out[j].County
		}
		return out[i].ID < out[j].ID
	})
	return out
}
