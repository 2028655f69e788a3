// Package spool is a durable FIFO of write batches on local disk. It holds what InfluxDB could
// not take, so that an MQTT message can be acknowledged once its reading is in the spool, and
// drains in order when InfluxDB is back.
//
// Records live in segment files of append-only frames: length (4 bytes), CRC-32C of the payload
// (4 bytes), payload. Every Append is fsync'd before it returns. Popping a record only advances
// an in-memory cursor; a segment file is deleted once fully drained. After a crash the drained
// part of the head segment is sent again, which is harmless because a point rewritten with the
// same series and timestamp overwrites itself in InfluxDB.
//
// A record that fails its checks in the middle of a segment (a flipped bit on disk, a damaged
// sector) does not cost the records around it: Open moves the segment into the quarantine
// folder, writes every intact record back in its place, logs loudly and counts it. Only a
// segment of which nothing can be salvaged makes Open fail, once (the file is then in the
// quarantine folder and the next start goes on without it).
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrFull is returned by Append when the record would take the spool past its size bound.
var ErrFull = errors.New("spool is full")

// ErrEmpty is returned by Peek when there is nothing to drain.
var ErrEmpty = errors.New("spool is empty")

// ErrCorrupt is returned by Open when a segment holds no intact record at all; the segment
// has been moved to the quarantine folder.
var ErrCorrupt = errors.New("spool segment corrupt")

// QuarantineDir is the folder under the spool's where damaged segments are kept.
const QuarantineDir = "quarantine"

// Quarantine describes a damaged segment found by Open.
type Quarantine struct {
	// File is where the damaged segment now lies, for inspection.
	File string
	// Salvaged is the number of intact records written back into the spool.
	Salvaged int
	// LostBytes is the number of bytes of the segment in no intact record.
	LostBytes int64
	// Damaged lists the offsets of the damaged stretches.
	Damaged []int64
}

// Options tune OpenWith; the zero value is Open's behaviour.
type Options struct {
	MaxBytes int64
	// Logger gets the loud report of a quarantined segment (default: discard).
	Logger *slog.Logger
	// Metrics registers lantian_spool_quarantined_segments_total and
	// lantian_spool_lost_bytes_total; nil leaves them unregistered.
	Metrics prometheus.Registerer
}

const (
	headerSize = 8
	// segmentBytes is where a new segment starts: small enough that a crash re-sends little,
	// large enough that an outage of hours does not make thousands of files.
	segmentBytes = 16 << 20
	// maxRecord bounds a record so that a corrupt length cannot make Peek allocate gigabytes.
	maxRecord = 256 << 20
	suffix    = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type segment struct {
	seq     uint64
	size    int64
	records int
}

// Spool is safe for concurrent use by one appender and one drainer.
type Spool struct {
	dir      string
	maxBytes int64

	mu       sync.Mutex
	segments []segment // oldest first; the last one is the one appended to
	tail     *os.File
	head     *os.File // open reader of segments[0]
	headOff  int64    // offset of the next record to read in segments[0]
	bytes    int64    // payload+header bytes not yet popped
	records  int
	peeked   int64 // size of the record returned by the last Peek

	log         *slog.Logger
	quarantined []Quarantine
}

// Open opens or creates the spool in dir, scanning existing segments. A torn record at the end
// of the last segment (a crash during Append, before its fsync returned and so before any
// acknowledgement) is cut off.
func Open(dir string, maxBytes int64) (*Spool, error) {
	return OpenWith(dir, Options{MaxBytes: maxBytes})
}

// OpenWith is Open with a logger and metrics for damaged segments (see the package comment).
func OpenWith(dir string, o Options) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create spool dir: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Spool{dir: dir, maxBytes: o.MaxBytes, log: log}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read spool dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, suffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, suffix), 10, 64)
		if err != nil {
			continue
		}
		s.segments = append(s.segments, segment{seq: seq})
	}
	sort.Slice(s.segments, func(i, j int) bool { return s.segments[i].seq < s.segments[j].seq })
	var nextSeq uint64 = 1
	if len(s.segments) > 0 {
		nextSeq = s.segments[len(s.segments)-1].seq + 1
	}
	kept := s.segments[:0]
	for i := range s.segments {
		seg := s.segments[i]
		last := i == len(s.segments)-1
		if err := s.scan(&seg, last); err != nil {
			return nil, err
		}
		if _, err := os.Stat(s.path(seg.seq)); err != nil {
			// Quarantined with nothing left: salvage removed the file.
			continue
		}
		kept = append(kept, seg)
		s.bytes += seg.size
		s.records += seg.records
	}
	s.segments = kept
	if len(s.quarantined) > 0 && s.records == 0 {
		return nil, fmt.Errorf("%w: nothing could be salvaged from the damaged spool in %s; the damaged files are kept in %s and the next start goes on without them",
			ErrCorrupt, dir, filepath.Join(dir, QuarantineDir))
	}
	if len(s.segments) == 0 {
		s.segments = append(s.segments, segment{seq: nextSeq})
	}
	tail := s.segments[len(s.segments)-1]
	f, err := os.OpenFile(s.path(tail.seq), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open spool segment: %w", err)
	}
	s.tail = f
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	if err := s.register(o.Metrics); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *Spool) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	var lost int64
	for _, q := range s.quarantined {
		lost += q.LostBytes
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "lantian", Subsystem: "spool", Name: "quarantined_segments_total",
			Help: "Spool segments found damaged at start and moved to the quarantine folder (their intact records were kept)."},
			func() float64 { return float64(len(s.quarantined)) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "lantian", Subsystem: "spool", Name: "lost_bytes_total",
			Help: "Bytes of damaged spool segments that belonged to no intact record (readings that may be lost)."},
			func() float64 { return float64(lost) }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("spool: register metrics: %w", err)
		}
	}
	return nil
}

