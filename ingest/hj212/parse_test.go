package hj212

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// frame builds a correct frame around a data segment, for deviation tests.
func frame(t testing.TB, data string) []byte {
	t.Helper()
	f, err := Frame([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseWorkedExamples(t *testing.T) {
	p, err := Parse([]byte(exAirRtd))
	if err != nil {
		t.Fatal(err)
	}
	if p.QN != "20240315103000123" || p.ST != "22" || p.CN != "2011" || p.PW != "123456" ||
		p.MN != "TESTAIR0000000000000001" || !p.HasFlag || p.Flag != 5 || p.IsSplit() || !p.AnswerWanted() {
		t.Errorf("header: %+v", p.Header)
	}
	if len(p.CP) != 13 || p.CP[1] != (Item{Name: "a34004-Rtd", Code: "a34004", Suffix: "Rtd", Value: "35.2", Group: 1}) {
		t.Errorf("CP: %+v", p.CP)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings on a clean packet: %v", p.Warnings)
	}

	p, err = Parse([]byte(exCEMSSplit1))
	if err != nil || !p.IsSplit() || p.PNUM != 2 || p.PNO != 1 || !p.Flag.Split() || p.Flag.Version() != 1 {
		t.Errorf("split: %+v %v", p, err)
	}

	p, err = Parse([]byte(ex2005Rtd))
	if err != nil || p.HasFlag || p.QN != "" || p.AnswerWanted() {
		t.Errorf("2005: %+v %v", p.Header, err)
	}

	// UTF-8 text inside //…//: four Chinese characters count 12 bytes.
	p, err = Parse([]byte(exInfoUTF8))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := p.Param("PolId"); v != "a34004" {
		t.Errorf("PolId %q", v)
	}
	if last := p.CP[len(p.CP)-1]; last.Code != "i11001" || last.Suffix != "Info" || last.Value != "仪器维护" {
		t.Errorf("info item %+v", last)
	}
}

func TestFlagBits(t *testing.T) {
	for f := 0; f <= 11; f++ {
		data := "QN=20240315103000123;ST=22;CN=2011;PW=123456;MN=M1;Flag=" + itoa(f) + ";CP=&&DataTime=20240315103000;a34004-Rtd=1&&"
		p, err := Parse(frame(t, data))
		if err != nil {
			t.Fatal(err)
		}
		if p.AnswerWanted() != (f&1 == 1) || p.Flag.Split() != (f&2 == 2) || p.Flag.Version() != f>>2 {
			t.Errorf("Flag=%d: answer=%v split=%v version=%d", f, p.AnswerWanted(), p.Flag.Split(), p.Flag.Version())
		}
		// Splitting is decided by PNUM/PNO, never by bit D alone.
		if p.IsSplit() {
			t.Errorf("Flag=%d without PNUM/PNO taken as split", f)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return "1" + string(rune('0'+n-10))
}

// TestCommandCodes parses a packet of every command family and checks what the gateway would
// do with it.
func TestCommandCodes(t *testing.T) {
	for _, tc := range []struct {
		cn   string
		cp   string
		kind cnKind
	}{
		{"2011", "DataTime=20240315103000;a34004-Rtd=1", cnData},
		{"2051", "DataTime=20240315103000;a34004-Avg=1", cnData},
		{"2061", "DataTime=20240315100000;a34004-Avg=1", cnData},
		{"2031", "DataTime=20240315000000;a34004-Avg=1", cnData},
		{"2051", "BeginTime=20240315000000;EndTime=20240315010000", cnUpload},
		{"2021", "DataTime=20240315103000;SB1-RS=1", cnUpload},
		{"2041", "DataTime=20240315000000;SB1-RT=23.5", cnUpload},
		{"2081", "DataTime=20240315103000;RestartTime=20240315102000", cnUpload},
		{"3020", "DataTime=20240315103000;i11001-Info=//x//", cnUpload},
		{"1013", "", cnNotice},
		{"2072", "AlarmTime=20160823235559;B01-Ala=16.00,AlarmType=1", cnNotice},
		{"9011", "QnRtn=1", cnAnswer},
		{"9012", "ExeRtn=1", cnAnswer},
		{"9013", "", cnAnswer},
		{"9014", "", cnAnswer},
		{"8013", "HeartbeatTime=120", cnAnswer},
		{"1062", "RtdInterval=30", cnRequest},
		{"3011", "PolId=a21026", cnRequest},
		{"4567", "", cnUnknown},
	} {
		p, err := Parse(frame(t, "QN=20240315103000123;ST=22;CN="+tc.cn+";PW=123456;MN=M1;Flag=5;CP=&&"+tc.cp+"&&"))
		if err != nil {
			t.Errorf("CN=%s: %v", tc.cn, err)
			continue
		}
		if got := classifyCN(p); got != tc.kind {
			t.Errorf("CN=%s %q: kind %d, want %d", tc.cn, tc.cp, got, tc.kind)
		}
	}
}

// TestTolerated covers what real senders get wrong but is still usable.
func TestTolerated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  string
		check func(t *testing.T, p *Packet)
		warn  string
	}{
		{"MN before PW", "QN=1;ST=22;CN=2011;MN=M1;PW=123456;Flag=4;CP=&&DataTime=20240315103000;a34004-Rtd=1&&",
			func(t *testing.T, p *Packet) {
				if p.MN != "M1" || p.PW != "123456" {
					t.Error(p.Header)
				}
			}, "order"},
		{"upper-case FLAG", "ST=22;CN=2011;PW=1;MN=M1;FLAG=5;CP=&&&&",
			func(t *testing.T, p *Packet) {
				if !p.HasFlag || p.Flag != 5 {
					t.Error(p.Header)
				}
			}, "spelled"},
		{"stray comma before MN", "ST=22;CN=2011;PW=1;,MN=M1;CP=&&&&",
			func(t *testing.T, p *Packet) {
				if p.MN != "M1" {
					t.Error(p.Header)
				}
			}, "stray"},
		{"PNO before PNUM, zero padded, no Flag", "QN=1;ST=31;CN=2051;PW=1;MN=M1;PNO=0002;PNUM=0002;CP=&&DataTime=20230327090000;a01006-Avg=101.85,a01006-ValidNum=10&&",
			func(t *testing.T, p *Packet) {
				if !p.IsSplit() || p.PNO != 2 || p.PNUM != 2 || p.HasFlag {
					t.Error(p.Header)
				}
				if p.CP[2].Suffix != "ValidNum" {
					t.Error(p.CP)
				}
			}, ""},
		{"trailing ; before &&", "ST=22;CN=2011;PW=1;MN=M1;CP=&&DataTime=20240315103000;a34001-Rtd=217,a34001-Flag=N;&&",
			func(t *testing.T, p *Packet) {
				if len(p.CP) != 3 {
					t.Error(p.CP)
				}
			}, ""},
		{"CP with a space", "ST=91;CN=9014;PW=1;MN=M1;Flag=4;CP=&& &&",
			func(t *testing.T, p *Packet) {
				if len(p.CP) != 0 {
					t.Error(p.CP)
				}
			}, ""},
		{"suffix case and spaces, unknown suffixes kept", "ST=22;CN=2011;PW=1;MN=M1;CP=&&DataTime=20240315103000;a21004- rtd=5,a21004-flag=n;LA-td=50.1;FANSTATUS=1&&",
			func(t *testing.T, p *Packet) {
				if p.CP[1].Code != "a21004" || p.CP[1].Suffix != "Rtd" || p.CP[2].Suffix != "Flag" {
					t.Error(p.CP)
				}
				if p.CP[3].Code != "LA" || p.CP[3].Suffix != "td" {
					t.Error(p.CP[3])
				}
				if v, ok := p.Param("fanstatus"); !ok || v != "1" {
					t.Error("plain vendor item lost")
				}
			}, ""},
		{"17-digit DataTime", "ST=31;CN=2011;PW=1;MN=M1;CP=&&DataTime=20160823234320123;S01-Rtd=20.4&&",
			func(t *testing.T, p *Packet) {
				tm, err := p.DataTime(nil)
				want := time.Date(2016, 8, 23, 23, 43, 20, 123e6, Beijing())
				if err != nil || !tm.Equal(want) {
					t.Error(tm, err)
				}
			}, ""},
		{"Info text holding separators", "ST=22;CN=3020;PW=1;MN=M1;CP=&&DataTime=20240315103000;i11001-Info=//a;b,c=d//;a34004-Rtd=3&&",
			func(t *testing.T, p *Packet) {
				if len(p.CP) != 3 || p.CP[1].Value != "a;b,c=d" || p.CP[2].Value != "3" {
					t.Error(p.CP)
				}
			}, ""},
		{"2005 answer with QN inside CP", "ST=91;CN=9011;PW=123456;MN=LD130107000188;Flag=0;CP=&&QN=20160824000504006;QnRtn=1&&",
			func(t *testing.T, p *Packet) {
				if p.QN != "" || p.CN != "9011" {
					t.Error(p.Header)
				}
				if v, _ := p.Param("QN"); v != "20160824000504006" {
					t.Error(p.CP)
				}
			}, ""},
		{"unknown header field", "ST=22;CN=2011;PW=1;MN=M1;RF=xyz;CP=&&&&",
			func(t *testing.T, p *Packet) {
				if len(p.Extra) != 1 || p.Extra[0].Name != "RF" {
					t.Error(p.Extra)
				}
			}, "unknown header"},
		{"ST with NULs", "ST=\x00\x00;CN=2011;PW=1;MN=M1;CP=&&&&",
			func(t *testing.T, p *Packet) {
				if p.ST != "" {
					t.Errorf("%q", p.ST)
				}
			}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(frame(t, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
			if tc.warn != "" && !strings.Contains(strings.Join(p.Warnings, "|"), tc.warn) {
				t.Errorf("no %q warning in %v", tc.warn, p.Warnings)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	good := exAirRtd
	for _, tc := range []struct {
		name   string
		frame  string
		is     error
		packet bool // fields still available
	}{
		{"no ##", good[1:], ErrHeader, false},
		{"length not digits", "##02x2" + good[6:], ErrHeader, false},
		{"too short", "##0000", ErrHeader, false},
		{"CRC wrong", good[:len(good)-4] + "8D00", ErrCRC, true},
		{"CRC not hex", good[:len(good)-4] + "8DZ1", ErrCRC, true},
		{"length wrong", "##0281" + good[6:], ErrLength, true},
		{"missing CN", string(frame(t, "ST=22;PW=1;MN=M1;CP=&&&&")), ErrField, true},
		{"CN not 4 digits", string(frame(t, "ST=22;CN=C11;PW=1;MN=M1;CP=&&&&")), ErrField, true},
		{"missing MN", string(frame(t, "ST=22;CN=2011;PW=1;CP=&&&&")), ErrField, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.frame))
			if !errors.Is(err, tc.is) {
				t.Fatalf("err %v, want %v", err, tc.is)
			}
			if (p != nil) != tc.packet {
				t.Fatalf("packet %v", p)
			}
			if p != nil && (errors.Is(err, ErrCRC) || errors.Is(err, ErrLength)) && p.Trusted() {
				t.Error("bad frame trusted")
			}
		})
	}
	// Typed details.
	_, err := Parse([]byte(good[:len(good)-4] + "8D00"))
	var ce *CRCError
	if !errors.As(err, &ce) || ce.Expected != 0x8D01 || ce.Actual != 0x8D00 || ce.Foreign {
		t.Errorf("%#v", ce)
	}
	_, err = Parse([]byte("##0281" + good[6:]))
	var le *LengthError
	if !errors.As(err, &le) || le.Declared != 281 || le.Actual != 282 {
		t.Errorf("%#v", le)
	}
	if Reason(err) != "length" {
		t.Errorf("reason %q", Reason(err))
	}
	var fe *FieldError
	_, err = Parse(frame(t, "ST=22;CN=2011;PW=1;CP=&&&&"))
	if !errors.As(err, &fe) || fe.Field != "MN" {
		t.Errorf("%v", err)
	}
}

// TestCharacterLength: senders that count characters (C#/Java string length) are accepted when
// the CRC proves the content, and rejected otherwise.
func TestCharacterLength(t *testing.T) {
	data := exInfoUTF8[6 : len(exInfoUTF8)-4]
	runes := len([]rune(data))
	f := "##" + fmt.Sprintf("%04d", runes) + data + exInfoUTF8[len(exInfoUTF8)-4:]
	p, err := Parse([]byte(f))
	if err != nil || !p.Trusted() || !strings.Contains(strings.Join(p.Warnings, "|"), "characters") {
		t.Fatalf("character-counted length: %v %v", err, p.Warnings)
	}
	_, err = Parse([]byte(f[:len(f)-4] + "0000"))
	if !errors.Is(err, ErrLength) || !errors.Is(err, ErrCRC) {
		t.Fatalf("character-counted length with a bad CRC: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	loc := time.UTC
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"20240315103000", time.Date(2024, 3, 15, 10, 30, 0, 0, loc), true},
		{"20240315103000250", time.Date(2024, 3, 15, 10, 30, 0, 250e6, loc), true},
		{" 20240315103000 ", time.Date(2024, 3, 15, 10, 30, 0, 0, loc), true},
		{"202403151030", time.Time{}, false},
		{"20241315103000", time.Time{}, false},
		{"2024031510300x", time.Time{}, false},
	} {
		got, err := ParseTime(tc.in, loc)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%q: %v %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrTime) {
			t.Errorf("%q: not ErrTime: %v", tc.in, err)
		}
	}
	got, _ := ParseTime("20240315103000", nil)
	if got.UTC() != time.Date(2024, 3, 15, 2, 30, 0, 0, time.UTC) {
		t.Errorf("default zone is not Beijing: %v", got)
	}
}
