package sim

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"lantian/ingest/registry"
)

// How the simulated emergency-list enterprises answer an issued warning, so that the warning
// office's compliance page has every case: the first listed source (by id) stops (its logger
// flags every value F, 停运), the second does not respond, the others cut their load by the
// level's ratio plus 10 points (yellow 20 %, orange 30 %, red 40 %).
const (
	ResponseCut  = "cut"
	ResponseStop = "stop"
	ResponseNone = "none"
)

// Responses gives each emergency-list source of the registry its response to a warning.
func Responses(reg *registry.Registry) map[string]string {
	var ids []string
	for _, s := range reg.Sources {
		if s.EmergencyList {
			ids = append(ids, s.ID)
		}
	}
	slices.Sort(ids)
	out := make(map[string]string, len(ids))
	for i, id := range ids {
		switch i {
		case 0:
			out[id] = ResponseStop
		case 1:
			out[id] = ResponseNone
		default:
			out[id] = ResponseCut
		}
	}
	return out
}

// WarningBoard is the simulator's view of the warnings in force, fed with the retained
// messages the warning office publishes on <prefix>/warnings/<area>. It is safe for concurrent
// use; a simulator given one answers the warnings as Responses says.
type WarningBoard struct {
	mu    sync.Mutex
	spans map[string][]warningSpan // by area, in arrival order
}

type warningSpan struct {
	id       string
	level    int // 1 blue … 4 red
	from, to time.Time
}

// maxSpans bounds the warnings remembered per area.
const maxSpans = 64

// NewWarningBoard returns an empty board.
func NewWarningBoard() *WarningBoard { return &WarningBoard{spans: map[string][]warningSpan{}} }

// levelNum are the level names of the warning messages (docs/warnings.md).
var levelNum = map[string]int{"blue": 1, "yellow": 2, "orange": 3, "red": 4}

// Handle takes one message of <prefix>/warnings/<area>: an in-force warning opens (or changes)
// its span from its start; a lifted one closes it at its lift time.
func (b *WarningBoard) Handle(payload []byte) error {
	var m struct {
		Area          string    `json:"area"`
		Status        string    `json:"status"`
		WarningID     string    `json:"warning_id"`
		Level         string    `json:"level"`
		PreviousLevel string    `json:"previous_level"`
		Start         time.Time `json:"start"`
		LiftedAt      time.Time `json:"lifted_at"`
		Updated       time.Time `json:"updated"`
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		return fmt.Errorf("warning message: %w", err)
	}
	if m.Area == "" || m.WarningID == "" {
		return fmt.Errorf("warning message without area or warning_id")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	spans := b.spans[m.Area]
	i := slices.IndexFunc(spans, func(s warningSpan) bool { return s.id == m.WarningID })
	switch m.Status {
	case "in_force":
		lvl, ok := levelNum[m.Level]
		if !ok {
			return fmt.Errorf("warning message: level %q", m.Level)
		}
		s := warningSpan{id: m.WarningID, level: lvl, from: m.Start}
		if i >= 0 {
			spans[i] = s
		} else {
			spans = append(spans, s)
			// Bounded: the oldest warnings of an area are forgotten.
			if len(spans) > maxSpans {
				spans = slices.Clone(spans[len(spans)-maxSpans:])
			}
		}
	case "lifted":
		end := m.LiftedAt
		if end.IsZero() {
			end = m.Updated
		}
		if i >= 0 {
			spans[i].to = end
		}
	default:
		return fmt.Errorf("warning message: status %q", m.Status)
	}
	b.spans[m.Area] = spans
	return nil
}

// LevelAt is the level in force in an area at t (0 when none).
func (b *WarningBoard) LevelAt(area string, t time.Time) int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	lvl := 0
	for _, s := range b.spans[area] {
		if !t.Before(s.from) && (s.to.IsZero() || t.Before(s.to)) && s.level > lvl {
			lvl = s.level
		}
	}
	return lvl
}
