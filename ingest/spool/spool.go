// Package spool is a durable FIFO of write batches on local disk. It holds what InfluxDB could
// not take, so that an MQTT message can be acknowledged once its reading is in the spool, and
// drains in order when InfluxDB is back.
//
// Records live in segment files of append-only frames: length (4 bytes), CRC-32C of the payload
// (4 bytes), payload. Every Append is fsync'd before it returns. Popping a record only advances
// an in-memory cursor; a segment file is deleted once fully drained. After a crash the drained
// part of the head segment is sent again, which is harmless because a point rewritten with the
// same series and timestamp overwrites itself in InfluxDB.
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrFull is returned by Append when the record would take the spool past its size bound.
var ErrFull = errors.New("spool is full")

// ErrEmpty is returned by Peek when there is nothing to drain.
var ErrEmpty = errors.New("spool is empty")

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
}

// Open opens or creates the spool in dir, scanning existing segments. A torn record at the end
// of the last segment (a crash during Append, before its fsync returned and so before any
// acknowledgement) is cut off.
func Open(dir string, maxBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create spool dir: %w", err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes}
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
	for i := range s.segments {
		last := i == len(s.segments)-1
		if err := s.scan(&s.segments[i], last); err != nil {
			return nil, err
		}
		s.bytes += s.segments[i].size
		s.records += s.segments[i].records
	}
	if len(s.segments) == 0 {
		s.segments = append(s.segments, segment{seq: 1})
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
	return s, nil
}

func (s *Spool) path(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%012d%s", seq, suffix))
}

// scan counts the valid records of a segment; on the last segment it truncates a torn tail,
// on the others a bad record is an error because they were complete when closed.
func (s *Spool) scan(seg *segment, last bool) error {
	f, err := os.OpenFile(s.path(seg.seq), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open spool segment: %w", err)
	}
	defer f.Close()
	var off int64
	hdr := make([]byte, headerSize)
	for {
		_, err := f.ReadAt(hdr, off)
		if errors.Is(err, io.EOF) && isEnd(f, off) {
			break
		}
		var n uint32
		var ok bool
		if err == nil {
			n = binary.LittleEndian.Uint32(hdr)
			if n <= maxRecord {
				buf := make([]byte, n)
				if _, err := f.ReadAt(buf, off+headerSize); err == nil {
					ok = crc32.Checksum(buf, castagnoli) == binary.LittleEndian.Uint32(hdr[4:])
				}
			}
		}
		if !ok {
			if !last {
				return fmt.Errorf("spool segment %s: corrupt record at offset %d (disk fault?): move the file out of the spool folder to start without it, and keep it for inspection", s.path(seg.seq), off)
			}
			if err := f.Truncate(off); err != nil {
				return fmt.Errorf("truncate torn spool record: %w", err)
			}
			break
		}
		off += headerSize + int64(n)
		seg.records++
	}
	seg.size = off
	return nil
}

func isEnd(f *os.File, off int64) bool {
	st, err := f.Stat()
	return err == nil && st.Size() == off
}

// Append stores a record durably (written and fsync'd) at the end of the spool.
func (s *Spool) Append(rec []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := int64(headerSize + len(rec))
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
