package deadletter

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, path string) []Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line is not JSON: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func TestEntriesKeepPayloadReasonAndError(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put("mqtt", "lantian/air/cj-01", []byte(`{"pm25":-1}`), "out_of_range", errors.New("pm25 = -1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("mqtt", "lantian/air/cj-01", []byte{0xff, 0x00, 0x01}, "malformed_json", errors.New("invalid character")); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, filepath.Join(dir, FileName))
	if len(got) != 2 {
		t.Fatalf("%d entries", len(got))
	}
	if got[0].Payload != `{"pm25":-1}` || got[0].Reason != "out_of_range" || got[0].Error != "pm25 = -1" || got[0].Size != 11 || got[0].Time.IsZero() {
		t.Errorf("text entry %+v", got[0])
	}
	if got[1].Payload != "" || string(got[1].PayloadBase64) != "\xff\x00\x01" {
		t.Errorf("binary payload must survive as base64: %+v", got[1])
	}
}

func TestHugePayloadIsCutButItsSizeKept(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 64<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := strings.Repeat("x", 3<<20)
	if err := s.Put("mqtt", "t", []byte(big), "too_large", errors.New("too large")); err != nil {
		t.Fatal(err)
	}
	e := readAll(t, filepath.Join(dir, FileName))[0]
	if !e.Truncated || len(e.Payload) != 1<<20 || e.Size != 3<<20 {
		t.Errorf("truncated %v, kept %d, size %d", e.Truncated, len(e.Payload), e.Size)
	}
}

func TestRotationKeepsTheNewestFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 2048, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { tick = tick.Add(time.Second); return tick }
	payload := []byte(strings.Repeat("p", 600))
	for i := 0; i < 40; i++ {
		if err := s.Put("mqtt", "t", payload, "malformed_json", errors.New("bad")); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(files) != 3 {
		t.Fatalf("files after rotation: %v, want the current one and 2 rotated", files)
	}
	for _, f := range files {
		st, _ := os.Stat(f)
		if st.Size() > 2048 {
			t.Errorf("%s is %d bytes, over the rotation size", f, st.Size())
		}
	}
	// The newest entry is in the current file.
	cur := readAll(t, filepath.Join(dir, FileName))
	if len(cur) == 0 || !cur[len(cur)-1].Time.Equal(tick) {
		t.Errorf("current file does not end with the newest entry")
	}
}

func BenchmarkPut(b *testing.B) {
	s, err := Open(b.TempDir(), 1<<30, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := []byte(`{"time":1768039200,"pm25":"NaN"}`)
	cause := errors.New("pm25 is NaN")
	for b.Loop() {
		if err := s.Put("mqtt", "lantian/air/cj-01", payload, "non_finite", cause); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutParallel(b *testing.B) {
	s, err := Open(b.TempDir(), 1<<30, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := []byte(`{"time":1768039200,"pm25":"NaN"}`)
	cause := errors.New("pm25 is NaN")
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Put("mqtt", "lantian/air/cj-01", payload, "non_finite", cause); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestConcurrentPutsAllLandAcrossRotations(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 4096, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				if err := s.Put("mqtt", "t", []byte(`{"bad":1}`), "unknown_field", errors.New("x")); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	total := 0
	for _, f := range files {
		total += len(readAll(t, f))
	}
	if total != 400 {
		t.Fatalf("%d entries across %d files, want 400", total, len(files))
	}
}
