package hotspot

import (
	"errors"
	"fmt"
	"time"
)

// Config is the `hotspot` section (docs/command-centre.md "Hotspot grid"). Zero fields take the
// defaults of DefaultConfig.
type Config struct {
	// Disabled turns the detector off.
	Disabled bool `yaml:"disabled"`
	// Pollutant is the field judged: pm25 (default) or pm10.
	Pollutant string `yaml:"pollutant"`
	// RadiusKm: stations within it are a station's neighbours.
	RadiusKm float64 `yaml:"radius_km"`
	// MinNeighbours: fewer neighbours reporting in an hour and the hour is not judged.
	MinNeighbours int `yaml:"min_neighbours"`
	// Ratio and MinExcess: an hour is hot when the value is at least Ratio × the neighbours'
	// median and at least MinExcess µg/m³ above both that median and the county's
	// assessment-station mean.
	Ratio     float64 `yaml:"ratio"`
	MinExcess float64 `yaml:"min_excess"`
	// PersistHours consecutive hot hours make a hotspot; ClearHours consecutive judged hours
	// that are not hot end it.
	PersistHours int `yaml:"persist_hours"`
	ClearHours   int `yaml:"clear_hours"`
	// SourceRadiusKm: registered sources within it are named as the likely source, nearest first.
	SourceRadiusKm float64 `yaml:"source_radius_km"`
	// UpwindSectorDeg: a source is upwind in an hour when the wind direction (wind_dir, where
	// the wind comes from) is within this many degrees of the source's bearing from the
	// station. Sources upwind in most hot hours are named first.
	UpwindSectorDeg float64 `yaml:"upwind_sector_deg"`
	// Lateness and Settle: an hour is judged once it ended Lateness ago and no reading of it
	// arrived for Settle.
	Lateness time.Duration `yaml:"lateness"`
	Settle   time.Duration `yaml:"settle"`
	// CheckEvery is how often the detector looks for hours to judge.
	CheckEvery time.Duration `yaml:"check_every"`
}

// DefaultConfig is the built-in section. The numbers are judgement, not from a standard:
// 3 km is the spacing of a county-seat micro-station grid (about one station per 3 × 3 km
// cell, so the radius reaches the adjacent cells); twice the neighbours' median and 35 µg/m³
// (the width of PM2.5's first IAQI band in HJ 633, i.e. a whole category) keep sensor noise and
// ordinary street differences out; four hours is long enough to exclude a passing truck or a
// short burning and short enough to reach an inspector the same shift; ±45° is the usual
// half-width of an eight-point compass sector.
func DefaultConfig() Config {
	return Config{Pollutant: "pm25", RadiusKm: 3, MinNeighbours: 2, Ratio: 2, MinExcess: 35,
		PersistHours: 4, ClearHours: 2, SourceRadiusKm: 3, UpwindSectorDeg: 45, Lateness: 15 * time.Minute,
		Settle: time.Minute, CheckEvery: time.Minute}
}

// WithDefaults fills zero fields from DefaultConfig.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	set := func(v *float64, dv float64) {
		if *v == 0 {
			*v = dv
		}
	}
	seti := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	setd := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	if c.Pollutant == "" {
		c.Pollutant = d.Pollutant
	}
	set(&c.RadiusKm, d.RadiusKm)
	set(&c.Ratio, d.Ratio)
	set(&c.MinExcess, d.MinExcess)
	set(&c.SourceRadiusKm, d.SourceRadiusKm)
	set(&c.UpwindSectorDeg, d.UpwindSectorDeg)
	seti(&c.MinNeighbours, d.MinNeighbours)
	seti(&c.PersistHours, d.PersistHours)
	seti(&c.ClearHours, d.ClearHours)
	setd(&c.Lateness, d.Lateness)
	setd(&c.Settle, d.Settle)
	setd(&c.CheckEvery, d.CheckEvery)
	return c
}

// Validate checks the section (after WithDefaults).
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.Pollutant != "pm25" && c.Pollutant != "pm10" {
		errs = append(errs, fmt.Errorf("hotspot.pollutant %q: want pm25 or pm10", c.Pollutant))
	}
	if c.RadiusKm < 0 || c.SourceRadiusKm < 0 || c.MinExcess < 0 {
		errs = append(errs, errors.New("hotspot.radius_km, source_radius_km and min_excess must not be negative"))
	}
	if c.UpwindSectorDeg < 0 || c.UpwindSectorDeg > 180 {
		errs = append(errs, fmt.Errorf("hotspot.upwind_sector_deg %g: must be 0–180", c.UpwindSectorDeg))
	}
	if c.Ratio < 1 {
		errs = append(errs, fmt.Errorf("hotspot.ratio %g: must be at least 1", c.Ratio))
	}
	if c.MinNeighbours < 1 || c.PersistHours < 1 || c.ClearHours < 1 {
		errs = append(errs, errors.New("hotspot.min_neighbours, persist_hours and clear_hours must be at least 1"))
	}
	if c.Lateness < 0 || c.Settle < 0 || c.CheckEvery < 0 {
		errs = append(errs, errors.New("hotspot.lateness, settle and check_every must not be negative"))
	}
	return errors.Join(errs...)
}
