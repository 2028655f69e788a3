package hj212

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"lantian/ingest/conf"
)

// Config is the `hj212` section of the configuration: the TCP gateway for data loggers and
// the per-device settings used by both the gateway and the lantian/hj212/<MN> MQTT route.
// Devices are found by the mn of their station or outlet in the registry; entries here only
// add a password and unit overrides.
type Config struct {
	// Listen is the gateway's TCP address, e.g. 0.0.0.0:9212; empty leaves the gateway off.
	Listen         string         `yaml:"listen"`
	MaxConnections int            `yaml:"max_connections"`
	MaxPacketBytes conf.ByteSize  `yaml:"max_packet_bytes"`
	IdleTimeout    time.Duration  `yaml:"idle_timeout"`
	Devices        []DeviceConfig `yaml:"devices"`
}

// DeviceConfig holds what the standard leaves to each installation.
type DeviceConfig struct {
	MN       string      `yaml:"mn"`
	Password conf.Secret `yaml:"password"`
	// FlowUnit is the unit the logger sends flue-gas flow in: m3/h (default) or m3/s.
	FlowUnit string `yaml:"flow_unit"`
	// PressureUnit is the unit of pressure items: kPa (default), Pa, hPa or MPa.
	PressureUnit string `yaml:"pressure_unit"`
}

// DefaultConfig leaves the gateway off, with the server's limits for when it is turned on.
func DefaultConfig() Config {
	return Config{MaxConnections: 1024, MaxPacketBytes: 4096, IdleTimeout: 10 * time.Minute}
}

// Validate reports every problem of the section. known tells whether an mn belongs to a
// station or outlet of the registry, where devices are defined.
func (c Config) Validate(known func(mn string) bool) error {
	var errs []error
	if c.MaxConnections < 1 {
		errs = append(errs, errors.New("hj212.max_connections must be at least 1"))
	}
	if c.MaxPacketBytes < 128 || c.MaxPacketBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("hj212.max_packet_bytes %d must be between 128 and 1MiB", c.MaxPacketBytes))
	}
	if c.IdleTimeout < time.Second {
		errs = append(errs, errors.New("hj212.idle_timeout must be at least 1s"))
	}
	for i, d := range c.Devices {
		if !known(d.MN) {
			errs = append(errs, fmt.Errorf("hj212.devices[%d]: mn %q belongs to no station or outlet (set mn on it in the registry)", i, d.MN))
		}
		if !slices.Contains([]string{"", "m3/h", "m3/s"}, d.FlowUnit) {
			errs = append(errs, fmt.Errorf("hj212.devices[%d]: flow_unit %q must be m3/h or m3/s", i, d.FlowUnit))
		}
		if !slices.Contains([]string{"", "kPa", "Pa", "hPa", "MPa"}, d.PressureUnit) {
			errs = append(errs, fmt.Errorf("hj212.devices[%d]: pressure_unit %q must be kPa, Pa, hPa or MPa", i, d.PressureUnit))
		}
	}
	return errors.Join(errs...)
}
