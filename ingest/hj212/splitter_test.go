package hj212

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

type splitResult struct {
	frame string
	err   error
}

func splitAll(t *testing.T, r io.Reader, max int) []splitResult {
	t.Helper()
	sp := NewSplitter(r, max)
	var out []splitResult
	for range 10000 {
		f, err := sp.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		var fe *FrameError
		if err != nil && !errors.As(err, &fe) {
			out = append(out, splitResult{err: err})
			return out
		}
		out = append(out, splitResult{string(f), err})
	}
	t.Fatal("splitter does not end")
	return nil
}

// describe renders results compactly: "ok:<MN or prefix>" or the error reason.
func describe(rs []splitResult) string {
	var parts []string
	for _, r := range rs {
		if r.err == nil {
			p, _ := Parse([]byte(r.frame))
			parts = append(parts, "ok:"+p.CN)
		} else {
			parts = append(parts, Reason(r.err))
		}
	}
	return strings.Join(parts, " ")
}

func TestSplitter(t *testing.T) {
	a, b, c := exAirRtd, exCEMSHour, ex2005Rtd
	badCRC := a[:len(a)-4] + "8D00"
	lost := "##0282" + strings.Replace(a[6:], "a34002-Rtd=61.0,", "a34002-Rtd=61.0", 1) // one byte lost
	for _, tc := range []struct {
		name  string
		in    string
		max   int
		want  string
		check func(t *testing.T, rs []splitResult)
	}{
		{"one read, CR LF", a + "\r\n" + b + "\r\n" + c + "\r\n", 0, "ok:2011 ok:2061 ok:2011", nil},
		{"no line ends at all", a + b + c, 0, "ok:2011 ok:2061 ok:2011", nil},
		{"LF only, trailing blank lines", a + "\n" + b + "\n\n\n", 0, "ok:2011 ok:2061", nil},
		{"junk between", "\x00\x01AT+REG\xff" + a + "garbage#" + b + "##x" + c + "tail", 0,
			"junk ok:2011 junk ok:2061 junk ok:2011 junk", func(t *testing.T, rs []splitResult) {
				var je *JunkError
				if !errors.As(rs[0].err, &je) || je.Bytes != 9 {
					t.Errorf("%v", rs[0].err)
				}
			}},
		{"bad CRC then good", badCRC + "\r\n" + b, 0, "crc ok:2061", func(t *testing.T, rs []splitResult) {
			if rs[0].frame != badCRC {
				t.Errorf("bad frame not returned whole: %q", rs[0].frame)
			}
		}},
		{"byte lost: length too long, next frame recovered", lost + "\r\n" + b + "\r\n", 0, "length ok:2061",
			func(t *testing.T, rs []splitResult) {
				if !errors.Is(rs[0].err, ErrCRC) || rs[0].frame != lost {
					t.Errorf("%q %v", rs[0].frame, rs[0].err)
				}
			}},
		{"byte lost, no line end, next frame glued", lost + b, 0, "length ok:2061", nil},
		{"byte lost at end of stream", lost, 0, "length", nil},
		{"declared too long, cut off by stream end", a[:100], 0, "truncated", nil},
		{"declared too long, cut off by next frame", a[:100] + b, 0, "truncated ok:2061", nil},
		{"oversize declared", "##9999" + strings.Repeat("x", 50) + a, 0, "too_large ok:2011", nil},
		{"cap smaller than frame", b + a, 300, "too_large ok:2011", nil},
		{"oversize body without an end", "##5000" + strings.Repeat("y", 5000) + a, 0, "too_large ok:2011", nil},
		{"body without an end under the cap", "##4000" + strings.Repeat("y", 5000) + a, 0, "crc junk ok:2011", nil},
		{"cap holds exactly", a, len(a), "ok:2011", nil},
		{"# inside junk and ## without digits", "#a##b###" + a, 0, "junk ok:2011", nil},
		{"empty", "", 0, "", nil},
		{"only line ends", "\r\n\r\n", 0, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{1, 3, 64, 1 << 20} {
				rs := splitAll(t, &chunkReader{data: []byte(tc.in), n: chunk}, tc.max)
				if got := describe(rs); got != tc.want {
					t.Fatalf("chunk %d: %s, want %s (%v)", chunk, got, tc.want, rs)
				}
				for _, r := range rs {
					if max := tc.max; len(r.frame) > max && max > 0 || len(r.frame) > DefaultMaxPacket {
						t.Fatalf("frame of %d bytes over the cap", len(r.frame))
					}
				}
				if tc.check != nil {
					tc.check(t, rs)
				}
			}
		})
	}
}

// TestSplitterCharacterLength: a frame whose length counts characters is delimited by its
// "&&CRC" end and accepted.
func TestSplitterCharacterLength(t *testing.T) {
	data := exInfoUTF8[6 : len(exInfoUTF8)-4]
	f := "##" + "0143" + data + exInfoUTF8[len(exInfoUTF8)-4:]
	if len([]rune(data)) != 143 {
		t.Fatalf("test data: %d runes", len([]rune(data)))
	}
	for _, tail := range []string{"\r\n" + exAirRtd, exAirRtd, ""} {
		rs := splitAll(t, strings.NewReader(f+tail), 0)
		if len(rs) == 0 || rs[0].err != nil || rs[0].frame != f {
			t.Fatalf("tail %.5q: %v", tail, rs)
		}
		if tail != "" && (len(rs) != 2 || rs[1].err != nil) {
			t.Fatalf("tail %.5q: %v", tail, rs)
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestSplitterReadError(t *testing.T) {
	boom := errors.New("connection reset")
	sp := NewSplitter(io.MultiReader(strings.NewReader(exAirRtd+"\r\n"+exCEMSHour[:50]), errReader{boom}), 0)
	if f, err := sp.Next(); err != nil || string(f) != exAirRtd {
		t.Fatalf("%q %v", f, err)
	}
	_, err := sp.Next()
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("partial frame before the error: %v", err)
	}
	_, err = sp.Next()
	var fe *FrameError
	if !errors.Is(err, boom) || errors.As(err, &fe) {
		t.Fatalf("read error not fatal: %v", err)
	}
}

// TestSplitterMemory: any amount of junk or one endless frame never grows the buffer.
func TestSplitterMemory(t *testing.T) {
	junk := bytes.Repeat([]byte("no frames here ### #"), 100000)
	sp := NewSplitter(bytes.NewReader(junk), 256)
	total := 0
	for {
		_, err := sp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var je *JunkError
		if !errors.As(err, &je) {
			t.Fatal(err)
		}
		total += je.Bytes
		if cap(sp.buf) != 256+readChunk {
			t.Fatalf("buffer grew to %d", cap(sp.buf))
		}
	}
	if total == 0 || sp.JunkBytes() != int64(total) {
		t.Errorf("junk counted %d / %d", total, sp.JunkBytes())
	}
}
