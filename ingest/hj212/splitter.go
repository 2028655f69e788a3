package hj212

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxPacket caps a frame ("##" through CRC) when the caller gives no cap. The 2017 text
// allows 1024 data bytes, but real devices send more (1623 seen), so the cap is generous while
// still bounding memory per connection.
const DefaultMaxPacket = 4096

// minMaxPacket keeps a silly cap from making every frame "too large".
const minMaxPacket = 64

// readChunk is how much the splitter asks the reader for at most per Read.
const readChunk = 4096

// Splitter cuts an HJ 212 byte stream (TCP, a file, an MQTT payload) into frames. It delimits by
// the length field, not by CR LF, tolerates junk between frames and frames without a line end,
// and resynchronises after damaged frames. Memory is bounded by maxPacket plus one read chunk
// whatever the input.
type Splitter struct {
	r          io.Reader
	max        int
	buf        []byte
	start, end int
	eof        bool
	rerr       error
	off        int64 // stream offset of buf[start]
	quietUntil int64 // bytes before this offset were part of a reported bad frame
	junkN      int
	junkOff    int64
	junkSample []byte
	junkTotal  int64
	// inPlace: buf is the caller's whole input, read and never written; frames alias it.
	inPlace bool
}

// NewSplitter reads frames from r. maxPacket caps a frame's size including "##", the length
// field and the CRC; values <= 0 select DefaultMaxPacket.
func NewSplitter(r io.Reader, maxPacket int) *Splitter {
	if maxPacket <= 0 {
		maxPacket = DefaultMaxPacket
	}
	maxPacket = max(maxPacket, minMaxPacket)
	return &Splitter{r: r, max: maxPacket, buf: make([]byte, maxPacket+readChunk)}
}

// NewBytesSplitter cuts frames out of b, which is the whole input: a payload already in memory,
// such as an MQTT message, needs no buffer of the splitter's own. b is never written, and the
// frames Next returns are slices of it.
func NewBytesSplitter(b []byte, maxPacket int) *Splitter {
	if maxPacket <= 0 {
		maxPacket = DefaultMaxPacket
	}
	maxPacket = max(maxPacket, minMaxPacket)
	return &Splitter{max: maxPacket, buf: b, end: len(b), eof: true, inPlace: true}
}

// JunkBytes is the number of bytes dropped outside frames so far (white space excluded).
func (s *Splitter) JunkBytes() int64 { return s.junkTotal }

// Next returns the next frame, "##" through the CRC, without the line end. The slice is the
// caller's.
//
// Errors: io.EOF at the end of the stream; a *FrameError (errors.Is with ErrCRC, ErrLength,
// ErrTooLarge, ErrJunk, ErrTruncated) for something rejected while the stream stays usable —
// for CRC and length errors the frame is also returned so it can be parsed for diagnostics and
// dead-lettered; any other error is a read error and ends the stream.
func (s *Splitter) Next() ([]byte, error) {
	for {
		w := s.buf[s.start:s.end]
		k, partial := findHeader(w, 0)
		if k < 0 {
			keep := partial
			if s.done() {
				keep = len(w)
			}
			s.discard(keep)
			if s.done() {
				if fe := s.takeJunk(); fe != nil {
					return nil, fe
				}
				return nil, s.endErr()
			}
			if s.junkN >= s.max {
				return nil, s.takeJunk()
			}
			if err := s.fill(); err != nil {
				return nil, err
			}
			continue
		}
		// Report junk before the frame that follows it, so errors come in stream order.
		s.discard(k)
		if fe := s.takeJunk(); fe != nil {
			return nil, fe
		}
		if k > 0 {
			continue
		}
		frame, err, more := s.cut(w)
		if more {
			if err := s.fill(); err != nil {
				return nil, err
			}
			continue
		}
		if frame == nil && err == nil {
			continue
		}
		return frame, err
	}
}

// cut handles a window that starts with "##dddd". It either asks for more data, or consumes
// bytes and returns a frame and/or a *FrameError, or consumes bytes and returns nothing (the
// caller loops).
func (s *Splitter) cut(w []byte) (frame []byte, err error, more bool) {
	l, _ := digits4(w[2:6])
	total := 6 + l + 4
	if total > s.max {
		fe := &FrameError{Offset: s.off, Raw: bytes.Clone(w[:6]), Err: &TooLargeError{Size: total, Max: s.max}}
		s.quietUntil = s.off + int64(total)
		s.consume(2)
		return nil, fe, false
	}
	// The next frame header, if one shows up before this frame's declared end, proves bytes
	// were lost: the frame cannot extend past it.
	h, _ := findHeader(w, 2)
	if len(w) < total && h < 0 && !s.done() {
		return nil, nil, true
	}
	if len(w) >= total && (h < 0 || h >= total) {
		fc := checkFrame(w[:total])
		if fc.err == nil || aligned(w[:total]) {
			return s.emit(total, fc.err)
		}
	}
	// The declared length does not delimit a frame: look for the real end, "&&" and four hex
	// digits followed by a line end, the next frame or the end of the stream.
	lim := len(w)
	if h >= 0 {
		lim = h
	}
	lim = min(lim, s.max)
	e, waiting := s.findEnd(w, lim)
	if e > 0 {
		return s.emit(e, checkFrame(w[:e]).err)
	}
	if waiting {
		return nil, nil, true
	}
	// Nothing recognisable: report what we have and rescan after "##", because the true next
	// frame may start inside these bytes.
	var cause error
	n := min(len(w), total)
	if h >= 0 {
		n = h
	}
	if n >= total {
		cause = checkFrame(w[:total]).err
	} else {
		where := "end of the stream"
		if h >= 0 {
			where = "next frame"
		}
		cause = fmt.Errorf("%w: declared %d data bytes, only %d bytes before the %s", ErrTruncated, l,
			max(n-6, 0), where)
	}
	fe := &FrameError{Offset: s.off, Raw: bytes.Clone(w[:min(n, s.max)]), Err: cause}
	if h >= 0 {
		s.consume(h)
	} else {
		s.quietUntil = s.off + int64(n)
		s.consume(2)
	}
	return nil, fe, false
}

