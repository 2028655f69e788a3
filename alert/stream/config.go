package stream

import (
	"errors"
	"fmt"

	"lantian/alert/aqi"
	"lantian/alert/assess"
)

// Config is the `assessment` section of the configuration: what the plan's goals are held
// against beyond the registry's targets table, and the heating season.
type Config struct {
	// Base is, per county, its base year's figures (the plan does not print them): monthly
	// PM2.5 for the on-track trajectory, NO2 and O3 for "no longer rising".
	Base map[string]BaseConfig `yaml:"base"`
	// HeatingSeason is the focus period of the plan (采暖季), month-day to month-day across the
	// new year.
	HeatingSeason assess.Season `yaml:"heating_season"`
}

// BaseConfig is one county's base year.
type BaseConfig struct {
	Year int `yaml:"year"`
	// PM25Monthly are the twelve monthly means (µg/m³), January first.
	PM25Monthly []float64 `yaml:"pm25_monthly,omitempty"`
	NO2         *float64  `yaml:"no2,omitempty"`
	O3P90       *float64  `yaml:"o3_p90,omitempty"`
}

// DefaultConfig has no base years (they must come from the bureau's records) and the default
// heating season.
func DefaultConfig() Config {
	return Config{HeatingSeason: assess.DefaultHeatingSeason()}
}

// Validate checks the section; known says whether an area id exists.
func (c Config) Validate(known func(string) bool) error {
	var errs []error
	for id, b := range c.Base {
		if known != nil && !known(id) {
			errs = append(errs, fmt.Errorf("assessment.base.%s: not an area of the registry", id))
		}
		if b.PM25Monthly != nil {
			var p assess.Profile
			if len(b.PM25Monthly) != 12 {
				errs = append(errs, fmt.Errorf("assessment.base.%s.pm25_monthly: %d values, want 12 (January … December)", id, len(b.PM25Monthly)))
			} else if copy(p[:], b.PM25Monthly); !p.Valid() {
				errs = append(errs, fmt.Errorf("assessment.base.%s.pm25_monthly: every month must be a positive µg/m³ value", id))
			}
		}
		for name, v := range map[string]*float64{"no2": b.NO2, "o3_p90": b.O3P90} {
			if v != nil && !(*v > 0) {
				errs = append(errs, fmt.Errorf("assessment.base.%s.%s must be positive", id, name))
			}
		}
	}
	if err := c.HeatingSeason.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("assessment.heating_season: %w", err))
	}
	return errors.Join(errs...)
}

// Bases converts the base years into Options.Bases.
func (c Config) Bases() map[string]assess.Base {
	out := map[string]assess.Base{}
	for id, b := range c.Base {
		var base assess.Base
		copy(base.PM25[:], b.PM25Monthly)
		base.NO2, base.O3P90 = b.NO2, b.O3P90
		out[id] = base
	}
	return out
}

// HeatingSpan is the heating season containing d, or the latest one begun before it.
func (c Config) HeatingSpan(d aqi.Date) (from, to aqi.Date) { return c.HeatingSeason.Around(d) }
