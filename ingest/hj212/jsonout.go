package hj212

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// DecodedJSON is one line of DecodeJSON's output.
type DecodedJSON struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Reason   string `json:"reason,omitempty"`
	CRCOK    bool   `json:"crc_ok"`
	LengthOK bool   `json:"length_ok"`
	QN       string `json:"qn,omitempty"`
	ST       string `json:"st,omitempty"`
	CN       string `json:"cn,omitempty"`
	MN       string `json:"mn,omitempty"`
	// Flag is null when the packet has no Flag field (2005 style).
	Flag     *int   `json:"flag"`
	PNUM     int    `json:"pnum,omitempty"`
	PNO      int    `json:"pno,omitempty"`
	DataTime string `json:"data_time,omitempty"`
	// Values groups the CP items with a code: code → suffix → number (or string for flags,
	// times, text and anything not numeric). A repeated code/suffix keeps the last value.
	Values map[string]map[string]any `json:"values,omitempty"`
	// Params are the CP items without a code (QnRtn, RtdInterval, RestartTime, …), DataTime
	// excluded.
	Params   map[string]string `json:"params,omitempty"`
	Warnings []string          `json:"warnings,omitempty"`
	// Raw is the frame as received with its password masked (PW=***).
	Raw string `json:"raw"`
}

// DecodeJSON reads frames from r (one per line, or a raw captured stream) and writes one JSON
// object per frame to w. Bytes outside frames (comments, DTU binary, heartbeats) are skipped.
// Bad frames are reported in the JSON, not as an error: only read and write errors are returned.
// DataTime is read in loc (Beijing time when nil) and printed as RFC 3339.
func DecodeJSON(r io.Reader, w io.Writer, loc *time.Location) error {
	_, err := DecodeJSONCount(r, w, loc)
	return err
}

// DecodeCounts sums up a DecodeJSONCount run.
type DecodeCounts struct {
	// Frames is the number of JSON lines written: frames and rejected fragments.
	Frames int
	// Decoded counts the frames with ok=true, Rejected the others.
	Decoded, Rejected int
	// JunkBytes is the number of bytes outside frames that were skipped.
	JunkBytes int64
}

// DecodeJSONCount is DecodeJSON that also counts what it wrote.
func DecodeJSONCount(r io.Reader, w io.Writer, loc *time.Location) (DecodeCounts, error) {
	var n DecodeCounts
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	// A command-line tool can afford the largest frame the length field allows.
	sp := NewSplitter(r, MaxDataSegment+10)
	for {
		frame, err := sp.Next()
		if errors.Is(err, io.EOF) {
			n.JunkBytes = sp.JunkBytes()
			return n, nil
		}
		var fe *FrameError
		if err != nil && !errors.As(err, &fe) {
			return n, fmt.Errorf("hj212: decode: %w", err)
		}
		if errors.Is(err, ErrJunk) {
			continue
		}
		var out DecodedJSON
		if frame != nil {
			out = DescribePacket(frame, loc)
		} else {
			out = DecodedJSON{Raw: string(MaskPassword(fe.Raw))}
		}
		if err != nil && out.Error == "" {
			out.OK, out.Error, out.Reason = false, err.Error(), Reason(err)
		}
		if err := enc.Encode(&out); err != nil {
			return n, fmt.Errorf("hj212: decode: write: %w", err)
		}
		n.Frames++
		if out.OK {
			n.Decoded++
		} else {
			n.Rejected++
		}
	}
}

// DescribePacket parses one frame and describes it in the decode JSON shape, including fields
// of frames that failed their checks (marked ok=false) for diagnostics.
func DescribePacket(frame []byte, loc *time.Location) DecodedJSON {
	p, err := Parse(frame)
	if p == nil {
		return DecodedJSON{Error: err.Error(), Reason: Reason(err), Raw: string(MaskPassword(frame))}
	}
	out := DecodedJSON{
		CRCOK:    p.CRCOK,
		LengthOK: p.LengthOK,
		QN:       p.QN,
		ST:       p.ST,
		CN:       p.CN,
		MN:       p.MN,
		PNUM:     p.PNUM,
		PNO:      p.PNO,
		Raw:      string(MaskPassword(p.Raw)),
	}
	if p.HasFlag {
		f := int(p.Flag)
		out.Flag = &f
	}
	if err == nil {
		if p.HasData() {
			_, err = p.DataTime(loc)
		}
	}
	if s, ok := p.Param("DataTime"); ok {
		if t, terr := ParseTime(s, loc); terr == nil {
			out.DataTime = t.Format(time.RFC3339Nano)
		} else if err == nil {
			err = &FieldError{Field: "DataTime", Value: s, Err: terr}
		}
	}
	for _, it := range p.CP {
		if it.Code == "" {
			if it.Name != "DataTime" {
				if out.Params == nil {
					out.Params = map[string]string{}
				}
				out.Params[it.Name] = it.Value
			}
			continue
		}
		if out.Values == nil {
			out.Values = map[string]map[string]any{}
		}
		m := out.Values[it.Code]
		if m == nil {
			m = map[string]any{}
			out.Values[it.Code] = m
		}
		m[it.Suffix] = jsonValue(it)
	}
	out.Warnings = p.Warnings
	out.OK = err == nil
	if err != nil {
		out.Error, out.Reason = err.Error(), Reason(err)
	}
	return out
}

func jsonValue(it Item) any {
	switch it.Suffix {
	case "Flag", "EFlag", "ZsFlag", "SampleTime", "SN", "Info":
		return it.Value
	}
	if v, ok := parseNumber(it.Value); ok {
		return v
	}
	return it.Value
}
