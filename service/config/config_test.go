package config

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

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

// The sections owned by component packages keep their keys, defaults and strictness.
func TestComponentSectionsDecode(t *testing.T) {
	cfg := Default()
	err := Decode([]byte(`
mqtt:
  tls: {ca_file: /etc/ca.pem}
  max_payload_bytes: 64KiB
spool: {max_bytes: 1GiB}
dead_letter: {max_files: 3}
hj212:
  devices: [{mn: "123", flow_unit: m3/s}]
alertmanager:
  max_attempts: 7
  generator_url: http://console:8080/
warnings:
  scheme: "2018"
  regions: [{id: wcs, min_areas: 2}]
  recompute_interval: 5m
  tokens: [{name: a, role: viewer, token: abcdefghijklmnopq}]
`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTT.TLS.CAFile != "/etc/ca.pem" || cfg.MQTT.MaxPayloadBytes != 64<<10 || cfg.MQTT.Workers != 4 ||
		cfg.Spool.MaxBytes != 1<<30 || cfg.Spool.AlarmRatio != 0.5 || cfg.DeadLetter.MaxFiles != 3 ||
		len(cfg.HJ212.Devices) != 1 || cfg.HJ212.Devices[0].FlowUnit != "m3/s" || cfg.HJ212.MaxConnections != 1024 ||
		cfg.Alertmanager.MaxAttempts != 7 || cfg.Alertmanager.QueueSize != 1000 || cfg.Alertmanager.GeneratorURL != "http://console:8080/" ||
		cfg.Warnings.Grading.Scheme != "2018" || cfg.Warnings.Regions[0].MinAreas != 2 || cfg.Warnings.RecomputeInterval.Minutes() != 5 ||
		!cfg.Warnings.Observed || len(cfg.Warnings.Tokens) != 1 {
		t.Fatalf("decoded %+v", cfg)
	}
	for _, bad := range []string{"alertmanager:\n  batch_size: 3\n", "warnings:\n  component: x\n", "hj212:\n  devices: [{mn: x, pw: y}]\n"} {
		c := Default()
		if err := Decode([]byte(bad), &c); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
