package dashboards

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tool finds a binary that `make test` installs (deploy/dev/install-system-deps.sh). A missing
// tool fails the test: skipping would pass a build that never checked the deployment.
func tool(t *testing.T, name string, paths ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range paths {
		if p, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s not found: run `make tools` (deploy/dev/install-system-deps.sh)", name)
	return ""
}

func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPrometheusConfig(t *testing.T) {
	promtool := tool(t, "promtool", "/usr/bin/promtool")
	deploy := filepath.Join(repoRoot(t), "deploy")
	run(t, deploy, promtool, "check", "config", "prometheus.yml")
	out := run(t, deploy, promtool, "check", "rules", "prometheus/rules/lantian.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules: %s", out)
	}
	run(t, deploy, promtool, "test", "rules", "prometheus/tests.yml")
}

// TestPrometheusRulesTested: every alert has a test group that names it.
func TestPrometheusRulesTested(t *testing.T) {
	deploy := filepath.Join(repoRoot(t), "deploy")
	rules := readYAML(t, filepath.Join(deploy, "prometheus", "rules", "lantian.yml"))
	tests := readYAML(t, filepath.Join(deploy, "prometheus", "tests.yml"))
	tested := map[string]int{}
	for _, g := range tests["tests"].([]any) {
		for _, a := range g.(map[string]any)["alert_rule_test"].([]any) {
			at := a.(map[string]any)
			firing := len(at["exp_alerts"].([]any)) > 0
			name := at["alertname"].(string)
			if firing {
				tested[name] |= 1
			} else {
				tested[name] |= 2
			}
		}
	}
	for _, g := range rules["groups"].([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			name, ok := r.(map[string]any)["alert"].(string)
			if !ok {
				continue
			}
			if tested[name] != 3 {
				t.Errorf("alert %s needs a firing and a not-firing case in deploy/prometheus/tests.yml", name)
			}
		}
	}
}

func TestAlertmanagerConfig(t *testing.T) {
	amtool := tool(t, "amtool", "/usr/bin/amtool")
	deploy := filepath.Join(repoRoot(t), "deploy")
	run(t, deploy, amtool, "check-config", "alertmanager.yml")
	// Routing: what each kind of alert reaches.
	for labels, want := range map[string]string{
		"alertname=LantianDown severity=critical":                               "duty-webhook,monitoring-centre-email",
		"alertname=StationSilent severity=warning county=changji":               "monitoring-centre-email",
		"alertname=HeavyPollutionWarning severity=warning area=wcs level=red":   "wcs-joint-desk,emergency-office",
		"alertname=HeavyPollutionWarning severity=warning area=qitai level=red": "emergency-office",
		"alertname=SourceExceedance severity=warning county=fukang":             "enforcement-email",
		// The rules of prometheus/rules/lantian.yml for the derived metrics.
		"alertname=CountyAQILevel severity=warning county=changji level=heavy":                                        "emergency-office",
		"alertname=HeavyPollutionWarning severity=info origin=prometheus area=qitai level=blue":                       "emergency-office",
		"alertname=HeavyPollutionWarningChanged severity=info area=wcs":                                               "wcs-joint-desk,emergency-office",
		"alertname=SourceExceedance severity=warning origin=prometheus source=cj-power-1 outlet=unit-1 pollutant=nox": "enforcement-email",
		"alertname=SourceOutletSilent severity=warning source=cj-power-1 outlet=unit-1":                               "monitoring-centre-email",
		"alertname=CountyPM25OffTrajectory severity=info county=changji deducted=true":                                "leaders-digest-email",
		"alertname=CountyGoodDayTargetOutOfReach severity=warning county=mori deducted=true":                          "leaders-digest-email",
	} {
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml"}, strings.Fields(labels)...)
		// amtool prints a warning about --alertmanager.url first; the receivers are the last line.
		lines := strings.Split(strings.TrimSpace(run(t, deploy, amtool, args...)), "\n")
		got := lines[len(lines)-1]
		if got != want {
			t.Errorf("route of %s: got %q, want %q", labels, got, want)
		}
	}
}

func TestComposeConfig(t *testing.T) {
	compose := tool(t, "docker-compose", "/usr/bin/docker-compose")
	root := repoRoot(t)
	out := run(t, root, compose, "-f", "docker-compose.yml", "config")
	for _, svc := range []string{"mosquitto:", "influxdb:", "prometheus:", "alertmanager:", "grafana:", "lantian:"} {
		if !strings.Contains(out, "\n  "+svc) {
			t.Errorf("docker-compose config has no service %s", svc)
		}
	}
	// Each service has a health check.
	doc := readYAMLString(t, out)
	for name, s := range doc["services"].(map[string]any) {
		if _, ok := s.(map[string]any)["healthcheck"]; !ok {
			t.Errorf("service %s has no health check", name)
		}
	}
}
