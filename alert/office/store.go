package office

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"lantian/alert/warning"
	"lantian/ingest/schema"
)

// Warning is an issued heavy-pollution warning (重污染天气预警) for one or more areas.
type Warning struct {
	ID    string        `json:"id"`
	Level warning.Level `json:"level"`
	// Areas are the areas the warning applies to (a region's members when Region is set).
	Areas []string `json:"areas"`
	// Region is the region of a unified regional warning (区域统一预警), if any.
	Region      string    `json:"region,omitempty"`
	Start       time.Time `json:"start"`
	ExpectedEnd time.Time `json:"expected_end,omitzero"`
	Reason      string    `json:"reason"`
	// Reduction is what the level requires, fixed when the warning is issued or changed.
	Reduction warning.Reduction `json:"reduction"`
	Status    string            `json:"status"`
	IssuedAt  time.Time         `json:"issued_at"`
	IssuedBy  string            `json:"issued_by"`
	UpdatedAt time.Time         `json:"updated_at"`
	UpdatedBy string            `json:"updated_by"`
	// Version counts the changes, starting at 1 when issued.
	Version    int       `json:"version"`
	LiftedAt   time.Time `json:"lifted_at,omitzero"`
	LiftedBy   string    `json:"lifted_by,omitempty"`
	LiftReason string    `json:"lift_reason,omitempty"`
}

// Warning states.
const (
	StatusInForce = "in_force"
	StatusLifted  = "lifted"
)

// InForce reports whether the warning has not been lifted.
func (w Warning) InForce() bool { return w.Status == StatusInForce }

// Covers reports whether the warning applies to an area.
func (w Warning) Covers(area string) bool { return slices.Contains(w.Areas, area) }

// AuditEntry is one change of a warning, kept for ever.
type AuditEntry struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Action    string    `json:"action"`
	WarningID string    `json:"warning_id"`
	// Who is the person named in the request; Token the API token's name that made it.
	Who    string   `json:"who"`
	Token  string   `json:"token"`
	Remote string   `json:"remote,omitempty"`
	Before *Warning `json:"before,omitempty"`
	After  Warning  `json:"after"`
}

// Audit actions, also the action tag of the warning_event points.
const (
	ActionIssue  = schema.ActionIssue
	ActionChange = schema.ActionChange
	ActionLift   = schema.ActionLift
)

// Store errors; the API maps them to 404 and 409.
var (
	ErrNotFound = errors.New("no such warning")
	ErrConflict = errors.New("conflict")
)

var (
	bucketWarnings = []byte("warnings")
	bucketAudit    = []byte("audit")
)

// Store keeps warnings and their audit trail in a bbolt file: every change is one transaction
// that writes the warning and its audit entry together, synced before it returns.
type Store struct {
	db *bolt.DB
}

// OpenStore opens (or creates) the store file.
func OpenStore(path string) (*Store, error) {
	// A timeout rather than waiting for ever: a second Lantian on the same data_dir must fail
	// with a clear error, not hang.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open warning store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketWarnings, bucketAudit} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init warning store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Actor is who made a change, for the audit trail.
type Actor struct {
	Who, Token, Remote string
}

// Issue stores a new warning, giving it an id (W<issue date>-<sequence>). No area may already be
// under a warning in force: the office changes that warning instead.
func (s *Store) Issue(w Warning, by Actor, now time.Time, loc *time.Location) (Warning, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		ws := tx.Bucket(bucketWarnings)
		if err := checkOverlap(ws, w); err != nil {
			return err
		}
		seq, err := ws.NextSequence()
		if err != nil {
			return err
		}
		w.ID = fmt.Sprintf("W%s-%03d", now.In(loc).Format("20060102"), seq)
		w.Status, w.Version = StatusInForce, 1
		w.IssuedAt, w.IssuedBy, w.UpdatedAt, w.UpdatedBy = now, by.Who, now, by.Who
		return put(tx, w, nil, ActionIssue, by, now)
	})
	if err != nil {
		return Warning{}, fmt.Errorf("issue warning: %w", err)
	}
	return w, nil
}