// Quarantined lists the damaged segments Open moved aside.
func (s *Spool) Quarantined() []Quarantine { return s.quarantined }

func (s *Spool) path(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%012d%s", seq, suffix))
}

// scan counts the valid records of a segment. A torn record at the end of the last segment
// (shorter than its header says, with nothing valid after it) is cut off: its Append never
// returned. Any other bad record quarantines the segment (see salvage).
func (s *Spool) scan(seg *segment, last bool) error {
	path := s.path(seg.seq)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read spool segment: %w", err)
	}
	var off int64
	for off < int64(len(data)) {
		n, ok := recordAt(data, off)
		if !ok {
			break
		}
		off += headerSize + n
		seg.records++
	}
	if off == int64(len(data)) {
		seg.size = off
		return nil
	}
	if last && torn(data, off) && nextRecord(data, off+1) < 0 {
		if err := os.Truncate(path, off); err != nil {
			return fmt.Errorf("truncate torn spool record: %w", err)
		}
		s.log.Info("spool: cut off a torn record at the end (an append interrupted before it was acknowledged)", "segment", path, "offset", off, "bytes", int64(len(data))-off)
		seg.size = off
		return nil
	}
	return s.salvage(seg, data)
}

// recordAt reports the payload length of an intact record at off. Records are never empty,
// so zeroed bytes (a common kind of damage) never pass for records.
func recordAt(data []byte, off int64) (int64, bool) {
	if off+headerSize > int64(len(data)) {
		return 0, false
	}
	n := int64(binary.LittleEndian.Uint32(data[off:]))
	if n == 0 || n > maxRecord || off+headerSize+n > int64(len(data)) {
		return 0, false
	}
	payload := data[off+headerSize : off+headerSize+n]
	return n, crc32.Checksum(payload, castagnoli) == binary.LittleEndian.Uint32(data[off+4:])
}

// torn reports whether the record at off runs past the end of the data: an append cut short.
func torn(data []byte, off int64) bool {
	if off+headerSize > int64(len(data)) {
		return true
	}
	n := int64(binary.LittleEndian.Uint32(data[off:]))
	return n <= maxRecord && off+headerSize+n > int64(len(data))
}

// nextRecord finds the first offset at or after from where an intact record starts, or -1.
// Record boundaries are not marked, so after damage every offset is tried: a CRC-32C match on
// a plausible length is the evidence of a record.
func nextRecord(data []byte, from int64) int64 {
	for off := from; off+headerSize <= int64(len(data)); off++ {
		if _, ok := recordAt(data, off); ok {
			return off
		}
	}
	return -1
}

// salvage moves a damaged segment into the quarantine folder and writes its intact records
// back in its place.
func (s *Spool) salvage(seg *segment, data []byte) error {
	path := s.path(seg.seq)
	var kept []byte
	var q Quarantine
	records := 0
	var off int64
	for off < int64(len(data)) {
		if n, ok := recordAt(data, off); ok {
			kept = append(kept, data[off:off+headerSize+n]...)
			records++
			off += headerSize + n
			continue
		}
		q.Damaged = append(q.Damaged, off)
		next := nextRecord(data, off+1)
		if next < 0 {
			next = int64(len(data))
		}
		q.LostBytes += next - off
		off = next
	}
	q.Salvaged = records
	qdir := filepath.Join(s.dir, QuarantineDir)
	if err := os.MkdirAll(qdir, 0o750); err != nil {
		return fmt.Errorf("create spool quarantine dir: %w", err)
	}
	q.File = filepath.Join(qdir, fmt.Sprintf("%s.%s", filepath.Base(path), time.Now().UTC().Format("20060102T150405.000000000")))
	// Write the salvaged records first, then swap: a crash in between leaves the original.
	tmp := path + ".salvage"
	if err := writeSync(tmp, kept); err != nil {
		return err
	}
	if err := os.Link(path, q.File); err != nil {
		return fmt.Errorf("quarantine spool segment: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace quarantined spool segment: %w", err)
	}
	if err := syncDir(qdir); err != nil {
		return err
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	s.quarantined = append(s.quarantined, q)
	seg.size, seg.records = int64(len(kept)), records
	s.log.Error("spool segment damaged: moved to quarantine, intact records kept; readings in the damaged bytes may be lost",
		"segment", path, "quarantined_as", q.File, "salvaged_records", records, "lost_bytes", q.LostBytes, "damaged_offsets", q.Damaged)
	if records == 0 {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove empty salvaged spool segment: %w", err)
		}
	}
	return nil
}

func writeSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("write salvaged spool segment: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write salvaged spool segment: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync salvaged spool segment: %w", err)
	}
	return f.Close()
}

// Append stores a record durably (written and fsync'd) at the end of the spool.
func (s *Spool) Append(rec []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := int64(headerSize + len(rec))
	if len(rec) == 0 {
		return errors.New("spool: empty record")
	}
	if len(rec) > maxRecord {
		return fmt.Errorf("spool record of %d bytes exceeds %d", len(rec), maxRecord)
	}
	if s.bytes+size > s.maxBytes {
		return fmt.Errorf("%w: %d of %d bytes used", ErrFull, s.bytes, s.maxBytes)
	}
	tail := &s.segments[len(s.segments)-1]
	if tail.size >= segmentBytes {
		if err := s.roll(); err != nil {
			return err
		}
		tail = &s.segments[len(s.segments)-1]
	}
	buf := make([]byte, headerSize, size)
	binary.LittleEndian.PutUint32(buf, uint32(len(rec)))
	binary.LittleEndian.PutUint32(buf[4:], crc32.Checksum(rec, castagnoli))
	buf = append(buf, rec...)
	if _, err := s.tail.Write(buf); err != nil {
		// A partial write would desynchronise the frames: cut the file back to the last record.
		_ = s.tail.Truncate(tail.size)
		return fmt.Errorf("append to spool: %w", err)
	}
	if err := s.tail.Sync(); err != nil {
		return fmt.Errorf("fsync spool: %w", err)
	}
	tail.size += size
	tail.records++
	s.bytes += size
	s.records++
	return nil
}

func (s *Spool) roll() error {
	next := segment{seq: s.segments[len(s.segments)-1].seq + 1}
	f, err := os.OpenFile(s.path(next.seq), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("start spool segment: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		return err
	}
	if s.tail != nil {
		if err := s.tail.Close(); err != nil {
			f.Close()
			return fmt.Errorf("close spool segment: %w", err)
		}
	}
	s.tail = f
	s.segments = append(s.segments, next)
	return nil
}

// Peek returns the oldest record without removing it, or ErrEmpty.
func (s *Spool) Peek() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.records == 0 {
			return nil, ErrEmpty
		}
		head := &s.segments[0]
		if s.headOff >= head.size && len(s.segments) > 1 {
			if err := s.dropHead(); err != nil {
				return nil, err
			}
			continue
		}
		if s.head == nil {
			f, err := os.Open(s.path(head.seq))
			if err != nil {
				return nil, fmt.Errorf("open spool head: %w", err)
			}
			s.head = f
		}
		hdr := make([]byte, headerSize)
		if _, err := s.head.ReadAt(hdr, s.headOff); err != nil {
			return nil, fmt.Errorf("read spool record header: %w", err)
		}
		n := binary.LittleEndian.Uint32(hdr)
		if n > maxRecord {
			return nil, fmt.Errorf("spool record at %d: length %d is corrupt", s.headOff, n)
		}
		buf := make([]byte, n)
		if _, err := s.head.ReadAt(buf, s.headOff+headerSize); err != nil {
			return nil, fmt.Errorf("read spool record: %w", err)
		}
		if crc32.Checksum(buf, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			return nil, fmt.Errorf("spool record at %d: checksum mismatch", s.headOff)
		}
		s.peeked = headerSize + int64(n)
		return buf, nil
	}
}

// Pop removes the record returned by the last Peek.
func (s *Spool) Pop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peeked == 0 {
		return errors.New("spool: Pop without Peek")
	}
	s.headOff += s.peeked
	s.bytes -= s.peeked
	s.records--
	s.peeked = 0
	head := &s.segments[0]
	if s.headOff < head.size {
		return nil
	}
	if len(s.segments) > 1 {
		return s.dropHead()
	}
	// The only segment is drained: start it afresh so the disk space comes back.
	if err := s.tail.Truncate(0); err != nil {
		return fmt.Errorf("reset spool segment: %w", err)
	}
	if s.head != nil {
		s.head.Close()
		s.head = nil
	}
	head.size, head.records, s.headOff = 0, 0, 0
	return nil
}

func (s *Spool) dropHead() error {
	if s.head != nil {
		s.head.Close()
		s.head = nil
	}
	if err := os.Remove(s.path(s.segments[0].seq)); err != nil {
		return fmt.Errorf("remove drained spool segment: %w", err)
	}
	s.segments = s.segments[1:]
	s.headOff = 0
	return nil
}

// Len is the number of records waiting.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

// Bytes is the disk space the waiting records take.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// MaxBytes is the size bound.
func (s *Spool) MaxBytes() int64 { return s.maxBytes }

// Close closes the files; the spool's content stays on disk.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.head != nil {
		errs = append(errs, s.head.Close())
		s.head = nil
	}
	if s.tail != nil {
		errs = append(errs, s.tail.Close())
		s.tail = nil
	}
	return errors.Join(errs...)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open spool dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync spool dir: %w", err)
	}
	return nil
}
