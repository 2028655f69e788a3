package hj212

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"lantian/ingest/conf"
)

// Config is the `hj212` section of the configuration: the TCP gateway for data loggers and
// the per-device settings used by both the gateway and the lantian/hj212/<MN> MQTT route.
// Devices are found by the mn of their station or outlet in the registry; entries here only
// add a password and unit overrides.
type Config struct {
	// Listen is the gateway's TCP address, e.g. 0.0.0.0:9212; empty leaves the gateway off.
	Listen         string `yaml:"listen"`
	MaxConnections int    `yaml:"max_connections"`
	// MaxConnectionsPerIP caps the connections of one address, so that one host cannot take
	// every slot from the real loggers.
	MaxConnectionsPerIP int           `yaml:"max_connections_per_ip"`
	MaxPacketBytes      conf.ByteSize `yaml:"max_packet_bytes"`
	// IdleTimeout closes a connection that sends no complete, valid frame for this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxBadFrames closes a connection after this many bad frames in a row.
	MaxBadFrames int `yaml:"max_bad_frames"`
	// DevicesFile is a YAML file with more device entries (a list, as under devices), kept
	// apart so that the passwords need not sit in the main config file.
	DevicesFile string         `yaml:"devices_file"`
	Devices     []DeviceConfig `yaml:"devices"`

	// fromFile are the entries of DevicesFile and secrets the passwords read from
	// password_file, both set by ReadFiles (configs are resolved more than once, and Devices
	// may be changed in between, so AllDevices combines them when asked).
	fromFile []DeviceConfig
	secrets  map[string]conf.Secret
}

// DeviceConfig holds what the standard leaves to each installation.
type DeviceConfig struct {
	MN       string      `yaml:"mn"`
	Password conf.Secret `yaml:"password"`
	// PasswordFile holds the password instead of Password.
	PasswordFile string `yaml:"password_file"`
	// NoPassword accepts the device with any PW: only for a closed network where the
	// address alone identifies the logger. Without a password or this, the device is refused.
	NoPassword bool `yaml:"no_password"`
	// FlowUnit is the unit the logger sends flue-gas flow in: m3/h (default) or m3/s.
	FlowUnit string `yaml:"flow_unit"`
	// PressureUnit is the unit of pressure items: kPa (default), Pa, hPa or MPa.
	PressureUnit string `yaml:"pressure_unit"`
}

// DefaultConfig leaves the gateway off, with the server's limits for when it is turned on.
func DefaultConfig() Config {
	return Config{MaxConnections: 1024, MaxConnectionsPerIP: 16, MaxPacketBytes: 4096,
		IdleTimeout: 10 * time.Minute, MaxBadFrames: 20}
}

// ReadFiles reads devices_file and every password_file into the list AllDevices returns.
// Call it before Validate.
func (c *Config) ReadFiles() error {
	var errs []error
	c.fromFile, c.secrets = nil, map[string]conf.Secret{}
	if c.DevicesFile != "" {
		data, err := os.ReadFile(c.DevicesFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("hj212.devices_file: %w", err))
		} else {
			var more []DeviceConfig
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&more); err != nil && !errors.Is(err, io.EOF) {
				errs = append(errs, fmt.Errorf("hj212.devices_file %s: %w", c.DevicesFile, err))
			}
			c.fromFile = more
		}
	}
	all := append(slices.Clone(c.Devices), c.fromFile...)
	for i := range all {
		d := &all[i]
		if d.PasswordFile == "" {
			continue
		}
		if d.Password != "" {
			errs = append(errs, fmt.Errorf("hj212.devices[%d] (mn %q): give password or password_file, not both", i, d.MN))
			continue
		}
		if err := conf.ReadSecretFile(&d.Password, d.PasswordFile); err != nil {
			errs = append(errs, fmt.Errorf("hj212.devices[%d] (mn %q): password_file: %w", i, d.MN, err))
		} else if d.Password == "" {
			errs = append(errs, fmt.Errorf("hj212.devices[%d] (mn %q): password_file %s is empty", i, d.MN, d.PasswordFile))
		} else {
			c.secrets[d.PasswordFile] = d.Password
		}
	}
	return errors.Join(errs...)
}

// AllDevices is devices and the entries of devices_file, passwords read from their files;
// valid after ReadFiles (before, it is Devices).
func (c Config) AllDevices() []DeviceConfig {
	all := append(slices.Clone(c.Devices), c.fromFile...)
	for i := range all {
		if all[i].Password == "" && all[i].PasswordFile != "" {
			// A file not read by ReadFiles leaves the device without a password: refused.
			all[i].Password = c.secrets[all[i].PasswordFile]
		}
	}
	return all
}

// WithoutCredentials lists the MNs among mns that have neither a password nor no_password:
// the gateway and the MQTT route refuse everything such a device sends.
func (c Config) WithoutCredentials(mns []string) []string {
	ok := map[string]bool{}
	for _, d := range c.AllDevices() {
		if d.Password != "" || d.NoPassword {
			ok[d.MN] = true
		}
	}
	var out []string
	for _, mn := range mns {
		if !ok[mn] {
			out = append(out, mn)
		}
	}
	return out
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
	if c.MaxConnectionsPerIP < 1 || c.MaxConnectionsPerIP > max(c.MaxConnections, 1) {
		errs = append(errs, fmt.Errorf("hj212.max_connections_per_ip %d must be between 1 and max_connections", c.MaxConnectionsPerIP))
	}
	if c.MaxBadFrames < 1 {
		errs = append(errs, errors.New("hj212.max_bad_frames must be at least 1"))
	}
	seen := map[string]bool{}
	for i, d := range c.AllDevices() {
		if seen[d.MN] {
			errs = append(errs, fmt.Errorf("hj212.devices[%d]: mn %q is listed twice", i, d.MN))
		}
		seen[d.MN] = true
		if d.NoPassword && d.Password != "" {
			errs = append(errs, fmt.Errorf("hj212.devices[%d] (mn %q): no_password with a password; drop one", i, d.MN))
		}
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
