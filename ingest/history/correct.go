package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lantian/ingest/reading"
)

// AuditFile is the name of the corrections' audit log under the history folder of data_dir.
const AuditFile = "corrections.jsonl"

// Correction is one operator-initiated change of a stored value: the only way history is
// rewritten. Every correction is appended to the audit log before the value is written.
type Correction struct {
	// At is when the correction was made, in the configured zone.
	At time.Time `json:"at"`
	// By is who made it; Reason why (a work order, a calibration report). Both are required.
	By     string `json:"by"`
	Reason string `json:"reason"`
	// The series and time corrected.
	Station string         `json:"station,omitempty"`
	Source  string         `json:"source,omitempty"`
	Outlet  string         `json:"outlet,omitempty"`
	Period  reading.Period `json:"period"`
	Time    time.Time      `json:"time"`
	Field   string         `json:"field"`
	// Old is the stored value before (null when nothing was stored), New the value written.
	Old     *float64 `json:"old"`
	OldFlag string   `json:"old_flag,omitempty"`
	New     float64  `json:"new"`
	NewFlag string   `json:"new_flag,omitempty"`
	// Outcome is "pending" before the write, then "applied" or "failed: …" in a second line.
	Outcome string `json:"outcome"`
}

// Validate checks that the correction says who and why.
func (c Correction) Validate() error {
	var errs []error
	if strings.TrimSpace(c.By) == "" {
		errs = append(errs, errors.New("a correction needs --by (who makes it)"))
	}
	if strings.TrimSpace(c.Reason) == "" {
		errs = append(errs, errors.New("a correction needs --reason (why: work order, calibration report)"))
	}
	if c.Field == "" || c.Time.IsZero() || (c.Station == "") == (c.Source == "" || c.Outlet == "") {
		errs = append(errs, errors.New("a correction needs a field, a time and either a station or a source and outlet"))
	}
	return errors.Join(errs...)
}

// AppendAudit appends c to the audit log in dir as one JSON line, fsync'd before it returns.
func AppendAudit(dir string, c Correction) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create history dir: %w", err)
	}
	line, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode correction: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, AuditFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open correction audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat correction audit log: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		_ = f.Truncate(st.Size())
		f.Close()
		return fmt.Errorf("write correction audit log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync correction audit log: %w", err)
	}
	return f.Close()
}
