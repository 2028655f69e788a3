package config

// Alertmanager configures where alerts (source exceedances, warnings) are pushed.
type Alertmanager struct {
	// URLs of the Alertmanager instances (e.g. http://127.0.0.1:9093); empty disables pushing.
	URLs []string `yaml:"urls"`
}

// SourceMonitoring configures pollution-source monitoring.
type SourceMonitoring struct{}
