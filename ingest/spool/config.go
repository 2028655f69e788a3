package spool

import (
	"errors"
	"fmt"

	"lantian/ingest/conf"
)

// Config is the `spool` section of the configuration: the durable on-disk queue used while
// InfluxDB is unreachable.
type Config struct {
	MaxBytes conf.ByteSize `yaml:"max_bytes"`
	// AlarmRatio is the fill ratio at which the spool is reported as filling up.
	AlarmRatio float64 `yaml:"alarm_ratio"`
}

// DefaultConfig bounds the spool at 2 GiB and reports it from half full.
func DefaultConfig() Config { return Config{MaxBytes: 2 << 30, AlarmRatio: 0.5} }

// Validate reports every problem of the section.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("spool.max_bytes %d is below 1MiB", c.MaxBytes))
	}
	if c.AlarmRatio <= 0 || c.AlarmRatio >= 1 {
		errs = append(errs, fmt.Errorf("spool.alarm_ratio %g must be between 0 and 1", c.AlarmRatio))
	}
	return errors.Join(errs...)
}
