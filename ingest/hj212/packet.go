package hj212

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Flags is the header's Flag field: bit 0 A (answer wanted), bit 1 D (split message, PNUM/PNO
// present), bits 2-7 the edition (0 HJ/T 212-2005, 1 HJ 212-2017, 2 HJ 212-2025).
type Flags uint8

// The two bits every edition defines.
const (
	FlagAnswer Flags = 1 << 0 // A: the receiver must answer
	FlagSplit  Flags = 1 << 1 // D: PNUM and PNO present
)

// AnswerWanted reports bit A: the sender waits for a 9013/9014 answer.
func (f Flags) AnswerWanted() bool { return f&FlagAnswer != 0 }

// Split reports bit D. Real senders set it without sending PNUM/PNO, so decide splitting with
// Header.IsSplit instead.
func (f Flags) Split() bool { return f&FlagSplit != 0 }

// Version is the edition number in bits 2-7: 0 = 2005, 1 = 2017, 2 = 2025.
func (f Flags) Version() int { return int(f >> 2) }

// Header is the data segment's fixed fields. Zero values mean "absent".
type Header struct {
	QN      string
	ST      string
	CN      string
	PW      string
	MN      string
	Flag    Flags
	HasFlag bool // a missing Flag means 2005 style: no answer, no split
	PNUM    int
	PNO     int
}

// IsSplit reports whether this packet is one part of a split message. It looks at PNUM/PNO, not
// at bit D, because Flag=7 without PNUM/PNO is seen in real traffic.
func (h *Header) IsSplit() bool { return h.PNUM > 1 && h.PNO > 0 }

// AnswerWanted reports whether the sender asked for an answer (bit A of a present Flag).
func (h *Header) AnswerWanted() bool { return h.HasFlag && h.Flag.AnswerWanted() }

// Item is one name=value pair of the CP area. For "a34004-Rtd=35.2" Code is "a34004" and Suffix
// "Rtd"; plain names like DataTime have an empty Code and Suffix. Known suffixes are normalised
// to the standard's spelling; unknown ones are kept as sent. Group counts the ';'-separated
// groups, so a -Flag can be tied to the values it follows.
type Item struct {
	Name   string
	Code   string
	Suffix string
	Value  string
	Group  int
}

// Packet is a decoded frame. When Parse returns a frame-level error (length, CRC) the fields are
// still filled for diagnostics, but Trusted reports false and nothing should be stored from it.
type Packet struct {
	Header
	// Raw is the frame as received, "##" through CRC, without the line end.
	Raw []byte
	// Declared is the length field; Data the data segment as delimited by the frame.
	Declared int
	Data     string
	// CRCText is the checksum as received.
	CRCText  string
	CRCOK    bool
	LengthOK bool
	// Extra holds header fields other than the known ones (kept, never fatal).
	Extra []Item
	// CP holds the data area items in order.
	CP []Item
	// Warnings lists tolerated deviations (field order, stray separators, character-counted
	// length, unknown fields...).
	Warnings []string
}

// Trusted reports whether the frame checks passed, i.e. the fields are what the sender sent.
func (p *Packet) Trusted() bool { return p.CRCOK && p.LengthOK }

// HasData reports whether the packet carries monitoring data: a data CN (2011, 2051, 2061,
// 2031) with at least one coded item. A CN=2051 from a platform asking for history has only
// BeginTime/EndTime and is a request, not data.
func (p *Packet) HasData() bool {
	if _, ok := PeriodOf(p.CN); !ok {
		return false
	}
	for i := range p.CP {
		if p.CP[i].Code != "" {
			return true
		}
	}
	return false
}

// Param returns the value of a plain CP item (no "-suffix"), matching the name
// case-insensitively; the last occurrence wins.
func (p *Packet) Param(name string) (string, bool) {
	for i := len(p.CP) - 1; i >= 0; i-- {
		it := &p.CP[i]
		if it.Code == "" && strings.EqualFold(it.Name, name) {
			return it.Value, true
		}
	}
	return "", false
}

// DataTime parses the CP DataTime in loc (Beijing time when loc is nil).
func (p *Packet) DataTime(loc *time.Location) (time.Time, error) {
	s, ok := p.Param("DataTime")
	if !ok {
		return time.Time{}, &FieldError{Field: "DataTime", Err: fmt.Errorf("missing: %w", ErrTime)}
	}
	t, err := ParseTime(s, loc)
	if err != nil {
		return time.Time{}, &FieldError{Field: "DataTime", Value: s, Err: err}
	}
	return t, nil
}

