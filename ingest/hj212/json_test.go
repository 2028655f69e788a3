package hj212

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestDecodeJSON(t *testing.T) {
	in := "#comment line\n" + exAirRtd + "\r\n" + exAirRtd[:len(exAirRtd)-4] + "8d00\n" + "##9999xyz\n" + ex2005Rtd
	var out bytes.Buffer
	if err := DecodeJSON(strings.NewReader(in), &out, time.UTC); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d objects:\n%s", len(lines), out.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ok": true, "crc_ok": true, "qn": "20240315103000123", "st": "22", "cn": "2011",
		"mn": "TESTAIR0000000000000001", "flag": 5.0, "data_time": "2024-03-15T10:30:00Z"}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("%s = %v, want %v", k, first[k], v)
		}
	}
	vals := first["values"].(map[string]any)["a34004"].(map[string]any)
	if vals["Rtd"] != 35.2 || vals["Flag"] != "N" {
		t.Errorf("values %v", vals)
	}
	var bad, big, old DecodedJSON
	json.Unmarshal([]byte(lines[1]), &bad)
	json.Unmarshal([]byte(lines[2]), &big)
	json.Unmarshal([]byte(lines[3]), &old)
	if bad.OK || bad.CRCOK || bad.Reason != "crc" || bad.MN != "TESTAIR0000000000000001" || bad.Values["a34004"]["Rtd"] != 35.2 {
		t.Errorf("bad CRC: %+v", bad)
	}
	if big.OK || big.Reason != "truncated" { // the CLI cap admits any length field
		t.Errorf("too large: %+v", big)
	}
	if !old.OK || old.Flag != nil || old.Values["01"]["ZsRtd"] != 15.3 {
		t.Errorf("2005: %+v", old)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestDecodeJSONIOErrors(t *testing.T) {
	if err := DecodeJSON(strings.NewReader(exAirRtd), failWriter{}, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	boom := errors.New("read failed")
	err := DecodeJSON(io.MultiReader(strings.NewReader(exAirRtd), errReader{boom}), io.Discard, nil)
	if !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
}
