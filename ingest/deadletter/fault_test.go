package deadletter

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountSmallTmpfs mounts a 64 KiB tmpfs on a fresh folder: a disk that really fills up.
func mountSmallTmpfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatalf("mount a small tmpfs for the full-disk test (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	return dir
}

// validLines checks every line of the file is a complete JSON entry and returns them.
func validLines(t *testing.T, path string) []Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not JSON (%v): %.80q", len(out)+1, err, sc.Text())
		}
		out = append(out, e)
	}
	return out
}

func TestFullDiskLeavesNoPartialLine(t *testing.T) {
	dir := mountSmallTmpfs(t)
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 16<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, 1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	payload := []byte(strings.Repeat("##0123ST=22;CN=2011;", 70)) // about 1.4 KB a line
	acked := 0
	var failed error
	for i := 0; i < 200 && failed == nil; i++ {
		if failed = s.Put("mqtt", fmt.Sprintf("lantian/air/cj-%03d", i), payload, "decode", errors.New("bad")); failed == nil {
			acked++
		}
	}
	if !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("the disk never filled (%d entries written): %v", acked, failed)
	}
	// More attempts on the full disk fail without gluing anything to the file.
	for range 3 {
		if err := s.Put("mqtt", "lantian/air/late", []byte("x"), "decode", nil); err == nil {
			acked++
		}
	}
	entries := validLines(t, filepath.Join(dir, FileName))
	if len(entries) != acked {
		t.Fatalf("%d complete lines, %d entries acknowledged", len(entries), acked)
	}
	// Space comes back (an operator clears something): the next entry is a line of its own.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("mqtt", "lantian/air/after", payload, "decode", nil); err != nil {
		t.Fatalf("Put after space came back: %v", err)
	}
	entries = validLines(t, filepath.Join(dir, FileName))
	if len(entries) != acked+1 || entries[len(entries)-1].Topic != "lantian/air/after" {
		t.Errorf("%d lines after space came back, want %d ending with the new entry", len(entries), acked+1)
	}
}

func TestPartialLineFromACrashIsCutAtOpen(t *testing.T) {
	dir := t.TempDir()
	good := `{"time":"2026-01-01T00:00:00Z","origin":"mqtt","reason":"decode","error":"x","size":1}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(good+`{"time":"2026-01-01T00:00:01Z","orig`), 0o640); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, 1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("mqtt", "t", []byte("p"), "decode", nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n := len(validLines(t, filepath.Join(dir, FileName))); n != 2 {
		t.Errorf("%d entries, want the old one and the new one", n)
	}
}

// FuzzEveryPutIsOneLineThatReadsBack: whatever bytes arrive (binary, invalid UTF-8, new
// lines, JSON look-alikes), each Put is one JSON line that gives the payload back.
func FuzzEveryPutIsOneLineThatReadsBack(f *testing.F) {
	f.Add([]byte("##0101QN=20240315103000123;ST=22;CN=2011;PW=123456;MN=X;CP=&&&&ABCD\r\n"), "lantian/hj212/X", "bad\nreason")
	f.Add([]byte{0xff, 0xfe, '\n', '{', '"'}, "", "")
	f.Add([]byte(`{"station":"cj-01","pm25":"35"}`), "lantian/air/cj-01", `"quoted"`)
	f.Fuzz(func(t *testing.T, payload []byte, topic, cause string) {
		dir := t.TempDir()
		s, err := Open(dir, 1<<20, 2)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.Put("mqtt", topic, payload, "decode", errors.New(cause)); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		entries := validLines(t, filepath.Join(dir, FileName))
		if len(entries) != 2 {
			t.Fatalf("%d lines for 2 entries", len(entries))
		}
		for _, e := range entries {
			got := []byte(e.Payload)
			if e.PayloadBase64 != nil {
				got = e.PayloadBase64
			}
			if string(got) != string(payload) || e.Size != len(payload) {
				t.Fatalf("payload %q read back as %q", payload, got)
			}
		}
	})
}
