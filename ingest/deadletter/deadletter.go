// Package deadletter keeps refused input for a person to look at: one JSON object per line in
// files under the data dir, rotated by size, each entry fsync'd before the message that carried
// it is acknowledged.
package deadletter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Entry is one dead letter as written to disk.
type Entry struct {
	// Time is when Lantian refused the input (arrival), in UTC.
	Time time.Time `json:"time"`
	// Origin is where it came from: mqtt, hj212-tcp or influx (points InfluxDB refused).
	Origin string `json:"origin"`
	Topic  string `json:"topic,omitempty"`
	Reason string `json:"reason"`
	Error  string `json:"error"`
	// Payload is the raw input when it is valid UTF-8; otherwise PayloadBase64 holds it.
	Payload       string `json:"payload,omitempty"`
	PayloadBase64 []byte `json:"payload_base64,omitempty"`
	// Truncated is set when the payload was longer than the keep limit and was cut.
	Truncated bool `json:"truncated,omitempty"`
	Size      int  `json:"size"`
}

// FileName is the name of the file being written; rotated files carry a timestamp.
const FileName = "deadletters.jsonl"

// Store appends dead letters to files in a folder.
type Store struct {
	dir          string
	maxFileBytes int64
	maxFiles     int
	// keepPayload bounds the bytes of payload kept per entry, so that a flood of huge garbage
	// cannot fill the disk faster than rotation can drop it.
	keepPayload int

	now func() time.Time

	// Redact, when set, rewrites payloads and error texts before they are written, so that no
	// secret they carry (an HJ 212 packet's PW) reaches the disk. Set it before the first Put.
	Redact func([]byte) []byte

	// mu guards the file and the count of entries written; syncMu serialises fsyncs so that
	// concurrent Puts share one (group commit): a flood of refused messages then costs one
	// fsync per batch of them rather than one each, and does not hold up good traffic.
	mu          sync.Mutex
	f           *os.File
	size        int64
	written     uint64 // entries written, ever
	partial     bool   // a failed write left bytes past size that could not be cut yet
	rotatedUpTo uint64 // entries made durable by the fsync before a rotation

	syncMu sync.Mutex
	synced uint64 // entries known to be durable
}

// Open opens the dead-letter folder. maxFiles counts the current file and the rotated ones.
func Open(dir string, maxFileBytes int64, maxFiles int) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create dead-letter dir: %w", err)
	}
	s := &Store{dir: dir, maxFileBytes: maxFileBytes, maxFiles: maxFiles, keepPayload: 1 << 20, now: time.Now}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) open() error {
	f, err := os.OpenFile(filepath.Join(s.dir, FileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open dead-letter file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat dead-letter file: %w", err)
	}
	size, err := completeLines(f, st.Size())
	if err != nil {
		f.Close()
		return err
	}
	s.f, s.size = f, size
	return nil
}

// completeLines cuts off a partial last line (a write interrupted by a crash: its Put never
// returned, so nothing was acknowledged on it) and returns the size that remains.
func completeLines(f *os.File, size int64) (int64, error) {
	if size == 0 {
		return 0, nil
	}
	r, err := os.Open(f.Name())
	if err != nil {
		return 0, fmt.Errorf("read dead-letter file: %w", err)
	}
	defer r.Close()
	buf := make([]byte, 64<<10)
	end := size
	for end > 0 {
		n := min(int64(len(buf)), end)
		if _, err := r.ReadAt(buf[:n], end-n); err != nil {
			return 0, fmt.Errorf("read dead-letter file: %w", err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if end == size {
		return size, nil
	}
	if err := f.Truncate(end); err != nil {
		return 0, fmt.Errorf("cut partial dead-letter line: %w", err)
	}
	return end, nil
}

// Put writes a dead letter durably.
func (s *Store) Put(origin, topic string, payload []byte, reason string, cause error) error {
	e := Entry{Time: s.now().UTC(), Origin: origin, Topic: topic, Reason: reason, Size: len(payload)}
	if cause != nil {
		e.Error = cause.Error()
	}
	if s.Redact != nil {
		payload = s.Redact(payload)
		e.Error = string(s.Redact([]byte(e.Error)))
	}
	if len(payload) > s.keepPayload {
		payload, e.Truncated = payload[:s.keepPayload], true
	}
	if utf8.Valid(payload) {
		e.Payload = string(payload)
	} else {
		e.PayloadBase64 = payload
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode dead letter: %w", err)
	}
	line = append(line, '\n')
	s.mu.Lock()
	if s.size > 0 && s.size+int64(len(line)) > s.maxFileBytes {
		if err := s.rotate(); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	if s.partial {
		if err := s.f.Truncate(s.size); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("write dead letter: cut partial line of an earlier failed write: %w", err)
		}
		s.partial = false
	}
	if _, err := s.f.Write(line); err != nil {
		// A short write (full disk) leaves part of a line: cut it off, or the next entry would
		// be glued to it and both lines would be lost to JSON readers.
		if terr := s.f.Truncate(s.size); terr != nil {
			s.partial = true
			err = errors.Join(err, fmt.Errorf("cut partial line: %w", terr))
		}
		s.mu.Unlock()
		return fmt.Errorf("write dead letter: %w", err)
	}
	s.size += int64(len(line))
	s.written++
	mine := s.written
	s.mu.Unlock()
	return s.syncUpTo(mine)
}

// syncUpTo returns once entry n is durable, fsyncing the file unless another Put's fsync
// already covered it.
func (s *Store) syncUpTo(n uint64) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced >= n {
		return nil
	}
	s.mu.Lock()
	f, upto, rotated := s.f, s.written, s.rotatedUpTo
	s.mu.Unlock()
	if rotated >= n {
		s.synced = max(s.synced, rotated)
		return nil
	}
	if err := f.Sync(); err != nil {
		// A rotation may have closed the file after syncing it, which covers this entry.
		s.mu.Lock()
		rotated = s.rotatedUpTo
		s.mu.Unlock()
		if errors.Is(err, os.ErrClosed) && rotated >= n {
			s.synced = max(s.synced, rotated)
			return nil
		}
		return fmt.Errorf("fsync dead letter: %w", err)
	}
	s.synced = max(s.synced, upto)
	return nil
}

// rotate is called with mu held.
func (s *Store) rotate() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("fsync dead-letter file before rotation: %w", err)
	}
	s.rotatedUpTo = s.written
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close dead-letter file: %w", err)
	}
	rotated := fmt.Sprintf("deadletters-%s.jsonl", s.now().UTC().Format("20060102T150405.000000000"))
	if err := os.Rename(filepath.Join(s.dir, FileName), filepath.Join(s.dir, rotated)); err != nil {
		return fmt.Errorf("rotate dead-letter file: %w", err)
	}
	if err := s.prune(); err != nil {
		return err
	}
	return s.open()
}

// prune removes the oldest rotated files beyond maxFiles-1 (the current file is the other one).
func (s *Store) prune() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("list dead-letter dir: %w", err)
	}
	var rotated []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "deadletters-") && strings.HasSuffix(n, ".jsonl") {
			rotated = append(rotated, n)
		}
	}
	sort.Strings(rotated)
	for len(rotated) > s.maxFiles-1 {
		if err := os.Remove(filepath.Join(s.dir, rotated[0])); err != nil {
			return fmt.Errorf("remove old dead-letter file: %w", err)
		}
		rotated = rotated[1:]
	}
	return nil
}

// Close closes the current file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
