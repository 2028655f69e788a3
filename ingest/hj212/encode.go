package hj212

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxDataSegment is the largest data segment the 4-digit length field can describe.
const MaxDataSegment = 9999

// Frame wraps a data segment: "##", the 4-digit byte length, the data, the upper-case CRC and
// CR LF.
func Frame(data []byte) ([]byte, error) {
	if len(data) > MaxDataSegment {
		return nil, fmt.Errorf("hj212: encode: data segment of %d bytes: %w", len(data),
			&TooLargeError{Size: len(data) + 12, Max: MaxDataSegment + 12})
	}
	out := make([]byte, 0, len(data)+12)
	out = append(out, '#', '#')
	out = append(out, fmt.Sprintf("%04d", len(data))...)
	out = append(out, data...)
	out = appendCRC(out, CRC(data))
	return append(out, '\r', '\n'), nil
}

// Encode builds a frame from header fields and CP content (the text between "CP=&&" and "&&").
// Fields are written in the 2017 order; empty QN, PW and MN and an absent Flag are omitted, and
// PNUM/PNO are written only when PNUM > 0.
func Encode(h Header, cp string) ([]byte, error) {
	var b strings.Builder
	field := func(name, val string) {
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(val)
		b.WriteByte(';')
	}
	if h.QN != "" {
		field("QN", h.QN)
	}
	field("ST", h.ST)
	field("CN", h.CN)
	if h.PW != "" {
		field("PW", h.PW)
	}
	if h.MN != "" {
		field("MN", h.MN)
	}
	if h.HasFlag {
		field("Flag", strconv.Itoa(int(h.Flag)))
	}
	if h.PNUM > 0 {
		field("PNUM", strconv.Itoa(h.PNUM))
		field("PNO", strconv.Itoa(h.PNO))
	}
	b.WriteString("CP=&&")
	b.WriteString(cp)
	b.WriteString("&&")
	return Frame([]byte(b.String()))
}

// FormatCP joins items into CP content: items of the same Group with ',', groups with ';'.
// Items with a Code are written as Code-Suffix, others by Name; -Info values and values holding
// separators are wrapped in //…//.
func FormatCP(items []Item) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			if it.Group != items[i-1].Group {
				b.WriteByte(';')
			} else {
				b.WriteByte(',')
			}
		}
		if it.Code != "" {
			b.WriteString(it.Code)
			b.WriteByte('-')
			b.WriteString(it.Suffix)
		} else {
			b.WriteString(it.Name)
		}
		b.WriteByte('=')
		if it.Suffix == "Info" || strings.ContainsAny(it.Value, ";,&") {
			// Text items travel inside //…// (2017 Table B.10) so separators survive.
			b.WriteString("//" + it.Value + "//")
		} else {
			b.WriteString(it.Value)
		}
	}
	return b.String()
}

// FormatTime writes an HJ 212 time stamp (14 digits) in loc (Beijing time when nil).
func FormatTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = Beijing()
	}
	return t.In(loc).Format("20060102150405")
}

// NewQN makes a request id from a time: YYYYMMDDhhmmsszzz in loc.
func NewQN(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = Beijing()
	}
	t = t.In(loc)
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

// replyHeader is the common header of an answer to p: ST=91, same PW and MN, the sender's
// edition bits with A and D cleared. For 2005 senders (edition 0 or no Flag) the request's QN
// goes into CP instead of the header, as HJ/T 212-2005 Appendix C shows.
func replyHeader(p *Packet, cn string) (Header, bool) {
	h := Header{ST: "91", CN: cn, PW: p.PW, MN: p.MN, HasFlag: true}
	modern := p.HasFlag && p.Flag.Version() > 0
	if modern {
		h.QN = p.QN
		h.Flag = Flags(p.Flag.Version() << 2)
	}
	return h, modern
}

// DataReply builds the CN=9014 data answer to an upload. 2017 style:
// QN=<same>;ST=91;CN=9014;PW;MN;Flag=4;CP=&&&&. 2005 style: CP=&&QN=<qn>;CN=<cn>[;PNO;PNUM]&&.
func DataReply(p *Packet) ([]byte, error) {
	h, modern := replyHeader(p, "9014")
	if modern {
		return Encode(h, "")
	}
	cp := []string{}
	if p.QN != "" {
		cp = append(cp, "QN="+p.QN)
	}
	cp = append(cp, "CN="+p.CN)
	if p.PNUM > 0 {
		cp = append(cp, "PNO="+strconv.Itoa(p.PNO), "PNUM="+strconv.Itoa(p.PNUM))
	}
	return Encode(h, strings.Join(cp, ";"))
}

// NoticeReply builds the CN=9013 answer to a notice (e.g. CN=1013).
func NoticeReply(p *Packet) ([]byte, error) {
	h, modern := replyHeader(p, "9013")
	if modern || p.QN == "" {
		return Encode(h, "")
	}
	return Encode(h, "QN="+p.QN)
}

// Answer codes of CN=9011 (QnRtn).
const (
	QnReady      = 1
	QnRefused    = 2
	QnBadPW      = 3
	QnBadMN      = 4
	QnBadST      = 5
	QnBadFlag    = 6
	QnBadQN      = 7
	QnBadCN      = 8
	QnBadCRC     = 9
	QnUnknownErr = 100
)

// Execution results of CN=9012 (ExeRtn).
const (
	ExeSuccess   = 1
	ExeFailed    = 2
	ExeBadParams = 3
	ExeTimeout   = 4
	ExeBusy      = 5
	ExeFault     = 6
	ExeNoData    = 100
)

// RequestReply builds the CN=9011 request answer with QnRtn.
func RequestReply(p *Packet, qnRtn int) ([]byte, error) {
	return rtnReply(p, "9011", "QnRtn", qnRtn)
}

// ExecReply builds the CN=9012 execution result with ExeRtn.
func ExecReply(p *Packet, exeRtn int) ([]byte, error) {
	return rtnReply(p, "9012", "ExeRtn", exeRtn)
}

func rtnReply(p *Packet, cn, name string, code int) ([]byte, error) {
	h, modern := replyHeader(p, cn)
	cp := name + "=" + strconv.Itoa(code)
	if !modern && p.QN != "" {
		cp = "QN=" + p.QN + ";" + cp
	}
	return Encode(h, cp)
}
