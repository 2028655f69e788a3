package hj212

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, rp := range loadRealPackets(f) {
		seeds = append(seeds, []byte(rp.frame))
	}
	for _, s := range []string{exAirRtd, exAirAnswer, exCEMSHour, exCEMSSplit1, ex2005Rtd, exInfoUTF8, exStandard} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzSplitter: any byte stream, cut anywhere, ends; frames and reported bytes stay within the cap.
func FuzzSplitter(f *testing.F) {
	seeds := fuzzSeeds(f)
	for i, s := range seeds {
		f.Add(s, uint8(i))
		if i > 0 {
			f.Add(append(append([]byte("\x00junk"), seeds[i-1]...), s[:len(s)/2]...), uint8(3))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		const max = 256
		sp := NewSplitter(&chunkReader{data: data, n: int(chunk%64) + 1}, max)
		for i := 0; ; i++ {
			if i > 2*len(data)+4 {
				t.Fatal("splitter makes no progress")
			}
			frame, err := sp.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var fe *FrameError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("fatal error from an in-memory reader: %v", err)
			}
			if len(frame) > max || (fe != nil && len(fe.Raw) > max) {
				t.Fatalf("output of %d/%d bytes exceeds the cap", len(frame), len(fe.Raw))
			}
			if err == nil {
				if _, perr := Parse(frame); errors.Is(perr, ErrCRC) || errors.Is(perr, ErrLength) || errors.Is(perr, ErrHeader) {
					t.Fatalf("splitter passed a frame Parse rejects: %q: %v", frame, perr)
				}
			}
			if cap(sp.buf) != max+readChunk {
				t.Fatal("buffer grew")
			}
		}
		// The in-place splitter of MQTT payloads leaves its input as it was and gives the same
		// frames and frame errors as the streaming one reading the same bytes in one piece
		// with the end of the stream (junk may be reported in other pieces: the streaming one
		// reports it a buffer at a time).
		orig := bytes.Clone(data)
		got := framesOf(t, NewBytesSplitter(data, max))
		if !bytes.Equal(data, orig) {
			t.Fatal("in-place splitter wrote to its input")
		}
		if len(data) > readChunk {
			return
		}
		want := framesOf(t, NewSplitter(iotest.DataErrReader(bytes.NewReader(data)), max))
		if !slices.Equal(got, want) {
			t.Fatalf("in-place splitter:\n%q\nstreaming splitter:\n%q", got, want)
		}
	})
}

// framesOf runs a splitter to the end and describes each frame or error it returned, junk
// reports left out.
func framesOf(t *testing.T, sp *Splitter) []string {
	var out []string
	for i := 0; ; i++ {
		if i > 1<<16 {
			t.Fatal("splitter makes no progress")
		}
		frame, err := sp.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if errors.Is(err, ErrJunk) {
			continue
		}
		out = append(out, fmt.Sprintf("%q %v", frame, err))
	}
}

// FuzzParse: no input panics Parse, the JSON description or the mapping; encoding round-trips.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	dev := Device{Source: "S", Outlet: "O", FlowUnit: "m3/s", PressureUnit: "Pa"}
	air := Device{Station: "A"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if p == nil && !errors.Is(err, ErrHeader) {
			t.Fatalf("nil packet without ErrHeader: %v", err)
		}
		if p != nil {
			if err == nil && !p.Trusted() {
				t.Fatal("accepted but not trusted")
			}
			if len(p.Warnings) > 32 {
				t.Fatal("unbounded warnings")
			}
			for _, d := range []Device{dev, air} {
				_, _ = ToReading(p, d, MapOptions{Extras: true})
			}
		}
		if _, err := json.Marshal(DescribePacket(data, nil)); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		// Any data segment framed by the encoder parses as an intact frame.
		seg := bytes.TrimSpace(data)
		if len(seg) <= MaxDataSegment && !bytes.ContainsAny(seg, "\r\n") {
			fr, err := Frame(seg)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse(fr)
			if q == nil || !q.Trusted() {
				t.Fatalf("encoded frame not trusted: %q %v", fr, err)
			}
		}
	})
}
