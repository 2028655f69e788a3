package service_test

import (
	"log/slog"
	"strings"
	"testing"

	"lantian/service"
	"lantian/service/config"
)

// TestRolesRefuseConfigurationsThatLoseOrDoubleReadings: the one-process service must see every
// reading, so it refuses a shared group; ingest instances without one would each take every
// reading. Both are refused before anything is opened, with the key to change.
func TestRolesRefuseConfigurationsThatLoseOrDoubleReadings(t *testing.T) {
	for _, c := range []struct {
		role     service.Role
		group    string
		clientID string
		want     string
	}{
		{service.RoleAll, "ingest", "", "mqtt.shared_group"},
		{service.RoleIngest, "", "", "mqtt.shared_group"},
		{service.RoleDerive, "", "lantian-derive-{hostname}", "mqtt.client_id"},
	} {
		cfg := config.Default()
		cfg.DataDir = t.TempDir()
		cfg.MQTT.SharedGroup = c.group
		if c.clientID != "" {
			cfg.MQTT.ClientID = c.clientID
		}
		_, err := service.NewRole(cfg, c.role, slog.Default())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("role %s with shared group %q: err %v, want one naming %s", c.role, c.group, err, c.want)
		}
	}
	if _, err := service.ParseRole("everything"); err == nil {
		t.Error("ParseRole accepted an unknown role")
	}
}
