// Package config loads and validates Lantian's configuration: a YAML file decoded strictly,
// then LANTIAN_* environment variables, then command-line flags, each overriding the one before.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"lantian/alert/dust"
	"lantian/alert/hotspot"
	"lantian/alert/notify"
	"lantian/alert/public"
	"lantian/alert/source"
	"lantian/alert/stationqc"
	"lantian/alert/stream"
	"lantian/ingest/conf"
	"lantian/ingest/deadletter"
	"lantian/ingest/history"
	"lantian/ingest/hj212"
	"lantian/ingest/influx"
	"lantian/ingest/mqtt"
	"lantian/ingest/registry"
	"lantian/ingest/spool"
)

// Config is the whole configuration of `lantian run`. Each component's section is the
// component's own config type, with its defaults and validation; this package composes them,
// loads the file strictly, applies LANTIAN_* variables and flags, reads secret files and
// checks what spans sections (the registry against the HJ 212 devices, the alerting rules).
type Config struct {
	// Timezone is the zone of natural days and of times written without an offset.
	Timezone   string            `yaml:"timezone"`
	DataDir    string            `yaml:"data_dir"`
	MQTT       mqtt.Config       `yaml:"mqtt"`
	Influx     influx.Config     `yaml:"influx"`
	Ingest     Ingest            `yaml:"ingest"`
	Spool      spool.Config      `yaml:"spool"`
	DeadLetter deadletter.Config `yaml:"dead_letter"`
	HTTP       HTTP              `yaml:"http"`
	HJ212      hj212.Config      `yaml:"hj212"`
	// History keeps stored readings append-only (ingest/history).
	History history.Config `yaml:"history"`
	// Alertmanager feeds the one Alertmanager client of the service.
	Alertmanager notify.Config `yaml:"alertmanager"`
	// SourceMonitoring configures pollution-source monitoring in `lantian run` (docs/sources.md).
	SourceMonitoring source.MonitorConfig `yaml:"source_monitoring"`
	// Warnings configures the heavy-pollution warning office (warnings.go).
	Warnings Warnings `yaml:"warnings"`
	// Assessment and SandDust configure the assessment figures (assessment.go).
	Assessment stream.Config `yaml:"assessment"`
	SandDust   dust.Config   `yaml:"sand_dust"`
	// Public configures the public release page (docs/command-centre.md).
	Public public.Config `yaml:"public"`
	// Hotspot configures the grid-hotspot detector (docs/command-centre.md).
	Hotspot hotspot.Config `yaml:"hotspot"`
	// StationQuality configures the ambient-station interference checks (docs/command-centre.md).
	StationQuality stationqc.Config `yaml:"station_quality"`
	// The registry sections sit at the top level of the file.
	registry.Registry `yaml:",inline"`

	location *time.Location
}

// Ingest configures validation.
type Ingest struct {
	AcceptUnknownStations bool          `yaml:"accept_unknown_stations"`
	MaxFuture             time.Duration `yaml:"max_future"`
	MaxAge                time.Duration `yaml:"max_age"`
	// SilentAfter marks a station or outlet silent when nothing of it was stored for this long.
	SilentAfter time.Duration `yaml:"silent_after"`
}

// HTTP configures the metrics, health and API server.
type HTTP struct {
	Addr string `yaml:"addr"`
	// MetricsAddr, when set, serves /metrics, /healthz and /readyz on a listener of their own
	// (e.g. an internal interface for Prometheus) and no longer on addr.
	MetricsAddr string `yaml:"metrics_addr"`
	// SecureCookies marks the console's session cookie Secure: set it when users reach the
	// service through HTTPS (a TLS-terminating proxy), so the browser never sends it in clear.
	SecureCookies bool `yaml:"secure_cookies"`
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies whose
	// X-Forwarded-Proto: https marks a request as HTTPS (cookies then Secure).
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Default returns the built-in configuration: local services, the plan's areas and targets and
// no stations or sources (the sample registry lives in deploy/lantian.yaml).
func Default() Config {
	c := Config{
		Timezone: "Asia/Shanghai",
		DataDir:  "data",
		MQTT:     mqtt.DefaultConfig(),
		Influx:   influx.DefaultConfig(),
		Ingest: Ingest{
			MaxFuture:   10 * time.Minute,
			MaxAge:      90 * 24 * time.Hour,
			SilentAfter: 70 * time.Minute,
		},
		Spool:      spool.DefaultConfig(),
		DeadLetter: deadletter.DefaultConfig(),
		HTTP:       HTTP{Addr: "127.0.0.1:8080"},
		HJ212:      hj212.DefaultConfig(),
		History:    history.DefaultConfig(),
		Warnings:   defaultWarnings(),
		Registry: registry.Registry{
			Areas:   registry.DefaultAreas(),
			Targets: registry.DefaultTargets(),
		},
	}
	c.Alertmanager, c.SourceMonitoring = defaultAlerting()
	c.Assessment = stream.DefaultConfig()
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
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		errs = append(errs, fmt.Errorf("timezone %q: %w", c.Timezone, err))
	}
	c.location = loc
	if err := conf.ReadSecretFile(&c.MQTT.Password, c.MQTT.PasswordFile); err != nil {
		errs = append(errs, fmt.Errorf("mqtt.password_file: %w", err))
	}
	if err := conf.ReadSecretFile(&c.Influx.Token, c.Influx.TokenFile); err != nil {
		errs = append(errs, fmt.Errorf("influx.token_file: %w", err))
	}
	add(c.HJ212.ReadFiles())
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty: set it to a writable folder for the spool and dead letters"))
	}
	add(c.MQTT.Validate())
	add(c.Influx.Validate())
	if c.Ingest.MaxFuture < 0 || c.Ingest.MaxAge <= 0 || c.Ingest.SilentAfter <= 0 {
		errs = append(errs, errors.New("ingest.max_future must be >= 0, ingest.max_age and ingest.silent_after > 0"))
	}
	add(c.Spool.Validate())
	add(c.DeadLetter.Validate())
	add(c.History.Validate())
	if c.HTTP.Addr == "" {
		errs = append(errs, errors.New("http.addr is empty (use e.g. 127.0.0.1:8080)"))
	}
	for i, p := range c.HTTP.TrustedProxies {
		if _, err := ParseProxy(p); err != nil {
			errs = append(errs, fmt.Errorf("http.trusted_proxies[%d]: %w", i, err))
		}
	}
	add(c.Registry.Index())
	errs = append(errs, c.validateHJ212()...)
	errs = append(errs, c.validateWarnings()...)
	errs = append(errs, c.validateAssessment()...)
	errs = append(errs, c.validateAlerting()...)
	add(c.Public.Validate())
	add(c.Hotspot.Validate())
	add(c.StationQuality.Validate())
	return errors.Join(errs...)
}

// validateHJ212 checks that no two stations or outlets share an mn, then the hj212 section
// against the mns of the registry.
func (c *Config) validateHJ212() []error {
	var errs []error
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
	if err := c.HJ212.Validate(func(mn string) bool { return known[mn] }); err != nil {
		errs = append(errs, err)
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
