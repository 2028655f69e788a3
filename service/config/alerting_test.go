package config

import (
	"strings"
	"testing"
	"time"

	"lantian/alert/source"
	"lantian/ingest/registry"
)

func alertingConfig(t *testing.T, yamlText string) Config {
	t.Helper()
	cfg := Default()
	cfg.Alertmanager, cfg.SourceMonitoring = defaultAlerting()
	cfg.Sources = []registry.Source{{ID: "px", Area: "changji", Industry: "power",
		Outlets: []registry.Outlet{{ID: "DA001", Limits: map[string]float64{"nox": 40}}}}}
	if err := Decode([]byte(yamlText), &cfg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return cfg
}

func TestAlertingDefaultsAreValid(t *testing.T) {
	cfg := alertingConfig(t, "")
	if errs := cfg.validateAlerting(); len(errs) > 0 {
		t.Fatalf("defaults invalid: %v", errs)
	}
	if !cfg.SourceMonitoring.Enabled || cfg.SourceMonitoring.Rules.Lateness != 15*time.Minute {
		t.Errorf("defaults: %+v", cfg.SourceMonitoring)
	}
}

func TestAlertingYAMLKeys(t *testing.T) {
	cfg := alertingConfig(t, `
alertmanager:
  urls: [http://127.0.0.1:9093]
  resend_interval: 30s
source_monitoring:
  check_interval: 30s
  expected_interval: 30s
  expected_intervals: {px/DA001: 1h}
  presets: {px/DA001: ultra-low-coal-power}
  outlet_idle: {px/DA001: {flow_m3h: 20000}}
  stop_orders:
    - {source: px, from: 2026-11-15T00:00:00+08:00, to: 2027-03-15T00:00:00+08:00, reference: 昌州环发〔2026〕1号}
  lateness: 30m
  quality:
    flat_hours: 6
    weights: {flat_line: 25}
`)
	if errs := cfg.validateAlerting(); len(errs) > 0 {
		t.Fatalf("invalid: %v", errs)
	}
	sm := cfg.SourceMonitoring
	if sm.Rules.Lateness != 30*time.Minute || sm.Rules.Quality.FlatHours != 6 || sm.Rules.Quality.Weights[source.RuleFlatLine] != 25 ||
		sm.Rules.Quality.Weights[source.RuleSilent] != 20 || sm.Rules.Quality.SilentHours != 3 {
		t.Errorf("rules not merged over defaults: %+v", sm.Rules)
	}
	lim, err := cfg.SourceMonitoring.Limits(cfg.Sources)
	if err != nil {
		t.Fatal(err)
	}
	if l := lim[source.OutletKey{Source: "px", Outlet: "DA001"}]; l.Preset != "ultra-low-coal-power" || l.Values["nox"] != 40 || l.Values["so2"] != 35 {
		t.Errorf("limits: %+v", l)
	}
	rules, err := cfg.SourceMonitoring.RuleConfig(cfg.Location())
	if err != nil || rules.IdleFor(source.OutletKey{Source: "px", Outlet: "DA001"}).FlowM3h != 20000 {
		t.Errorf("idle override: %+v %v", rules.IdleByOutlet, err)
	}
	if stops := cfg.SourceMonitoring.StopPeriods(); len(stops) != 1 || stops[0].Source != "px" {
		t.Errorf("stops: %+v", stops)
	}
}

func TestAlertingStrictAndValidated(t *testing.T) {
	cfg := Default()
	if err := Decode([]byte("source_monitoring:\n  no_such_key: 1\n"), &cfg); err == nil {
		t.Error("unknown key accepted")
	}
	cases := map[string]string{
		"alertmanager:\n  urls: [ftp://x]\n":                                                                          "alertmanager.urls[0]",
		"alertmanager:\n  max_attempts: 0\n":                                                                          "max_attempts",
		"source_monitoring:\n  check_interval: 1ms\n":                                                                 "check_interval",
		"source_monitoring:\n  presets: {px/DA001: no-such-preset}\n":                                                 "unknown limit preset",
		"source_monitoring:\n  presets: {px/DA009: ultra-low-coal-power}\n":                                           "not in the registry",
		"source_monitoring:\n  expected_intervals: {px: 1h}\n":                                                        "source/outlet",
		"source_monitoring:\n  min_valid_fraction: 2\n":                                                               "min_valid_fraction",
		"source_monitoring:\n  quality: {weights: {made_up: 3}}\n":                                                    "unknown rule",
		"source_monitoring:\n  quality: {flat_fields: [pm25]}\n":                                                      "flat_fields",
		"source_monitoring:\n  stop_orders: [{source: nope, from: 2026-01-02T00:00:00Z, to: 2026-01-01T00:00:00Z}]\n": "stop_orders[0]",
	}
	for text, want := range cases {
		cfg := alertingConfig(t, text)
		var msgs []string
		for _, e := range cfg.validateAlerting() {
			msgs = append(msgs, e.Error())
		}
		if !strings.Contains(strings.Join(msgs, "\n"), want) {
			t.Errorf("%q: errors %q, want one mentioning %q", text, msgs, want)
		}
	}
	off := alertingConfig(t, "source_monitoring:\n  enabled: false\n  check_interval: 0s\n")
	if errs := off.validateAlerting(); len(errs) > 0 {
		t.Errorf("disabled monitoring validated: %v", errs)
	}
}