// aligned reports whether a frame's declared extent ends like a frame: "&&" and four hex digits.
// A frame that fails its CRC but is aligned is taken as one damaged frame rather than rescanned.
func aligned(f []byte) bool {
	if len(f) < 12 || f[len(f)-6] != '&' || f[len(f)-5] != '&' {
		return false
	}
	_, ok := parseHex4(f[len(f)-4:])
	return ok
}

// findEnd finds the first end of a frame in w[:lim]. waiting means the answer depends on bytes
// not read yet.
func (s *Splitter) findEnd(w []byte, lim int) (end int, waiting bool) {
	canWait := !s.done() && lim == len(w) && len(w) < s.max
	for i := 6; i < lim; {
		j := bytes.Index(w[i:lim], []byte("&&"))
		if j < 0 {
			break
		}
		j += i
		e := j + 6
		if e > lim {
			return -1, canWait
		}
		if _, ok := parseHex4(w[j+2 : e]); ok {
			if e < len(w) {
				if c := w[e]; c == '\r' || c == '\n' || c == '#' {
					return e, false
				}
			} else if s.done() {
				return e, false
			} else if canWait {
				return -1, true
			}
		}
		i = j + 1
	}
	return -1, canWait
}

func (s *Splitter) emit(n int, cause error) ([]byte, error, bool) {
	frame := s.buf[s.start : s.start+n : s.start+n]
	if !s.inPlace {
		frame = bytes.Clone(frame)
	}
	off := s.off
	s.consume(n)
	if cause != nil {
		return frame, &FrameError{Offset: off, Raw: frame, Err: cause}, false
	}
	return frame, nil, false
}

func (s *Splitter) consume(n int) {
	s.start += n
	s.off += int64(n)
}

// discard drops n bytes as junk; white space (line ends between frames) and bytes inside a
// reported bad frame are not reported again.
func (s *Splitter) discard(n int) {
	for i, c := range s.buf[s.start : s.start+n] {
		o := s.off + int64(i)
		if o < s.quietUntil || c == '\r' || c == '\n' || c == ' ' || c == '\t' {
			continue
		}
		s.junkTotal++
		if s.junkN == 0 {
			s.junkOff = o
		}
		s.junkN++
		if len(s.junkSample) < 32 {
			s.junkSample = append(s.junkSample, c)
		}
	}
	s.consume(n)
}

func (s *Splitter) takeJunk() error {
	if s.junkN == 0 {
		return nil
	}
	fe := &FrameError{Offset: s.junkOff, Raw: s.junkSample, Err: &JunkError{Bytes: s.junkN, Sample: s.junkSample}}
	s.junkN, s.junkSample = 0, nil
	return fe
}

func (s *Splitter) done() bool { return s.eof || s.rerr != nil }

func (s *Splitter) endErr() error {
	if s.rerr != nil {
		return fmt.Errorf("hj212: read: %w", s.rerr)
	}
	return io.EOF
}

// fill reads once. It returns an error only when the reader keeps returning nothing.
func (s *Splitter) fill() error {
	if s.done() {
		// Nothing more will come; callers only wait for more before the end, and an in-place
		// buffer must not be compacted.
		return nil
	}
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if s.end == len(s.buf) {
		// Unreachable by construction (every wait is for < max bytes); fail safe, not forever.
		return fmt.Errorf("hj212: splitter buffer full: %w", io.ErrShortBuffer)
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:min(len(s.buf), s.end+readChunk)])
		s.end += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				s.eof = true
			} else {
				s.rerr = err
			}
			return nil
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("hj212: read: %w", io.ErrNoProgress)
}

// findHeader finds "##" and four digits at or after from. When none is complete, partial is the
// index where an incomplete one could start (len(w) if nothing could).
func findHeader(w []byte, from int) (k, partial int) {
	for k = from; k < len(w); k++ {
		i := bytes.IndexByte(w[k:], '#')
		if i < 0 {
			break
		}
		k += i
		switch headerAt(w, k) {
		case 1:
			return k, -1
		case 0:
			return -1, k
		}
	}
	return -1, len(w)
}

// headerAt: 1 = "##dddd" at k, 0 = the bytes from k could still become one, -1 = no.
func headerAt(w []byte, k int) int {
	for i := range 6 {
		if k+i >= len(w) {
			return 0
		}
		c := w[k+i]
		if i < 2 {
			if c != '#' {
				return -1
			}
		} else if c < '0' || c > '9' {
			return -1
		}
	}
	return 1
}
