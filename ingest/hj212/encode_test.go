package hj212

import (
	"errors"
	"strings"
	"testing"
)

// TestEncodeWorkedExamples rebuilds the worked example packets (examples_test.go) byte for byte.
func TestEncodeWorkedExamples(t *testing.T) {
	for _, want := range []string{exAirRtd, exAirAnswer, exCEMSHour, exCEMSSplit1, ex2005Rtd, exInfoUTF8, exStandard} {
		p, err := Parse([]byte(want))
		if err != nil {
			t.Fatal(err)
		}
		cp := p.Data[strings.Index(p.Data, "CP=&&")+5 : strings.LastIndex(p.Data, "&&")]
		got, err := Encode(p.Header, cp)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want+"\r\n" {
			t.Errorf("Encode:\n%q\nwant\n%q", got, want)
		}
		if FormatCP(p.CP) != cp {
			t.Errorf("FormatCP:\n%q\nwant\n%q", FormatCP(p.CP), cp)
		}
	}
}

func TestReplies(t *testing.T) {
	up, _ := Parse([]byte(exAirRtd))
	got, err := DataReply(up)
	if err != nil || string(got) != exAirAnswer+"\r\n" {
		t.Errorf("9014 to the air upload:\n%q\nwant\n%q (%v)", got, exAirAnswer, err)
	}
	for _, tc := range []struct {
		name  string
		build func(*Packet) ([]byte, error)
		want  string
	}{
		{"9011 2017", func(p *Packet) ([]byte, error) { return RequestReply(p, QnBadCRC) },
			"QN=20240315103000123;ST=91;CN=9011;PW=123456;MN=TESTAIR0000000000000001;Flag=4;CP=&&QnRtn=9&&"},
		{"9012 2017", func(p *Packet) ([]byte, error) { return ExecReply(p, ExeSuccess) },
			"QN=20240315103000123;ST=91;CN=9012;PW=123456;MN=TESTAIR0000000000000001;Flag=4;CP=&&ExeRtn=1&&"},
		{"9013 2017", NoticeReply,
			"QN=20240315103000123;ST=91;CN=9013;PW=123456;MN=TESTAIR0000000000000001;Flag=4;CP=&&&&"},
	} {
		got, err := tc.build(up)
		p, perr := Parse(got)
		if err != nil || perr != nil || p.Data != tc.want {
			t.Errorf("%s: %q (%v %v), want data %q", tc.name, got, err, perr, tc.want)
		}
	}

	// 2005 senders get the request QN inside CP.
	old, _ := Parse(frame(t, "QN=20160824001252000;ST=32;CN=2011;PW=123456;MN=LD130102000147;Flag=3;PNUM=2;PNO=1;CP=&&DataTime=20160824001200;B01-Rtd=1&&"))
	for _, tc := range []struct {
		build func(*Packet) ([]byte, error)
		want  string
	}{
		{DataReply, "ST=91;CN=9014;PW=123456;MN=LD130102000147;Flag=0;CP=&&QN=20160824001252000;CN=2011;PNO=1;PNUM=2&&"},
		{func(p *Packet) ([]byte, error) { return RequestReply(p, QnReady) },
			"ST=91;CN=9011;PW=123456;MN=LD130102000147;Flag=0;CP=&&QN=20160824001252000;QnRtn=1&&"},
		{NoticeReply, "ST=91;CN=9013;PW=123456;MN=LD130102000147;Flag=0;CP=&&QN=20160824001252000&&"},
	} {
		got, _ := tc.build(old)
		p, err := Parse(got)
		if err != nil || p.Data != tc.want {
			t.Errorf("2005 reply %q, want %q (%v)", got, tc.want, err)
		}
	}
	// A 2025 sender (Flag 9) gets its edition bits back.
	new25, _ := Parse(frame(t, "QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=9;CP=&&&&"))
	got, _ = DataReply(new25)
	if p, _ := Parse(got); p.Flag != 8 {
		t.Errorf("2025 reply flag %d", p.Flag)
	}
}

func TestFrameLimits(t *testing.T) {
	_, err := Frame(make([]byte, MaxDataSegment+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized data segment: %v", err)
	}
	f, err := Frame(nil)
	if err != nil || string(f) != "##0000FFFF\r\n" {
		t.Errorf("%q %v", f, err)
	}
}
