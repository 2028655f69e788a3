package config

import (
	"fmt"
	"time"

	"lantian/alert/notify"
	"lantian/alert/source"
)

// Alertmanager configures where alerts (source exceedances and data quality, warnings) are
// pushed through Alertmanager's v2 API. docs/sources.md, "In lantian run", lists the alerts.
type Alertmanager struct {
	// URLs of the Alertmanager instances (e.g. http://127.0.0.1:9093); empty disables pushing.
	// Every alert goes to each instance, as an Alertmanager cluster expects.
	URLs []string `yaml:"urls"`
	// Timeout bounds one POST.
	Timeout time.Duration `yaml:"timeout"`
	// ResendInterval is how often firing alerts are sent again; Alertmanager resolves an alert
	// that is not re-sent before its endsAt (Lantian sets it 4 intervals ahead).
	ResendInterval time.Duration `yaml:"resend_interval"`
	// MaxAttempts per POST; RetryInterval is the first pause between attempts (doubled after each).
	MaxAttempts   int           `yaml:"max_attempts"`
	RetryInterval time.Duration `yaml:"retry_interval"`
	// QueueSize bounds the alerts waiting to be sent; overflow drops the oldest and counts it.
	QueueSize int `yaml:"queue_size"`
	// GeneratorURL is put in every alert's generatorURL (e.g. Lantian's console or a Grafana
	// dashboard), so that a notification links back; empty leaves it out.
	GeneratorURL string `yaml:"generator_url"`
}

// defaultAlerting returns the defaults of the alertmanager and source_monitoring sections.
func defaultAlerting() (Alertmanager, source.MonitorConfig) {
	return Alertmanager{
		Timeout:        10 * time.Second,
		ResendInterval: time.Minute,
		MaxAttempts:    3,
		RetryInterval:  time.Second,
		QueueSize:      1000,
	}, source.DefaultMonitorConfig()
}

// validateAlerting checks the alertmanager and source_monitoring sections.
func (c *Config) validateAlerting() []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	am := c.Alertmanager
	for i, u := range am.URLs {
		if err := notify.CheckURL(u); err != nil {
			bad("alertmanager.urls[%d]: %w", i, err)
		}
	}
	if am.Timeout <= 0 || am.ResendInterval <= 0 || am.RetryInterval <= 0 {
		bad("alertmanager.timeout, resend_interval and retry_interval must be positive")
	}
	if am.MaxAttempts < 1 || am.MaxAttempts > 100 {
		bad("alertmanager.max_attempts %d must be between 1 and 100", am.MaxAttempts)
	}
	if am.QueueSize < 1 {
		bad("alertmanager.queue_size %d must be at least 1", am.QueueSize)
	}
	if am.GeneratorURL != "" {
		if err := notify.CheckURL(am.GeneratorURL); err != nil {
			bad("alertmanager.generator_url: %w", err)
		}
	}

	// The source_monitoring section is alert/source's own.
	return append(errs, c.SourceMonitoring.Validate(c.Sources, c.Location())...)
}
