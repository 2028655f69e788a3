package spool

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// threeRecords makes a spool of three fsync'd records and returns the segment's path and the
// offset of each record.
func threeRecords(t testing.TB, dir string) (string, []int64) {
	t.Helper()
	s, err := Open(dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for i := range 3 {
		offs = append(offs, s.Bytes())
		if err := s.Append([]byte(fmt.Sprintf("air,station=cj-0%d pm25=%d 1700000000000000000", i+1, 30+i))); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	return filepath.Join(dir, "000000000001.seg"), offs
}

func flip(t testing.TB, path string, off int64) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(b)
	b[off] ^= 0x20
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return orig
}

func TestFlippedByteInFirstRecordKeepsTheOthersAndQuarantinesTheSegment(t *testing.T) {
	for _, where := range []struct {
		name string
		off  int64
	}{{"payload", headerSize + 5}, {"length", 1}, {"checksum", 5}} {
		t.Run(where.name, func(t *testing.T) {
			dir := t.TempDir()
			path, _ := threeRecords(t, dir)
			orig := flip(t, path, where.off)
			var logs bytes.Buffer
			reg := prometheus.NewRegistry()
			s, err := OpenWith(dir, Options{MaxBytes: 1 << 30, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: reg})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := drainAll(t, s)
			if len(got) != 2 || !strings.Contains(got[0], "cj-02") || !strings.Contains(got[1], "cj-03") {
				t.Errorf("drained %q, want the two intact records", got)
			}
			q := s.Quarantined()
			if len(q) != 1 || q[0].Salvaged != 2 {
				t.Fatalf("quarantine report %+v", q)
			}
			kept, err := os.ReadFile(q[0].File)
			if err != nil || !bytes.Equal(kept, func() []byte { b := bytes.Clone(orig); b[where.off] ^= 0x20; return b }()) {
				t.Errorf("the damaged segment is not kept as it was for inspection: %v", err)
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "quarantine") {
				t.Errorf("no loud log line:\n%s", logs.String())
			}
			if v := counter(t, reg, "lantian_spool_quarantined_segments_total"); v != 1 {
				t.Errorf("lantian_spool_quarantined_segments_total %v, want 1", v)
			}
		})
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return -1
}

func TestNothingSalvageableFailsOnceThenStartsWithout(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1<<30)
	if err := s.Append([]byte("only record")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	flip(t, filepath.Join(dir, "000000000001.seg"), headerSize+2)
	if _, err := Open(dir, 1<<30); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a spool with nothing intact: %v, want ErrCorrupt", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, QuarantineDir))
	if len(entries) != 1 {
		t.Fatalf("%d files in quarantine, want the damaged segment", len(entries))
	}
	s = mustOpen(t, dir, 1<<30)
	defer s.Close()
	if s.Len() != 0 {
		t.Errorf("%d records after the failed start", s.Len())
	}
	if err := s.Append([]byte("next")); err != nil {
		t.Fatal(err)
	}
}

// FuzzDamagedSpoolKeepsEveryIntactRecord damages a spool of records at a fuzzed offset (a
// flipped byte, or a cut) and checks that Open keeps every record whose bytes were not
// touched, in order, and never fails while one is left.
func FuzzDamagedSpoolKeepsEveryIntactRecord(f *testing.F) {
	f.Add(uint16(3), byte(0x20), false)
	f.Add(uint16(0), byte(0xff), false)
	f.Add(uint16(60), byte(1), true)
	f.Add(uint16(9), byte(0x80), false)
	f.Fuzz(func(t *testing.T, at uint16, mask byte, cut bool) {
		dir := t.TempDir()
		path, offs := threeRecords(t, dir)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		off := int64(at) % int64(len(b))
		if mask == 0 {
			mask = 1
		}
		if cut {
			b = b[:off]
		} else {
			b[off] ^= mask
		}
		if err := os.WriteFile(path, b, 0o640); err != nil {
			t.Fatal(err)
		}
		damaged := 0
		for i, o := range offs {
			if off >= o && (i == len(offs)-1 || off < offs[i+1]) {
				damaged = i
			}
		}
		var want []string
		for i := range offs {
			if cut && i >= damaged || !cut && i == damaged {
				continue
			}
			want = append(want, fmt.Sprintf("air,station=cj-0%d", i+1))
		}
		s, err := Open(dir, 1<<30)
		if len(want) == 0 {
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Open with %d intact records: %v", len(want), err)
		}
		defer s.Close()
		var got []string
		for _, r := range drainAll(t, s) {
			got = append(got, strings.SplitN(r, " ", 2)[0])
		}
		if !slices.Equal(got, want) {
			t.Fatalf("damage at %d (cut %v): drained %q, want %q", off, cut, got, want)
		}
	})
}
