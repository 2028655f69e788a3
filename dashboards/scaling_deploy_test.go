package dashboards

import (
	"slices"
	"strings"
	"testing"
)

// TestComposeScalesOut: the compose file's scaled-out tier. lantian-ingest publishes no fixed
// host port (so --scale works) and keeps a session and spool per replica; lantian-derive runs
// an active and a standby sharing one session; the load balancer fronts both.
func TestComposeScalesOut(t *testing.T) {
	compose := tool(t, "docker-compose", "/usr/bin/docker-compose")
	out := run(t, repoRoot(t), compose, "-f", "docker-compose.yml", "config")
	doc := readYAMLString(t, out)
	services := doc["services"].(map[string]any)
	get := func(name string) map[string]any {
		s, ok := services[name].(map[string]any)
		if !ok {
			t.Fatalf("no service %s", name)
		}
		return s
	}
	env := func(s map[string]any) map[string]any { return s["environment"].(map[string]any) }
	ingest, derive := get("lantian-ingest"), get("lantian-derive")
	get("lantian-lb")
	if _, ok := ingest["ports"]; ok {
		t.Error("lantian-ingest publishes ports: --scale lantian-ingest=3 would clash")
	}
	for name, s := range map[string]map[string]any{"lantian-ingest": ingest, "lantian-derive": derive} {
		cmd, _ := s["command"].([]any)
		role := strings.TrimPrefix(name, "lantian-")
		if !slices.Equal(cmd, []any{"run", "--role", role}) {
			t.Errorf("%s: command %v, want run --role %s", name, cmd, role)
		}
	}
	e := env(ingest)
	if e["LANTIAN_MQTT_SHARED_GROUP"] != "ingest" || !strings.Contains(e["LANTIAN_MQTT_CLIENT_ID"].(string), "{hostname}") ||
		!strings.Contains(e["LANTIAN_DATA_DIR"].(string), "{hostname}") {
		t.Errorf("lantian-ingest: each replica needs the shared group and its own client id and data folder: %v", e)
	}
	d := env(derive)
	if d["LANTIAN_MQTT_SHARED_GROUP"] != "" || d["LANTIAN_MQTT_CLIENT_ID"] != "lantian-derive" {
		t.Errorf("lantian-derive: one session shared by active and standby, outside the group: %v", d)
	}
}
