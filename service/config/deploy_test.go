package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

// TestKubernetesConfigMapIsAValidConfig: the lantian.yaml the Kubernetes pods read (in
// deploy/k8s/configmap.yaml) decodes strictly and resolves, with a shared group set for the
// ingest pods.
func TestKubernetesConfigMapIsAValidConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "k8s", "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	file, ok := cm.Data["lantian.yaml"]
	if !ok {
		t.Fatal("configmap.yaml has no lantian.yaml")
	}
	var cfg config.Config = config.Default()
	if err := config.Decode([]byte(file), &cfg); err != nil {
		t.Fatalf("the ConfigMap's lantian.yaml: %v", err)
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatalf("the ConfigMap's lantian.yaml: %v", err)
	}
	if cfg.MQTT.SharedGroup == "" || cfg.HJ212.Listen == "" {
		t.Errorf("mqtt.shared_group %q and hj212.listen %q must be set for the ingest pods", cfg.MQTT.SharedGroup, cfg.HJ212.Listen)
	}
}
