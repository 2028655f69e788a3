package source

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Inspection actions of the audit trail.
const (
	InspectionAnnounce = "announce"
	InspectionWithdraw = "withdraw"
)

// InspectionEntry is one line of the inspection register: an announced inspection (检查通知)
// or the withdrawal of one, with who recorded it and when. The register is append-only: an
// entry is never changed or removed, so the file is its own audit trail.
type InspectionEntry struct {
	Seq    int    `json:"seq"`
	Action string `json:"action"`
	// ID is the inspection's id (I<record date>-<seq>), the same for its announce and withdraw.
	ID string `json:"id"`
	// Source is the inspected source; empty means every source (a prefecture-wide campaign).
	Source string `json:"source,omitempty"`
	// Time is when the inspection was announced to the enterprise: the drop_after_notice
	// rule compares the hours before and after it.
	Time time.Time `json:"time"`
	// Reference is the notice's document number; Note free text.
	Reference string `json:"reference,omitempty"`
	Note      string `json:"note,omitempty"`
	// Who recorded it (the API token's name, or the person named), from where, and when.
	Who        string    `json:"who"`
	Token      string    `json:"token,omitempty"`
	Remote     string    `json:"remote,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Inspection is an announced inspection in the register, with whether it was withdrawn.
type Inspection struct {
	InspectionEntry
	Withdrawn   bool      `json:"withdrawn"`
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
	WithdrawnBy string    `json:"withdrawn_by,omitempty"`
}

// Notice is the inspection as the drop_after_notice rule sees it.
func (i Inspection) Notice() Notice {
	note := i.ID
	if i.Reference != "" {
		note += " " + i.Reference
	}
	return Notice{Kind: NoticeInspection, Time: i.Time, Source: i.Source, Note: note}
}

// maxInspectionLine bounds one line of the register when it is read back.
const maxInspectionLine = 64 << 10

// InspectionStore is the register of announced inspections: a file of JSON lines, one entry
// per line, each appended and synced before Announce or Withdraw returns. The service writes
// it; `lantian sources report` reads it (ReadInspections) while the service runs.
type InspectionStore struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	entries []InspectionEntry
}

// OpenInspections opens (or creates) the register at path.
func OpenInspections(path string) (*InspectionStore, error) {
	entries, err := ReadInspectionEntries(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open inspection register: %w", err)
	}
	return &InspectionStore{path: path, f: f, entries: entries}, nil
}

// Close closes the file.
func (s *InspectionStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

// ReadInspectionEntries reads a register file; a missing file is os.ErrNotExist.
func ReadInspectionEntries(path string) ([]InspectionEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read inspection register: %w", err)
	}
	defer f.Close()
	var out []InspectionEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxInspectionLine)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var e InspectionEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("inspection register %s line %d: %w", path, n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("inspection register %s: %w", path, err)
	}
	return out, nil
}

// Inspections folds entries into the register's inspections, sorted by time.
func Inspections(entries []InspectionEntry) []Inspection {
	byID := make(map[string]int)
	var out []Inspection
	for _, e := range entries {
		switch e.Action {
		case InspectionAnnounce:
			byID[e.ID] = len(out)
			out = append(out, Inspection{InspectionEntry: e})
		case InspectionWithdraw:
			if i, ok := byID[e.ID]; ok {
				out[i].Withdrawn, out[i].WithdrawnAt, out[i].WithdrawnBy = true, e.RecordedAt, e.Who
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Inspection) int { return a.Time.Compare(b.Time) })
	return out
}

// InspectionNotices are the notices of the inspections not withdrawn.
func InspectionNotices(entries []InspectionEntry) []Notice {
	var out []Notice
	for _, i := range Inspections(entries) {
		if !i.Withdrawn {
			out = append(out, i.Notice())
		}
	}
	return out
}

// InspectionRequest is what a person enters to announce an inspection.
type InspectionRequest struct {
	Source    string    `json:"source"`
	Time      time.Time `json:"time"`
	Reference string    `json:"reference"`
	Note      string    `json:"note"`
	Who       string    `json:"who"`
}

// InspectionActor is who records an entry.
type InspectionActor struct{ Who, Token, Remote string }

// Announce records an announced inspection. known says whether a source id is registered.
func (s *InspectionStore) Announce(req InspectionRequest, by InspectionActor, now time.Time, loc *time.Location,
	known func(string) bool) (Inspection, error) {
	switch {
	case req.Time.IsZero():
		return Inspection{}, errors.New("time is required: when the inspection was announced to the enterprise")
	case req.Time.After(now.Add(time.Minute)):
		return Inspection{}, fmt.Errorf("time %s is in the future: record an announcement once it is made", req.Time.Format(time.RFC3339))
	case req.Source != "" && !known(req.Source):
		return Inspection{}, fmt.Errorf("source %q is not in the registry", req.Source)
	}
	for name, v := range map[string]string{"reference": req.Reference, "note": req.Note, "who": req.Who} {
		if len(v) > 1000 || !utf8.ValidString(v) {
			return Inspection{}, fmt.Errorf("%s: at most 1000 bytes of UTF-8", name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := len(s.entries) + 1
	who := by.Who
	if req.Who != "" {
		who = req.Who
	}
	e := InspectionEntry{Seq: seq, Action: InspectionAnnounce, ID: fmt.Sprintf("I%s-%03d", now.In(loc).Format("20060102"), seq),
		Source: req.Source, Time: req.Time.UTC(), Reference: req.Reference, Note: req.Note,
		Who: who, Token: by.Token, Remote: by.Remote, RecordedAt: now.UTC()}
	if err := s.append(e); err != nil {
		return Inspection{}, err
	}
	return Inspection{InspectionEntry: e}, nil
}

// Withdraw records that an announced inspection did not take place (entered in error,
// cancelled): the drop rule no longer looks behind it. The announcement stays in the file.
func (s *InspectionStore) Withdraw(id, note string, by InspectionActor, now time.Time) (Inspection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range Inspections(s.entries) {
		if i.ID != id {
			continue
		}
		if i.Withdrawn {
			return i, fmt.Errorf("inspection %s was already withdrawn", id)
		}
		e := InspectionEntry{Seq: len(s.entries) + 1, Action: InspectionWithdraw, ID: id, Source: i.Source, Time: i.Time,
			Note: note, Who: by.Who, Token: by.Token, Remote: by.Remote, RecordedAt: now.UTC()}
		if err := s.append(e); err != nil {
			return i, err
		}
		i.Withdrawn, i.WithdrawnAt, i.WithdrawnBy = true, e.RecordedAt, e.Who
		return i, nil
	}
	return Inspection{}, fmt.Errorf("%w: inspection %s", ErrNoInspection, id)
}

// ErrNoInspection: no inspection has the id.
var ErrNoInspection = errors.New("no such inspection")

func (s *InspectionStore) append(e InspectionEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode inspection entry: %w", err)
	}
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("append to inspection register %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync inspection register %s: %w", s.path, err)
	}
	s.entries = append(s.entries, e)
	return nil
}

// Entries returns the audit trail, oldest first.
func (s *InspectionStore) Entries() []InspectionEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries)
}

// Notices are the notices of the inspections in force, for the Monitor.
func (s *InspectionStore) Notices() []Notice { return InspectionNotices(s.Entries()) }
