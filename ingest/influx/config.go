package influx

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"lantian/ingest/conf"
)

// Config is the `influx` section of the configuration. InfluxDB 2.x takes org, bucket and
// token; 1.8 takes an empty org, bucket "db/rp" and token "user:password" (or empty without auth).
type Config struct {
	URL   string      `yaml:"url"`
	Token conf.Secret `yaml:"token"`
	// TokenFile is read into Token by the config loader.
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

// DefaultConfig is a local InfluxDB 1.8 without authentication.
func DefaultConfig() Config {
	return Config{
		URL:           "http://127.0.0.1:8086",
		Bucket:        "lantian/autogen",
		CreateBucket:  true,
		BatchSize:     5000,
		FlushInterval: 100 * time.Millisecond,
		Timeout:       10 * time.Second,
		RetryInterval: 2 * time.Second,
	}
}

// Validate reports every problem of the section, naming the keys as they are written under influx.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("influx.url %q: %w", c.URL, err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("influx.url %q: scheme must be http or https", c.URL))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("influx.url %q: no host", c.URL))
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New(`influx.bucket is empty (InfluxDB 2.x: a bucket name; 1.8: "db/rp")`))
	}
	if c.BatchSize < 1 || c.BatchSize > 100000 {
		errs = append(errs, fmt.Errorf("influx.batch_size %d must be between 1 and 100000", c.BatchSize))
	}
	if c.FlushInterval <= 0 || c.Timeout <= 0 || c.RetryInterval <= 0 {
		errs = append(errs, errors.New("influx.flush_interval, influx.timeout and influx.retry_interval must be positive"))
	}
	return errors.Join(errs...)
}

// WriterConfig is the writer's batching and retry tuning from the section; spoolAlarmRatio
// comes from the spool's own section.
func (c Config) WriterConfig(spoolAlarmRatio float64) WriterConfig {
	return WriterConfig{
		BatchSize:       c.BatchSize,
		FlushInterval:   c.FlushInterval,
		RetryInterval:   c.RetryInterval,
		ShutdownTimeout: c.Timeout,
		SpoolAlarmRatio: spoolAlarmRatio,
	}
}
