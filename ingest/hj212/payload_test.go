package hj212

import (
	"errors"
	"lantian/ingest/reading"
	"testing"
)

func TestPayloadDecoder(t *testing.T) {
	d := &PayloadDecoder{Registry: testRegistry()}
	mn := "TESTAIR0000000000000001"
	// Several frames, no line ends, a heartbeat-like answer among them.
	rs, err := d.DecodePackets(mn, []byte(exAirRtd+exAirAnswer+"\r\n"+exAirRtd))
	if err != nil || len(rs) != 2 || rs[0].Station != "AIR-01" {
		t.Fatalf("%v %+v", err, rs)
	}
	for _, tc := range []struct {
		name    string
		mn      string
		payload string
		is      error
	}{
		{"bad CRC", mn, exAirRtd[:len(exAirRtd)-1] + "0", ErrCRC},
		{"topic MN differs", "OTHER", exAirRtd, ErrField},
		{"unknown device", "", string(frame(t, "ST=22;CN=2011;PW=1;MN=NOPE;CP=&&DataTime=20240315100000;a34004-Rtd=1&&")), ErrUnknownDevice},
		{"no frame", mn, "hello", ErrHeader},
		{"too large", mn, "##9999", ErrTooLarge},
	} {
		_, err := d.DecodePackets(tc.mn, []byte(tc.payload))
		if !errors.Is(err, tc.is) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.is)
		}
		if reading.ReasonOf(err) != reading.ReasonHJ212 {
			t.Errorf("%s: reason %q, want %q", tc.name, reading.ReasonOf(err), reading.ReasonHJ212)
		}
	}
}