// Beijing is the default zone of HJ 212 time stamps. A fixed UTC+8 is exact for every date an
// HJ 212 device can send (China has had no daylight saving since 1991) and needs no tzdata.
func Beijing() *time.Location { return beijing }

// beijing is shared and never changed (a *time.Location is immutable); making it per call
// allocated on every packet.
var beijing = time.FixedZone("CST", 8*3600)

// ParseTime parses an HJ 212 time stamp: YYYYMMDDhhmmss, or with milliseconds appended (17
// digits, the most common form in 2005-era traffic). Surrounding spaces are tolerated.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = Beijing()
	}
	s = strings.TrimSpace(s)
	if len(s) != 14 && len(s) != 17 {
		return time.Time{}, fmt.Errorf("%d digits, want 14 or 17: %w", len(s), ErrTime)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, fmt.Errorf("non-digit %q: %w", s[i], ErrTime)
		}
	}
	t, err := time.ParseInLocation("20060102150405", s[:14], loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %w", ErrTime, err)
	}
	if len(s) == 17 {
		ms, _ := strconv.Atoi(s[14:])
		t = t.Add(time.Duration(ms) * time.Millisecond)
	}
	return t, nil
}

// frameCheck is the outcome of checking one frame's envelope.
type frameCheck struct {
	declared int
	data     []byte
	crcText  []byte
	lengthOK bool
	runeLen  bool // length matched only when counting characters
	crcOK    bool
	err      error // nil, ErrHeader-wrapping, or a join of *LengthError and *CRCError
}

// checkFrame checks "##", the length field and the CRC of a frame that runs from "##" to the
// last CRC character (no line end).
func checkFrame(frame []byte) frameCheck {
	var fc frameCheck
	if len(frame) < 10 || frame[0] != '#' || frame[1] != '#' {
		fc.err = fmt.Errorf("%w: want \"##\", 4 digits, data, 4-digit CRC (got %d bytes starting %q)",
			ErrHeader, len(frame), clip(frame, 8))
		return fc
	}
	n, ok := digits4(frame[2:6])
	if !ok {
		fc.err = fmt.Errorf("%w: length field %q is not 4 digits", ErrHeader, frame[2:6])
		return fc
	}
	fc.declared = n
	fc.data = frame[6 : len(frame)-4]
	fc.crcText = frame[len(frame)-4:]
	var errs []error
	switch {
	case len(fc.data) == n:
		fc.lengthOK = true
	case utf8.RuneCount(fc.data) == n:
		// C# and Java senders count characters; the CRC below still guards the content.
		fc.lengthOK, fc.runeLen = true, true
	default:
		errs = append(errs, &LengthError{Declared: n, Actual: len(fc.data), Runes: utf8.RuneCount(fc.data)})
	}
	want := CRC(fc.data)
	got, hexOK := parseHex4(fc.crcText)
	if hexOK && got == want {
		fc.crcOK = true
	} else {
		ce := &CRCError{Expected: want, Actual: got, Text: string(fc.crcText)}
		if hexOK {
			ce.Foreign = !possibleHJ212CRC(got)
			m := crcModbus(fc.data)
			switch got {
			case m:
				ce.Variant = "CRC-16/MODBUS"
			case m>>8 | m<<8:
				ce.Variant = "CRC-16/MODBUS, low byte first"
			}
		} else {
			ce.Foreign = true
		}
		errs = append(errs, ce)
	}
	if fc.runeLen && !fc.crcOK {
		// A character count only excuses the length when the content is proven intact.
		fc.lengthOK = false
		errs = append([]error{&LengthError{Declared: n, Actual: len(fc.data), Runes: n}}, errs...)
	}
	fc.err = errors.Join(errs...)
	return fc
}

