package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"lantian/ingest/conf"
)

// Setting is a config value that can also be given as a flag and as a LANTIAN_* variable.
type Setting struct {
	Flag   string
	Usage  string
	Secret bool
	IsBool bool
	set    func(c *Config, v string) error
}

// Env is the environment variable of the setting: LANTIAN_ and the flag name in upper case
// with dashes as underscores.
func (s Setting) Env() string {
	b := []byte("LANTIAN_" + s.Flag)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func str(dst func(c *Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *dst(c) = v; return nil }
}

func secret(dst func(c *Config) *conf.Secret) func(*Config, string) error {
	return func(c *Config, v string) error { *dst(c) = conf.Secret(v); return nil }
}

func boolean(dst func(c *Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*dst(c) = b
		return nil
	}
}

func duration(dst func(c *Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("want a duration such as 500ms or 2m, got %q", v)
		}
		*dst(c) = d
		return nil
	}
}

// Settings lists every connection setting that flags and environment variables can override.
func Settings() []Setting {
	return []Setting{
		{Flag: "mqtt-url", Usage: "MQTT broker URL (tcp://, ssl://, ws://)", set: str(func(c *Config) *string { return &c.MQTT.URL })},
		{Flag: "mqtt-client-id", Usage: "stable MQTT client id of this collector", set: str(func(c *Config) *string { return &c.MQTT.ClientID })},
		{Flag: "mqtt-shared-group", Usage: "shared subscription group of the ingest instances (docs/scaling.md)", set: str(func(c *Config) *string { return &c.MQTT.SharedGroup })},
		{Flag: "mqtt-username", Usage: "MQTT user name", set: str(func(c *Config) *string { return &c.MQTT.Username })},
		{Flag: "mqtt-password", Usage: "MQTT password (prefer LANTIAN_MQTT_PASSWORD or --mqtt-password-file)", Secret: true, set: secret(func(c *Config) *conf.Secret { return &c.MQTT.Password })},
		{Flag: "mqtt-password-file", Usage: "file holding the MQTT password", set: str(func(c *Config) *string { return &c.MQTT.PasswordFile })},
		{Flag: "mqtt-topic-prefix", Usage: "topic prefix (default lantian)", set: str(func(c *Config) *string { return &c.MQTT.TopicPrefix })},
		{Flag: "influx-url", Usage: "InfluxDB URL", set: str(func(c *Config) *string { return &c.Influx.URL })},
		{Flag: "influx-token", Usage: "InfluxDB token (1.8: user:password; prefer LANTIAN_INFLUX_TOKEN or --influx-token-file)", Secret: true, set: secret(func(c *Config) *conf.Secret { return &c.Influx.Token })},
		{Flag: "influx-token-file", Usage: "file holding the InfluxDB token", set: str(func(c *Config) *string { return &c.Influx.TokenFile })},
		{Flag: "influx-org", Usage: "InfluxDB organisation (empty for 1.8)", set: str(func(c *Config) *string { return &c.Influx.Org })},
		{Flag: "influx-bucket", Usage: "InfluxDB bucket (1.8: db/rp)", set: str(func(c *Config) *string { return &c.Influx.Bucket })},
		{Flag: "influx-flush-interval", Usage: "longest time a reading waits for its batch", set: duration(func(c *Config) *time.Duration { return &c.Influx.FlushInterval })},
		{Flag: "http-addr", Usage: "listen address of metrics, health and API", set: str(func(c *Config) *string { return &c.HTTP.Addr })},
		{Flag: "hj212-listen", Usage: "listen address of the HJ 212 TCP gateway (empty: off)", set: str(func(c *Config) *string { return &c.HJ212.Listen })},
		{Flag: "data-dir", Usage: "folder for the spool and dead letters", set: str(func(c *Config) *string { return &c.DataDir })},
		{Flag: "timezone", Usage: "zone of natural days (default Asia/Shanghai)", set: str(func(c *Config) *string { return &c.Timezone })},
		{Flag: "accept-unknown-stations", Usage: "store readings of stations not in the registry with county \"unknown\"", IsBool: true, set: boolean(func(c *Config) *bool { return &c.Ingest.AcceptUnknownStations })},
	}
}

// Overrides holds the flag values of a parsed flag set.
type Overrides struct {
	fs     *flag.FlagSet
	values map[string]*string
}

// RegisterFlags adds a flag for every setting to fs.
func RegisterFlags(fs *flag.FlagSet) *Overrides {
	o := &Overrides{fs: fs, values: map[string]*string{}}
	for _, s := range Settings() {
		usage := fmt.Sprintf("%s (env %s)", s.Usage, s.Env())
		if s.IsBool {
			v := new(string)
			fs.BoolFunc(s.Flag, usage, func(x string) error { *v = x; return nil })
			o.values[s.Flag] = v
			continue
		}
		o.values[s.Flag] = fs.String(s.Flag, "", usage)
	}
	return o
}

// Apply sets the environment's and then the flags' values on c.
func (o *Overrides) Apply(c *Config) error {
	setByFlag := map[string]bool{}
	o.fs.Visit(func(f *flag.Flag) { setByFlag[f.Name] = true })
	var errs []error
	for _, s := range Settings() {
		var v string
		var from string
		switch {
		case setByFlag[s.Flag]:
			v, from = *o.values[s.Flag], "--"+s.Flag
			if s.IsBool && v == "" {
				v = "true"
			}
		case os.Getenv(s.Env()) != "":
			v, from = os.Getenv(s.Env()), s.Env()
		default:
			continue
		}
		if err := s.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
		}
	}
	return errors.Join(errs...)
}
