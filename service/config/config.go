// Package config loads and validates Lantian's configuration: a YAML file decoded strictly,
// then LANTIAN_* environment variables, then command-line flags, each overriding the one before.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"lantian/alert/source"
	"lantian/ingest/registry"
)

// Config is the whole configuration of `lantian run`.
type Config struct {
	// Timezone is the zone of natural days and of times written without an offset.
	Timezone   string     `yaml:"timezone"`
	DataDir    string     `yaml:"data_dir"`
	MQTT       MQTT       `yaml:"mqtt"`
	Influx     Influx     `yaml:"influx"`
	Ingest     Ingest     `yaml:"ingest"`
	Spool      Spool      `yaml:"spool"`
	DeadLetter DeadLetter `yaml:"dead_letter"`
	HTTP       HTTP       `yaml:"http"`
	HJ212      HJ212      `yaml:"hj212"`
	// Alertmanager is defined in alerting.go.
	Alertmanager Alertmanager `yaml:"alertmanager"`
	// SourceMonitoring configures pollution-source monitoring in `lantian run` (docs/sources.md).
	SourceMonitoring source.MonitorConfig `yaml:"source_monitoring"`
	// Warnings configures the heavy-pollution warning office (warnings.go).
	Warnings Warnings `yaml:"warnings"`
	// The registry sections sit at the top level of the file.
	registry.Registry `yaml:",inline"`

	location *time.Location
}

