package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func mustOpen(t *testing.T, dir string, max int64) *Spool {
	t.Helper()
	s, err := Open(dir, max)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func drainAll(t *testing.T, s *Spool) []string {
	t.Helper()
	var out []string
	for {
		rec, err := s.Peek()
		if errors.Is(err, ErrEmpty) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(rec))
		if err := s.Pop(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecordsComeOutInOrderAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<30)
	for i := 0; i < 10; i++ {
		if err := s.Append([]byte(fmt.Sprintf("batch-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	rec, _ := s.Peek()
	if string(rec) != "batch-0" {
		t.Fatalf("head %q", rec)
	}
	if err := s.Pop(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// After a restart the popped record may come again (harmless duplicate), the rest follow
	// in order and nothing is missing.
	s = mustOpen(t, dir, 1<<30)
	defer s.Close()
	got := drainAll(t, s)
	if len(got) < 9 || got[len(got)-1] != "batch-9" {
		t.Fatalf("after reopen got %v", got)
	}
	for i, want := 0, 10-len(got); i < len(got); i, want = i+1, want+1 {
		if got[i] != fmt.Sprintf("batch-%d", want) {
			t.Fatalf("order broken: %v", got)
		}
	}
	if s.Len() != 0 || s.Bytes() != 0 {
		t.Fatalf("drained spool reports %d records, %d bytes", s.Len(), s.Bytes())
	}
}

func TestTornTailIsCutAndEarlierRecordsKept(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<30)
	for _, r := range []string{"one", "two"} {
		if err := s.Append([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// A crash in the middle of an append leaves half a frame at the end.
	f, err := os.OpenFile(filepath.Join(dir, "000000000001.seg"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{200, 0, 0, 0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s = mustOpen(t, dir, 1<<30)
	defer s.Close()
	if err := s.Append([]byte("three")); err != nil {
		t.Fatal(err)
	}
	got := drainAll(t, s)
	if fmt.Sprint(got) != "[one two three]" {
		t.Fatalf("got %v", got)
	}
}

func TestFullSpoolRefusesAndRecoversAfterDrain(t *testing.T) {
	s := mustOpen(t, t.TempDir(), 100)
	defer s.Close()
	if err := s.Append(make([]byte, 60)); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(make([]byte, 60)); !errors.Is(err, ErrFull) {
		t.Fatalf("second append: %v, want ErrFull", err)
	}
	drainAll(t, s)
	if err := s.Append(make([]byte, 60)); err != nil {
		t.Fatalf("append after drain: %v", err)
	}
}

func TestSegmentsRollAndDrainedOnesAreDeleted(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<30)
	defer s.Close()
	big := make([]byte, 6<<20)
	for i := 0; i < 5; i++ {
		big[0] = byte(i)
		if err := s.Append(big); err != nil {
			t.Fatal(err)
		}
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) < 2 {
		t.Fatalf("30 MiB in one segment; want rolling at %d bytes", segmentBytes)
	}
	for i := 0; i < 5; i++ {
		rec, err := s.Peek()
		if err != nil || rec[0] != byte(i) {
			t.Fatalf("record %d: %v %v", i, err, rec[:1])
		}
		if err := s.Pop(); err != nil {
			t.Fatal(err)
		}
	}
	segs, _ = filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("drained segments left on disk: %v", segs)
	}
}

func TestCorruptSegmentIsQuarantinedAndTheNextKept(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<30)
	big := make([]byte, segmentBytes)
	for i := 0; i < 2; i++ {
		big[0] = byte(i)
		if err := s.Append(big); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	f, err := os.OpenFile(filepath.Join(dir, "000000000001.seg"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{1, 2, 3}, headerSize+10); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err = Open(dir, 1<<30)
	if err != nil {
		t.Fatalf("one damaged segment of two stopped the spool: %v", err)
	}
	defer s.Close()
	if q := s.Quarantined(); len(q) != 1 || q[0].Salvaged != 0 || q[0].LostBytes != headerSize+segmentBytes {
		t.Errorf("quarantine report %+v", q)
	}
	if got := drainAll(t, s); len(got) != 1 || got[0][0] != 1 {
		t.Errorf("%d records drained, want the second segment's one", len(got))
	}
}
