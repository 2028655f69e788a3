package hj212

import (
	"errors"
	"fmt"
	"io"
	"time"

	"lantian/ingest/reading"
)

// PayloadDecoder decodes HJ 212 text received as an MQTT payload on lantian/hj212/<MN>: the
// ingest pipeline's route of that topic family, beside package jsonreading's routes of the
// JSON families. It has the method set of the pipeline's PacketDecoder.
type PayloadDecoder struct {
	Registry Registry
	// Location of DataTime (Beijing time when nil).
	Location *time.Location
	// MaxPacket caps one frame (DefaultMaxPacket when 0).
	MaxPacket int
	// Extras: see MapOptions.Extras.
	Extras bool
}

// DecodePackets decodes a payload holding one or more frames, with or without line ends. A
// message is acknowledged as a whole, so the payload is all or nothing: any rejected frame, a
// frame whose MN is not the topic's, an unknown device or a wrong password fails the payload
// with a *reading.Rejection of reason hj212 wrapping this package's error (the caller
// dead-letters it). Frames without monitoring data (heartbeats, answers) are skipped; bytes
// between frames are ignored.
func (d *PayloadDecoder) DecodePackets(mn string, payload []byte) ([]reading.Reading, error) {
	rs, err := d.decode(mn, payload)
	if err != nil {
		return nil, &reading.Rejection{Reason: reading.ReasonHJ212, Err: err}
	}
	return rs, nil
}

func (d *PayloadDecoder) decode(mn string, payload []byte) ([]reading.Reading, error) {
	sp := NewBytesSplitter(payload, d.MaxPacket)
	var out []reading.Reading
	frames := 0
	for {
		frame, err := sp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, ErrJunk) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hj212 payload of %s, frame %d: %w", mn, frames+1, err)
		}
		frames++
		p, err := Parse(frame)
		if err != nil {
			return nil, fmt.Errorf("hj212 payload of %s, frame %d: %w", mn, frames, err)
		}
		if mn != "" && p.MN != mn {
			return nil, &FieldError{Field: "MN", Value: p.MN, Err: fmt.Errorf("topic says %q: %w", mn, ErrField)}
		}
		if !p.HasData() {
			continue
		}
		rs, err := Readings(p, d.Registry, MapOptions{Location: d.Location, Extras: d.Extras})
		if err != nil {
			return nil, fmt.Errorf("hj212 payload of %s, frame %d: %w", mn, frames, err)
		}
		out = append(out, rs...)
	}
	if frames == 0 {
		return nil, fmt.Errorf("hj212 payload of %s: no frame found: %w", mn, ErrHeader)
	}
	return out, nil
}
