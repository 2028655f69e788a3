package hj212

import (
	"bytes"
	"strings"
	"testing"
)

func TestMaskPasswordHidesEveryPW(t *testing.T) {
	for in, want := range map[string]string{
		"##0101QN=20240315103000123;ST=22;CN=2011;PW=123456;MN=X;Flag=5;CP=&&DataTime=20240315103000&&ABCD": "##0101QN=20240315103000123;ST=22;CN=2011;PW=***;MN=X;Flag=5;CP=&&DataTime=20240315103000&&ABCD",
		"ST=91;CN=1072;PW=old;MN=X;CP=&&NewPW=s3cret&&":                                                     "ST=91;CN=1072;PW=***;MN=X;CP=&&NewPW=***&&",
		"no password here": "no password here",
		"PW=":              "PW=",
		"tail;PW=abc":      "tail;PW=***",
	} {
		orig := []byte(in)
		if got := string(MaskPassword(orig)); got != want {
			t.Errorf("MaskPassword(%q) = %q, want %q", in, got, want)
		}
		if string(orig) != in {
			t.Errorf("input modified: %q", orig)
		}
	}
}

func FuzzMaskPasswordLeavesNoPassword(f *testing.F) {
	f.Add([]byte("QN=1;PW=123456;MN=X"), "123456")
	f.Add([]byte("PW=a&&NewPW=bb"), "bb")
	f.Fuzz(func(t *testing.T, raw []byte, pw string) {
		if pw == "" || strings.ContainsAny(pw, ";&,\r\n") || strings.Contains(pw, "*") {
			return
		}
		pkt := append(append(bytes.Clone(raw), ";PW="+pw+";"...), raw...)
		if bytes.Contains(MaskPassword(pkt), []byte("PW="+pw)) {
			t.Fatalf("PW=%s left in %q", pw, MaskPassword(pkt))
		}
	})
}
