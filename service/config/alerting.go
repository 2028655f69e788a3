package config

import (
	"lantian/alert/notify"
	"lantian/alert/source"
)

// defaultAlerting returns the defaults of the alertmanager and source_monitoring sections.
func defaultAlerting() (notify.Config, source.MonitorConfig) {
	return notify.DefaultConfig(), source.DefaultMonitorConfig()
}

// validateAlerting checks the alertmanager and source_monitoring sections; each is its
// component's own config and knows its own rules.
func (c *Config) validateAlerting() []error {
	var errs []error
	for _, err := range []error{c.Alertmanager.Validate(), c.SourceMonitoring.Validate(c.Sources, c.Location())} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
