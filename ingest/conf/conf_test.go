package conf

import (
	"strings"
	"testing"
)

func TestByteSizes(t *testing.T) {
	cases := map[string]ByteSize{"1048576": 1 << 20, "512KiB": 512 << 10, "64MiB": 64 << 20, "2GiB": 2 << 30,
		"100MB": 100e6, "1GB": 1e9, "10 MiB": 10 << 20, "0": 0}
	for in, want := range cases {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.5GiB", "ten", "1TiB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRedactURLHidesPasswordsOnly(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://lantian:s3cret@broker:1883":         "tcp://lantian:xxxxx@broker:1883",
		"http://admin:p%40ss@am:9093/alertmanager": "http://admin:xxxxx@am:9093/alertmanager",
		"tcp://broker:1883":                        "tcp://broker:1883",
		"http://token@am:9093":                     "http://token@am:9093",
		"::not a url:pw@x":                         "[unparsable url]",
	} {
		got := RedactURL(in)
		if got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, "p%40ss") {
			t.Errorf("password left in %q", got)
		}
	}
}
