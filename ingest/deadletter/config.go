package deadletter

import (
	"errors"

	"lantian/ingest/conf"
)

// Config is the `dead_letter` section of the configuration.
type Config struct {
	MaxFileBytes conf.ByteSize `yaml:"max_file_bytes"`
	// MaxFiles counts the current file and the rotated ones.
	MaxFiles int `yaml:"max_files"`
}

// DefaultConfig keeps up to ten files of 64 MiB.
func DefaultConfig() Config { return Config{MaxFileBytes: 64 << 20, MaxFiles: 10} }

// Validate reports the section's problem, if any.
func (c Config) Validate() error {
	if c.MaxFileBytes < 1<<10 || c.MaxFiles < 1 {
		return errors.New("dead_letter.max_file_bytes must be >= 1KiB and dead_letter.max_files >= 1")
	}
	return nil
}