func digits4(b []byte) (int, bool) {
	if len(b) != 4 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Parse decodes one frame ("##" through the CRC; leading and trailing white space and the line
// end are ignored). A nil error means the frame is intact and the header usable.
//
// Frame errors (*LengthError, *CRCError, joined when both apply) still return a filled Packet
// with Trusted() == false, for diagnostics and dead letters. A header that is not "##dddd"
// returns a nil Packet. Missing CN or MN returns the packet and a *FieldError.
func Parse(frame []byte) (*Packet, error) {
	frame = bytes.TrimSpace(frame)
	fc := checkFrame(frame)
	if errors.Is(fc.err, ErrHeader) {
		return nil, fc.err
	}
	p := &Packet{
		Raw:      frame,
		Declared: fc.declared,
		Data:     string(fc.data),
		CRCText:  string(fc.crcText),
		CRCOK:    fc.crcOK,
		LengthOK: fc.lengthOK,
	}
	if fc.runeLen {
		p.warn("length field counts characters, not UTF-8 bytes")
	}
	perr := p.parseData()
	if fc.err != nil {
		return p, fc.err
	}
	return p, perr
}

func (p *Packet) warn(format string, args ...any) {
	// Cap the list: a hostile packet must not make us build thousands of strings.
	if len(p.Warnings) < 32 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
	}
}

// trimField removes what real senders leave around header fields: spaces, stray commas, NULs.
func trimField(s string) string {
	return strings.Trim(s, " \t\r\n,\x00")
}

// parseData reads the header fields by name in any order; everything after "CP=" is the CP.
func (p *Packet) parseData() error {
	d := p.Data
	var seen [numHeaderFields]bool
	var order [16]byte // header field ids in arrival order, for the order warning
	n := 0
	cpFound := false
	for pos := 0; pos < len(d); {
		raw := d[pos:]
		next := len(d)
		if i := strings.IndexByte(raw, ';'); i >= 0 {
			raw, next = raw[:i], pos+i+1
		}
		field := trimField(raw)
		if field == "" {
			p.warn("empty header field")
			pos = next
			continue
		}
		if field != strings.TrimSpace(raw) {
			p.warn("stray characters around header field %q", field)
		}
		eq := strings.IndexByte(field, '=')
		if eq < 0 {
			p.warn("header field %q has no '='", field)
			pos = next
			continue
		}
		name := strings.TrimSpace(field[:eq])
		val := strings.TrimSpace(field[eq+1:])
		id := headerFieldID(name)
		if id != fieldUnknown && name != headerFieldNames[id] {
			p.warn("header field name %q spelled unusually", name)
		}
		if id == fieldCP {
			// The CP value is the rest of the data segment, separators included.
			p.parseCP(d[pos+strings.IndexByte(raw, '=')+1:])
			cpFound = true
			if n < len(order) {
				order[n] = byte(id)
				n++
			}
			break
		}
		switch id {
		case fieldQN:
			p.QN = val
		case fieldST:
			p.ST = val
		case fieldCN:
			p.CN = val
		case fieldPW:
			p.PW = val
		case fieldMN:
			p.MN = val
		case fieldFlag:
			v, err := strconv.ParseUint(val, 10, 8)
			if err != nil {
				p.warn("Flag=%q is not 0-255; ignored", val)
			} else {
				p.Flag, p.HasFlag = Flags(v), true
			}
		case fieldPNUM, fieldPNO:
			v, err := strconv.Atoi(val)
			if err != nil || v < 0 || v > 9999 {
				p.warn("%s=%q is not a packet count; ignored", headerFieldNames[id], val)
				v = 0
			}
			if id == fieldPNUM {
				p.PNUM = v
			} else {
				p.PNO = v
			}
		default:
			p.Extra = append(p.Extra, Item{Name: name, Value: val})
			p.warn("unknown header field %q kept", name)
			pos = next
			continue
		}
		if seen[id] {
			p.warn("header field %s repeated; last value kept", headerFieldNames[id])
		}
		seen[id] = true
		if n < len(order) {
			order[n] = byte(id)
			n++
		}
		pos = next
	}
	if !cpFound {
		p.warn("no CP field")
	}
	if !inStandardOrder(order[:n], false) && !inStandardOrder(order[:n], true) {
		p.warn("header fields out of standard order")
	}
	if (p.PNUM > 0 || p.PNO > 0) && (p.PNO > p.PNUM || p.PNO == 0) {
		p.warn("PNO=%d of PNUM=%d is inconsistent", p.PNO, p.PNUM)
	}
	if p.HasFlag && p.Flag.Split() && p.PNUM == 0 {
		p.warn("Flag has bit D but no PNUM/PNO; treated as not split")
	}
	switch {
	case p.CN == "":
		return &FieldError{Field: "CN", Err: fmt.Errorf("missing: %w", ErrField)}
	case !isDigits(p.CN, 4):
		return &FieldError{Field: "CN", Value: p.CN, Err: fmt.Errorf("not 4 digits: %w", ErrField)}
	case p.MN == "":
		return &FieldError{Field: "MN", Err: fmt.Errorf("missing: %w", ErrField)}
	}
	return nil
}

// Header field ids, in the 2017 text's order.
const (
	fieldQN = iota
	fieldST
	fieldCN
	fieldPW
	fieldMN
	fieldFlag
	fieldPNUM
	fieldPNO
	fieldCP
	fieldUnknown
	numHeaderFields
)

var headerFieldNames = [numHeaderFields]string{"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "CP", ""}

func headerFieldID(name string) int {
	for id, std := range headerFieldNames[:fieldUnknown] {
		if strings.EqualFold(name, std) {
			return id
		}
	}
	return fieldUnknown
}

// inStandardOrder accepts the 2017 order and, with f2005, the 2005 table's order (QN, PNUM, PNO
// first).
func inStandardOrder(order []byte, f2005 bool) bool {
	rank := func(id byte) int {
		if f2005 {
			switch id {
			case fieldQN:
				return -3
			case fieldPNUM:
				return -2
			case fieldPNO:
				return -1
			}
		}
		return int(id)
	}
	for i := 1; i < len(order); i++ {
		if rank(order[i]) < rank(order[i-1]) {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCP reads "&&items&&". The closing "&&" is the last one in the segment, because values
// could contain '&' but the CRC follows the CP directly.
func (p *Packet) parseCP(v string) {
	s := strings.TrimLeft(v, " ")
	if !strings.HasPrefix(s, "&&") {
		p.warn("CP does not start with &&")
	} else {
		s = s[2:]
	}
	if end := strings.LastIndex(s, "&&"); end >= 0 {
		if rest := strings.TrimSpace(s[end+2:]); rest != "" {
			p.warn("text after closing && of CP")
		}
		s = s[:end]
	} else {
		p.warn("CP has no closing &&")
	}
	group := 0
	stray := false
	p.CP = make([]Item, 0, strings.Count(s, "="))
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ';' && s[j] != ',' {
			j++
		}
		name := strings.TrimSpace(s[i:j])
		if j == len(s) || s[j] != '=' {
			if name != "" {
				p.warn("CP item %q has no '='; kept with empty value", name)
				p.CP = append(p.CP, newItem(name, "", group))
			} else if j < len(s) || i > 0 {
				stray = true
			}
			if j < len(s) && s[j] == ';' {
				group++
			}
			i = j + 1
			continue
		}
		k := j + 1
		for k < len(s) && s[k] == ' ' {
			k++
		}
		var val string
		if strings.HasPrefix(s[k:], "//") {
			// Text items (-Info logs) are wrapped in //…// and may hold ';' and ','.
			end := strings.Index(s[k+2:], "//")
			if end < 0 {
				val, k = s[k+2:], len(s)
				p.warn("text value of %q not closed by //", name)
			} else {
				val = s[k+2 : k+2+end]
				k += 2 + end + 2
			}
			for k < len(s) && s[k] != ';' && s[k] != ',' {
				k++
			}
		} else {
			for k < len(s) && s[k] != ';' && s[k] != ',' {
				k++
			}
			val = strings.TrimSpace(s[j+1 : k])
		}
		if name == "" {
			p.warn("CP item with empty name")
		} else {
			p.CP = append(p.CP, newItem(name, val, group))
		}
		if k < len(s) && s[k] == ';' {
			group++
		}
		i = k + 1
	}
	if stray {
		p.warn("stray separators in CP")
	}
}

func newItem(name, val string, group int) Item {
	it := Item{Name: name, Value: val, Group: group}
	if dash := strings.IndexByte(name, '-'); dash > 0 {
		it.Code = strings.TrimSpace(name[:dash])
		it.Suffix = canonicalSuffix(strings.TrimSpace(name[dash+1:]))
	}
	return it
}

// knownSuffixes are the item suffixes of both editions (and common vendor ones) in the
// standard's spelling.
var knownSuffixes = [...]string{"Rtd", "Min", "Avg", "Max", "Cou", "Flag", "EFlag", "SampleTime",
	"ZsRtd", "ZsMin", "ZsAvg", "ZsMax", "ZsCou", "ZsFlag", "Info", "SN", "Data", "DayData",
	"NightData", "Ala", "UpValue", "LowValue", "RS", "RT", "ValidNum", "TotalNum"}

// canonicalSuffix maps a suffix to the standard's spelling, case-insensitively; vendor gear
// sends "-flag" or "-RTD". Unknown suffixes are returned unchanged.
func canonicalSuffix(s string) string {
	for _, k := range knownSuffixes {
		if k == s {
			return k
		}
	}
	for _, k := range knownSuffixes {
		if strings.EqualFold(k, s) {
			return k
		}
	}
	return s
}
