package hj212

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCRCCheckValues(t *testing.T) {
	for _, tc := range []struct {
		in         string
		hj, modbus uint16
	}{
		{"", 0xFFFF, 0xFFFF},
		{"A", 0x7080, 0x707F},
		{"123456789", 0x2F80, 0x4B37},
	} {
		if got := CRC([]byte(tc.in)); got != tc.hj {
			t.Errorf("CRC(%q) = %04X, want %04X", tc.in, got, tc.hj)
		}
		if got := crcModbus([]byte(tc.in)); got != tc.modbus {
			t.Errorf("modbus(%q) = %04X, want %04X", tc.in, got, tc.modbus)
		}
	}
}

// TestCRCTrace follows the register byte by byte through "CN=9014".
func TestCRCTrace(t *testing.T) {
	want := []uint16{0xB101, 0x4040, 0x21C0, 0x0A00, 0x1380, 0x1980, 0x1DC0}
	in := "CN=9014"
	for i := range in {
		if got := CRC([]byte(in[:i+1])); got != want[i] {
			t.Errorf("after %q: %04X, want %04X", in[:i+1], got, want[i])
		}
	}
}

func TestCRCWorkedExamples(t *testing.T) {
	for _, tc := range []struct{ frame, crc string }{
		{exStandard, "1C80"},
		{exAirRtd, "8D01"},
		{exAirAnswer, "A3C1"},
		{exCEMSHour, "D801"},
		{exCEMSSplit1, "1E00"},
		{ex2005Rtd, "0280"},
		{exInfoUTF8, "3300"},
	} {
		data := tc.frame[6 : len(tc.frame)-4]
		if got := fmt.Sprintf("%04X", CRC([]byte(data))); got != tc.crc {
			t.Errorf("%.30s…: CRC %s, want %s", tc.frame, got, tc.crc)
		}
		if _, err := Parse([]byte(tc.frame + "\r\n")); err != nil {
			t.Errorf("%.30s…: %v", tc.frame, err)
		}
		// Lower-case CRCs are accepted (several implementations print them).
		lower := tc.frame[:len(tc.frame)-4] + strings.ToLower(tc.crc)
		if _, err := Parse([]byte(lower)); err != nil {
			t.Errorf("lower-case CRC rejected: %v", err)
		}
	}
	// The misprint in the standard's prose must not pass.
	_, err := Parse([]byte(exStandard[:len(exStandard)-4] + "1C08"))
	var ce *CRCError
	if !errors.As(err, &ce) || ce.Expected != 0x1C80 || ce.Actual != 0x1C08 || !ce.Foreign {
		t.Errorf("1C08: got %v", err)
	}
}

// TestCRCLowByte checks the property the diagnostics rely on: an HJ 212 CRC's low byte is one
// of eight values.
func TestCRCLowByte(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64)
	for range 20000 {
		n := r.IntN(len(buf))
		for i := range n {
			buf[i] = byte(r.UintN(256))
		}
		v := CRC(buf[:n])
		if !possibleHJ212CRC(v) {
			t.Fatalf("CRC %04X has an impossible low byte", v)
		}
		if w := crcBitwise(buf[:n], 0xFFFF); v != w {
			t.Fatalf("table %04X, bitwise %04X", v, w)
		}
	}
}
