package config

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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

func TestSecretsNeverPrint(t *testing.T) {
	cfg := Default()
	cfg.MQTT.Password = "hunter2"
	cfg.Influx.Token = "tok-123"
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	printed := fmt.Sprintf("%v %+v %s", cfg, cfg, out)
	if strings.Contains(printed, "hunter2") || strings.Contains(printed, "tok-123") {
		t.Fatal("a secret was printed")
	}
	if cfg.MQTT.Password.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the secret")
	}
}

func TestDefaultsAreValidAndFlagsAloneSuffice(t *testing.T) {
	cfg := Default()
	if err := cfg.Resolve(); err != nil {
		t.Fatalf("built-in defaults do not validate: %v", err)
	}
	if len(cfg.Targets) != 7 || len(cfg.Areas) != 11 {
		t.Fatalf("plan areas/targets missing from the defaults: %d areas, %d targets", len(cfg.Areas), len(cfg.Targets))
	}
}

func TestUnknownKeyIsAnErrorWithItsLine(t *testing.T) {
	cfg := Default()
	err := Decode([]byte("influx:\n  url: http://x:8086\n  bukcet: a/b\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "bukcet") {
		t.Fatalf("got %v", err)
	}
}

func TestSectionsKeepDefaultsForOmittedKeys(t *testing.T) {
	cfg := Default()
	if err := Decode([]byte("influx:\n  url: http://db:8086\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Influx.URL != "http://db:8086" || cfg.Influx.BatchSize != 5000 || cfg.Influx.Bucket != "lantian/autogen" {
		t.Fatalf("got %+v", cfg.Influx)
	}
}