// Change applies edit to a warning in force and stores the result with its audit entry.
func (s *Store) Change(id string, edit func(*Warning) error, by Actor, now time.Time) (before, after Warning, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		ws := tx.Bucket(bucketWarnings)
		old, err := get(ws, id)
		if err != nil {
			return err
		}
		if !old.InForce() {
			return fmt.Errorf("%w: warning %s was lifted at %s; issue a new one", ErrConflict, id, old.LiftedAt.Format(time.RFC3339))
		}
		w := old
		w.Areas = slices.Clone(old.Areas)
		if err := edit(&w); err != nil {
			return err
		}
		if err := checkOverlap(ws, w); err != nil {
			return err
		}
		w.Version++
		w.UpdatedAt, w.UpdatedBy = now, by.Who
		before, after = old, w
		return put(tx, w, &old, ActionChange, by, now)
	})
	if err != nil {
		return Warning{}, Warning{}, fmt.Errorf("change warning %s: %w", id, err)
	}
	return before, after, nil
}

// Lift ends a warning in force.
func (s *Store) Lift(id, reason string, by Actor, now time.Time) (Warning, error) {
	var out Warning
	err := s.db.Update(func(tx *bolt.Tx) error {
		ws := tx.Bucket(bucketWarnings)
		old, err := get(ws, id)
		if err != nil {
			return err
		}
		if !old.InForce() {
			return fmt.Errorf("%w: warning %s was already lifted at %s", ErrConflict, id, old.LiftedAt.Format(time.RFC3339))
		}
		w := old
		w.Status, w.LiftedAt, w.LiftedBy, w.LiftReason = StatusLifted, now, by.Who, reason
		w.Version++
		w.UpdatedAt, w.UpdatedBy = now, by.Who
		out = w
		return put(tx, w, &old, ActionLift, by, now)
	})
	if err != nil {
		return Warning{}, fmt.Errorf("lift warning %s: %w", id, err)
	}
	return out, nil
}

// Get returns one warning.
func (s *Store) Get(id string) (Warning, error) {
	var w Warning
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		w, err = get(tx.Bucket(bucketWarnings), id)
		return err
	})
	return w, err
}

// List returns the warnings, newest issue first; lifted ones only with all.
func (s *Store) List(all bool) ([]Warning, error) {
	var out []Warning
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWarnings).ForEach(func(_, v []byte) error {
			var w Warning
			if err := json.Unmarshal(v, &w); err != nil {
				return fmt.Errorf("decode stored warning: %w", err)
			}
			if all || w.InForce() {
				out = append(out, w)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list warnings: %w", err)
	}
	slices.SortFunc(out, func(a, b Warning) int { return b.IssuedAt.Compare(a.IssuedAt) })
	return out, nil
}

// Audit returns audit entries, newest first: of one warning, or of all when id is empty; at
// most limit (0: no limit).
func (s *Store) Audit(id string, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode audit entry: %w", err)
			}
			if id != "" && e.WarningID != id {
				continue
			}
			out = append(out, e)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	return out, nil
}

func get(b *bolt.Bucket, id string) (Warning, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return Warning{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var w Warning
	if err := json.Unmarshal(v, &w); err != nil {
		return Warning{}, fmt.Errorf("decode stored warning %s: %w", id, err)
	}
	return w, nil
}

// checkOverlap refuses a warning in force over an area another warning in force covers: two
// warnings for one area would leave county bureaus and enterprises guessing which applies.
func checkOverlap(b *bolt.Bucket, w Warning) error {
	return b.ForEach(func(k, v []byte) error {
		if string(k) == w.ID {
			return nil
		}
		var o Warning
		if err := json.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("decode stored warning: %w", err)
		}
		if !o.InForce() {
			return nil
		}
		for _, a := range w.Areas {
			if o.Covers(a) {
				return fmt.Errorf("%w: area %s is already under %s warning %s; change or lift that one", ErrConflict, a, o.Level, o.ID)
			}
		}
		return nil
	})
}

func put(tx *bolt.Tx, w Warning, before *Warning, action string, by Actor, now time.Time) error {
	v, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode warning: %w", err)
	}
	if err := tx.Bucket(bucketWarnings).Put([]byte(w.ID), v); err != nil {
		return err
	}
	ab := tx.Bucket(bucketAudit)
	seq, err := ab.NextSequence()
	if err != nil {
		return err
	}
	e, err := json.Marshal(AuditEntry{Seq: seq, Time: now, Action: action, WarningID: w.ID,
		Who: by.Who, Token: by.Token, Remote: by.Remote, Before: before, After: w})
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], seq)
	return ab.Put(key[:], e)
}
