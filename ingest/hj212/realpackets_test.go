package hj212

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// realPacketsPath is where shared/ sits next to the repository, locally and in CI.
const realPacketsPath = "../../../shared/data/hj212-real-packets/packets.txt"

type realPacket struct {
	line    int
	frame   string
	comment string
	crcOK   bool
	lenOK   bool
}

// loadRealPackets reads packets.txt: each packet line is followed by a "# source: …" comment
// that states crc_ok and len_ok. The file is required: a missing file fails the test.
func loadRealPackets(t testing.TB) []realPacket {
	t.Helper()
	f, err := os.Open(realPacketsPath)
	if err != nil {
		t.Fatalf("real packets are required: %v", err)
	}
	defer f.Close()
	var out []realPacket
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "##"):
			out = append(out, realPacket{line: n, frame: line})
		case strings.HasPrefix(line, "# source:"):
			if len(out) == 0 || out[len(out)-1].comment != "" {
				t.Fatalf("line %d: comment without packet", n)
			}
			p := &out[len(out)-1]
			p.comment = line
			p.crcOK = strings.Contains(line, "crc_ok=true")
			p.lenOK = strings.Contains(line, "len_ok=true")
			if !p.crcOK && !strings.Contains(line, "crc_ok=false") {
				t.Fatalf("line %d: no crc_ok", n)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != 41 {
		t.Fatalf("got %d packets, README says 41", len(out))
	}
	return out
}

func TestRealPackets(t *testing.T) {
	good, bad := 0, 0
	for _, rp := range loadRealPackets(t) {
		p, err := Parse([]byte(rp.frame))
		if p == nil {
			t.Errorf("line %d: no packet: %v", rp.line, err)
			continue
		}
		if rp.crcOK && rp.lenOK {
			good++
			if err != nil {
				t.Errorf("line %d: good packet rejected: %v", rp.line, err)
			}
			if !p.Trusted() {
				t.Errorf("line %d: good packet not trusted", rp.line)
			}
			continue
		}
		bad++
		if err == nil || p.Trusted() {
			t.Errorf("line %d: broken packet accepted (%s)", rp.line, rp.comment)
			continue
		}
		if got := errors.Is(err, ErrCRC); got != !rp.crcOK {
			t.Errorf("line %d: ErrCRC=%v, want %v: %v", rp.line, got, !rp.crcOK, err)
		}
		if got := errors.Is(err, ErrLength); got != !rp.lenOK {
			t.Errorf("line %d: ErrLength=%v, want %v: %v", rp.line, got, !rp.lenOK, err)
		}
		var ce *CRCError
		if errors.As(err, &ce) && strings.Contains(rp.comment, "MODBUS") && ce.Variant == "" {
			t.Errorf("line %d: MODBUS CRC not identified: %v", rp.line, err)
		}
		// Fields are still there for diagnostics.
		if p.MN == "" {
			t.Errorf("line %d: broken packet lost its MN", rp.line)
		}
	}
	if good != 31 || bad != 10 {
		t.Errorf("good=%d bad=%d, README says 31 and 10", good, bad)
	}
}

// TestRealPacketsStream feeds the whole file, comments and all, through the splitter: every
// packet comes out whole, in order, with the verdict of Parse.
func TestRealPacketsStream(t *testing.T) {
	rps := loadRealPackets(t)
	data, err := os.ReadFile(realPacketsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 7, 512, 1 << 20} {
		sp := NewSplitter(&chunkReader{data: data, n: chunk}, 0)
		i := 0
		for {
			frame, err := sp.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, ErrJunk) {
				continue
			}
			var fe *FrameError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("chunk %d: fatal: %v", chunk, err)
			}
			if i >= len(rps) {
				t.Fatalf("chunk %d: extra frame %q (%v)", chunk, frame, err)
			}
			rp := rps[i]
			i++
			if rp.lenOK && string(frame) != rp.frame {
				t.Errorf("chunk %d line %d: frame\n%q\nwant\n%q (%v)", chunk, rp.line, frame, rp.frame, err)
			}
			if (err == nil) != (rp.crcOK && rp.lenOK) {
				t.Errorf("chunk %d line %d: err=%v, want ok=%v", chunk, rp.line, err, rp.crcOK && rp.lenOK)
			}
			if len(frame) > DefaultMaxPacket {
				t.Errorf("frame over the cap")
			}
		}
		if i != len(rps) {
			t.Errorf("chunk %d: %d frames, want %d", chunk, i, len(rps))
		}
	}
}

func TestDecodeJSONRealPackets(t *testing.T) {
	rps := loadRealPackets(t)
	data, err := os.ReadFile(realPacketsPath)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := DecodeJSON(bytes.NewReader(data), &out, nil); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&out)
	i := 0
	for dec.More() {
		var d DecodedJSON
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		if i >= len(rps) {
			t.Fatalf("extra object %+v", d)
		}
		rp := rps[i]
		i++
		if d.CRCOK != rp.crcOK {
			t.Errorf("line %d: crc_ok=%v want %v", rp.line, d.CRCOK, rp.crcOK)
		}
		if want := rp.crcOK && rp.lenOK; d.OK != want {
			// Good frames with bad content (a DataTime-less data packet) would be ok=false;
			// none of the good real packets has such a problem.
			t.Errorf("line %d: ok=%v want %v (%s)", rp.line, d.OK, want, d.Error)
		}
	}
	if i != len(rps) {
		t.Errorf("%d objects, want %d", i, len(rps))
	}
}

// chunkReader returns at most n bytes per Read, to cut frames across reads.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.n, len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}