// MQTT configures the collector's broker session.
type MQTT struct {
	URL          string `yaml:"url"`
	ClientID     string `yaml:"client_id"`
	Username     string `yaml:"username"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	TopicPrefix  string `yaml:"topic_prefix"`
	// Workers bounds the goroutines that decode and validate messages.
	Workers int `yaml:"workers"`
	// MaxPayloadBytes rejects larger messages before decoding them.
	MaxPayloadBytes ByteSize      `yaml:"max_payload_bytes"`
	TLS             TLS           `yaml:"tls"`
	KeepAlive       time.Duration `yaml:"keep_alive"`
	MaxReconnect    time.Duration `yaml:"max_reconnect_interval"`
}

// TLS configures a TLS connection to the broker (used with ssl://, tls:// or mqtts:// URLs).
type TLS struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Influx configures the InfluxDB writer. InfluxDB 2.x takes org, bucket and token; 1.8 takes an
// empty org, bucket "db/rp" and token "user:password" (or empty without auth).
type Influx struct {
	URL           string        `yaml:"url"`
	Token         Secret        `yaml:"token"`
	TokenFile     string        `yaml:"token_file"`
	Org           string        `yaml:"org"`
	Bucket        string        `yaml:"bucket"`
	CreateBucket  bool          `yaml:"create_bucket"`
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	Timeout       time.Duration `yaml:"timeout"`
	// RetryInterval is the pause between attempts to reach InfluxDB while the spool drains.
	RetryInterval time.Duration `yaml:"retry_interval"`
	// GZip compresses write requests: worth its CPU only when InfluxDB is across a slow link.
	GZip bool `yaml:"gzip"`
}

// Ingest configures validation.
type Ingest struct {
	AcceptUnknownStations bool          `yaml:"accept_unknown_stations"`
	MaxFuture             time.Duration `yaml:"max_future"`
	MaxAge                time.Duration `yaml:"max_age"`
	// SilentAfter marks a station or outlet silent when nothing of it was stored for this long.
	SilentAfter time.Duration `yaml:"silent_after"`
}

// Spool configures the durable on-disk queue used while InfluxDB is unreachable.
type Spool struct {
	MaxBytes ByteSize `yaml:"max_bytes"`
	// AlarmRatio is the fill ratio at which the spool is reported as filling up.
	AlarmRatio float64 `yaml:"alarm_ratio"`
}

// DeadLetter configures the dead-letter files.
type DeadLetter struct {
	MaxFileBytes ByteSize `yaml:"max_file_bytes"`
	MaxFiles     int      `yaml:"max_files"`
}

// HTTP configures the metrics, health and API server.
type HTTP struct {
	Addr string `yaml:"addr"`
}

// HJ212 configures the HJ 212 TCP gateway for data loggers and the per-device settings used
// by both the gateway and the lantian/hj212/<MN> MQTT route. Devices are found by the mn of
// their station or outlet in the registry; entries here only add a password and unit overrides.
type HJ212 struct {
	// Listen is the gateway's TCP address, e.g. 0.0.0.0:9212; empty leaves the gateway off.
	Listen         string        `yaml:"listen"`
	MaxConnections int           `yaml:"max_connections"`
	MaxPacketBytes ByteSize      `yaml:"max_packet_bytes"`
	IdleTimeout    time.Duration `yaml:"idle_timeout"`
	Devices        []HJ212Device `yaml:"devices"`
}

// HJ212Device holds what the standard leaves to each installation.
type HJ212Device struct {
	MN       string `yaml:"mn"`
	Password Secret `yaml:"password"`
	// FlowUnit is the unit the logger sends flue-gas flow in: m3/h (default) or m3/s.
	FlowUnit string `yaml:"flow_unit"`
	// PressureUnit is the unit of pressure items: kPa (default), Pa, hPa or MPa.
	PressureUnit string `yaml:"pressure_unit"`
}

// Default returns the built-in configuration: local services, the plan's areas and targets and
// no stations or sources (the sample registry lives in deploy/lantian.yaml).
func Default() Config {
	c := Config{
		Timezone: "Asia/Shanghai",
		DataDir:  "data",
		MQTT: MQTT{
			URL:             "tcp://127.0.0.1:1883",
			ClientID:        "lantian-ingest-1",
			TopicPrefix:     "lantian",
			Workers:         4,
			MaxPayloadBytes: 256 << 10,
			KeepAlive:       30 * time.Second,
			MaxReconnect:    30 * time.Second,
		},
		Influx: Influx{
			URL:           "http://127.0.0.1:8086",
			Bucket:        "lantian/autogen",
			CreateBucket:  true,
			BatchSize:     5000,
			FlushInterval: 100 * time.Millisecond,
			Timeout:       10 * time.Second,
			RetryInterval: 2 * time.Second,
		},
		Ingest: Ingest{
			MaxFuture:   10 * time.Minute,
			MaxAge:      90 * 24 * time.Hour,
			SilentAfter: 70 * time.Minute,
		},
		Spool:      Spool{MaxBytes: 2 << 30, AlarmRatio: 0.5},
		DeadLetter: DeadLetter{MaxFileBytes: 64 << 20, MaxFiles: 10},
		HTTP:       HTTP{Addr: "127.0.0.1:8080"},
		HJ212:      HJ212{MaxConnections: 1024, MaxPacketBytes: 4096, IdleTimeout: 10 * time.Minute},
		Warnings:   defaultWarnings(),
		Registry: registry.Registry{
			Areas:   registry.DefaultAreas(),
			Targets: registry.DefaultTargets(),
		},
	}
	c.Alertmanager, c.SourceMonitoring = defaultAlerting()
	return c
}

// Load reads a config file over the defaults. Unknown keys are errors that name the key and
// its line. Sections given in the file replace the default ones wholesale (areas, targets).
func Load(path string) (Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	if err := Decode(data, &cfg); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Decode decodes YAML strictly into cfg, keeping defaults for keys the document omits.
func Decode(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Resolve reads secrets from files, builds the registry indexes and validates everything,
// returning all problems at once.
func (c *Config) Resolve() error {
	var errs []error
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		errs = append(errs, fmt.Errorf("timezone %q: %w", c.Timezone, err))
	}
	c.location = loc
	if err := readSecretFile(&c.MQTT.Password, c.MQTT.PasswordFile); err != nil {
		errs = append(errs, fmt.Errorf("mqtt.password_file: %w", err))
	}
	if err := readSecretFile(&c.Influx.Token, c.Influx.TokenFile); err != nil {
		errs = append(errs, fmt.Errorf("influx.token_file: %w", err))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty: set it to a writable folder for the spool and dead letters"))
	}
	errs = append(errs, c.validateMQTT()...)
	errs = append(errs, c.validateInflux()...)
	if c.Ingest.MaxFuture < 0 || c.Ingest.MaxAge <= 0 || c.Ingest.SilentAfter <= 0 {
		errs = append(errs, errors.New("ingest.max_future must be >= 0, ingest.max_age and ingest.silent_after > 0"))
	}
	if c.Spool.MaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("spool.max_bytes %d is below 1MiB", c.Spool.MaxBytes))
	}
	if c.Spool.AlarmRatio <= 0 || c.Spool.AlarmRatio >= 1 {
		errs = append(errs, fmt.Errorf("spool.alarm_ratio %g must be between 0 and 1", c.Spool.AlarmRatio))
	}
	if c.DeadLetter.MaxFileBytes < 1<<10 || c.DeadLetter.MaxFiles < 1 {
		errs = append(errs, errors.New("dead_letter.max_file_bytes must be >= 1KiB and dead_letter.max_files >= 1"))
	}
	if c.HTTP.Addr == "" {
		errs = append(errs, errors.New("http.addr is empty (use e.g. 127.0.0.1:8080)"))
	}
	if err := c.Registry.Index(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateHJ212()...)
	errs = append(errs, c.validateWarnings()...)
	errs = append(errs, c.validateAlerting()...)
	return errors.Join(errs...)
}

func (c *Config) validateMQTT() []error {
	var errs []error
	m := c.MQTT
	u, err := url.Parse(m.URL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("mqtt.url %q: %w", m.URL, err))
	case !oneOf(u.Scheme, "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"):
		errs = append(errs, fmt.Errorf("mqtt.url %q: scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss", m.URL))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("mqtt.url %q: no host", m.URL))
	}
	if m.ClientID == "" {
		errs = append(errs, errors.New("mqtt.client_id is empty: a persistent session needs a stable, unique client id"))
	}
	if m.TopicPrefix == "" || strings.ContainsAny(m.TopicPrefix, "#+") {
		errs = append(errs, fmt.Errorf("mqtt.topic_prefix %q must be non-empty and free of wildcards", m.TopicPrefix))
	}
	if m.Workers < 1 || m.Workers > 1024 {
		errs = append(errs, fmt.Errorf("mqtt.workers %d must be between 1 and 1024", m.Workers))
	}
	if m.MaxPayloadBytes < 1024 {
		errs = append(errs, fmt.Errorf("mqtt.max_payload_bytes %d is below 1KiB", m.MaxPayloadBytes))
	}
	if m.KeepAlive < time.Second {
		errs = append(errs, errors.New("mqtt.keep_alive must be at least 1s (mosquitto rejects 0)"))
	}
	if m.MaxReconnect < time.Second {
		errs = append(errs, errors.New("mqtt.max_reconnect_interval must be at least 1s"))
	}
	if (m.TLS.CertFile == "") != (m.TLS.KeyFile == "") {
		errs = append(errs, errors.New("mqtt.tls: cert_file and key_file must be given together"))
	}
	return errs
}

func (c *Config) validateInflux() []error {
	var errs []error
	in := c.Influx
	u, err := url.Parse(in.URL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("influx.url %q: %w", in.URL, err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("influx.url %q: scheme must be http or https", in.URL))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("influx.url %q: no host", in.URL))
	}
	if in.Bucket == "" {
		errs = append(errs, errors.New(`influx.bucket is empty (InfluxDB 2.x: a bucket name; 1.8: "db/rp")`))
	}
	if in.BatchSize < 1 || in.BatchSize > 100000 {
		errs = append(errs, fmt.Errorf("influx.batch_size %d must be between 1 and 100000", in.BatchSize))
	}
	if in.FlushInterval <= 0 || in.Timeout <= 0 || in.RetryInterval <= 0 {
		errs = append(errs, errors.New("influx.flush_interval, influx.timeout and influx.retry_interval must be positive"))
	}
	return errs
}

func (c *Config) validateHJ212() []error {
	var errs []error
	h := c.HJ212
	if h.MaxConnections < 1 {
		errs = append(errs, errors.New("hj212.max_connections must be at least 1"))
	}
	if h.MaxPacketBytes < 128 || h.MaxPacketBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("hj212.max_packet_bytes %d must be between 128 and 1MiB", h.MaxPacketBytes))
	}
	if h.IdleTimeout < time.Second {
		errs = append(errs, errors.New("hj212.idle_timeout must be at least 1s"))
	}
	known := map[string]bool{}
	for _, s := range c.Stations {
		if s.MN != "" {
			if known[s.MN] {
				errs = append(errs, fmt.Errorf("station %s: mn %q is used twice", s.ID, s.MN))
			}
			known[s.MN] = true
		}
	}
	for _, src := range c.Sources {
		for _, o := range src.Outlets {
			if o.MN != "" {
				if known[o.MN] {
					errs = append(errs, fmt.Errorf("outlet %s/%s: mn %q is used twice", src.ID, o.ID, o.MN))
				}
				known[o.MN] = true
			}
		}
	}
	for i, d := range h.Devices {
		if !known[d.MN] {
			errs = append(errs, fmt.Errorf("hj212.devices[%d]: mn %q belongs to no station or outlet (set mn on it in the registry)", i, d.MN))
		}
		if !oneOf(d.FlowUnit, "", "m3/h", "m3/s") {
			errs = append(errs, fmt.Errorf("hj212.devices[%d]: flow_unit %q must be m3/h or m3/s", i, d.FlowUnit))
		}
		if !oneOf(d.PressureUnit, "", "kPa", "Pa", "hPa", "MPa") {
			errs = append(errs, fmt.Errorf("hj212.devices[%d]: pressure_unit %q must be kPa, Pa, hPa or MPa", i, d.PressureUnit))
		}
	}
	return errs
}

// Location is the configured time zone; valid after Resolve.
func (c *Config) Location() *time.Location {
	if c.location == nil {
		return time.UTC
	}
	return c.location
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

func readSecretFile(dst *Secret, path string) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	*dst = Secret(strings.TrimSpace(string(b)))
	return nil
}

// Secret is a password or token: it never prints.
type Secret string

func (Secret) String() string { return "[redacted]" }

// MarshalYAML keeps secrets out of dumped configs.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return "[redacted]", nil
}

// Reveal returns the secret's value for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// ByteSize is a size in bytes written as a number or with a unit: 512KiB, 64MiB, 2GiB, 1GB.
type ByteSize int64

// UnmarshalYAML parses sizes with units.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// ParseByteSize parses a size such as 1048576, 512KiB, 64MiB, 2GiB, 100MB or 1GB.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a non-negative number with an optional unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	return ByteSize(n * mult), nil
}
