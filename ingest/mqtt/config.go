package mqtt

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"lantian/ingest/conf"
)

// Config is the `mqtt` section of the configuration: the collector's broker session, which
// the warning publisher shares under its own client id.
type Config struct {
	URL      string      `yaml:"url"`
	ClientID string      `yaml:"client_id"`
	Username string      `yaml:"username"`
	Password conf.Secret `yaml:"password"`
	// PasswordFile is read into Password by the config loader.
	PasswordFile string `yaml:"password_file"`
	TopicPrefix  string `yaml:"topic_prefix"`
	// SharedGroup, when set, subscribes through the broker's shared subscription
	// $share/<group>/<filter>: the ingest instances of one group split the stream between
	// them, each message going to one of them (docs/scaling.md). Empty: an ordinary
	// subscription that receives every message.
	SharedGroup string `yaml:"shared_group"`
	// Workers bounds the goroutines that decode and validate messages.
	Workers int `yaml:"workers"`
	// MaxPayloadBytes rejects larger messages before decoding them.
	MaxPayloadBytes conf.ByteSize `yaml:"max_payload_bytes"`
	// MaxHeldMessages and MaxHeldBytes bound the messages (and their payload bytes) received
	// and not yet durable: beyond them the collector stops reading from the broker, whatever
	// the broker's in-flight window.
	MaxHeldMessages int           `yaml:"max_held_messages"`
	MaxHeldBytes    conf.ByteSize `yaml:"max_held_bytes"`
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

// DefaultConfig is a local broker without credentials.
func DefaultConfig() Config {
	return Config{
		URL:             "tcp://127.0.0.1:1883",
		ClientID:        "lantian-ingest-1",
		TopicPrefix:     "lantian",
		Workers:         4,
		MaxPayloadBytes: 256 << 10,
		// Room for the writer's queue (2 batches of 5,000) and the batch being written, so a
		// backlog drains at full speed; about 30 MB at most with readings as stations send them.
		MaxHeldMessages: 20000,
		MaxHeldBytes:    64 << 20,
		KeepAlive:       30 * time.Second,
		MaxReconnect:    30 * time.Second,
	}
}

// Validate reports every problem of the section, naming the keys as they are written under mqtt.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("mqtt.url %q: %w", c.URL, err))
	case !slices.Contains([]string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}, u.Scheme):
		errs = append(errs, fmt.Errorf("mqtt.url %q: scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss", c.URL))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("mqtt.url %q: no host", c.URL))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("mqtt.client_id is empty: a persistent session needs a stable, unique client id"))
	}
	if c.TopicPrefix == "" || strings.ContainsAny(c.TopicPrefix, "#+") {
		errs = append(errs, fmt.Errorf("mqtt.topic_prefix %q must be non-empty and free of wildcards", c.TopicPrefix))
	}
	if strings.ContainsAny(c.SharedGroup, "/+#") {
		errs = append(errs, fmt.Errorf("mqtt.shared_group %q must not contain /, + or #", c.SharedGroup))
	}
	if c.Workers < 1 || c.Workers > 1024 {
		errs = append(errs, fmt.Errorf("mqtt.workers %d must be between 1 and 1024", c.Workers))
	}
	if c.MaxPayloadBytes < 1024 {
		errs = append(errs, fmt.Errorf("mqtt.max_payload_bytes %d is below 1KiB", c.MaxPayloadBytes))
	}
	if c.MaxHeldMessages < 1 {
		errs = append(errs, fmt.Errorf("mqtt.max_held_messages %d must be at least 1", c.MaxHeldMessages))
	}
	if c.MaxHeldBytes < c.MaxPayloadBytes {
		errs = append(errs, fmt.Errorf("mqtt.max_held_bytes %d is below mqtt.max_payload_bytes %d", c.MaxHeldBytes, c.MaxPayloadBytes))
	}
	if c.KeepAlive < time.Second {
		errs = append(errs, errors.New("mqtt.keep_alive must be at least 1s (mosquitto rejects 0)"))
	}
	if c.MaxReconnect < time.Second {
		errs = append(errs, errors.New("mqtt.max_reconnect_interval must be at least 1s"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("mqtt.tls: cert_file and key_file must be given together"))
	}
	return errors.Join(errs...)
}

// Subscription is the filter as subscribed: through the shared group when one is set.
func (c Config) Subscription(filter string) string {
	if c.SharedGroup == "" {
		return filter
	}
	return "$share/" + c.SharedGroup + "/" + filter
}
