package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"lantian/alert/warning"
	"lantian/ingest/registry"
)

// Warnings configures the heavy-pollution warning office of `lantian run` (yaml key
// `warnings`): the grading scheme, the regions that warn as one, the API tokens and timings.
type Warnings struct {
	// Grading is the scheme: scheme (2024, 2018, 2017), blue, rules, lift, lead_hours,
	// reductions… (see alert/warning.Config), inline so the keys sit directly under warnings.
	Grading warning.Config `yaml:",inline"`
	// Regions warn as one (区域统一预警); each id must be a region of the registry. Absent:
	// every region of the registry (wcs by default); an empty list: none.
	Regions []WarningRegion `yaml:"regions"`
	// Tokens are the API and console credentials with their roles.
	Tokens []WarningToken `yaml:"tokens"`
	// RecomputeInterval is how often recommendations are re-evaluated without a new forecast
	// (a warning issued or lifted, observed days arriving, the forecast ageing).
	RecomputeInterval time.Duration `yaml:"recompute_interval"`
	// Observed adds the observed daily AQI (aqi_daily of the streaming assessor) of the days
	// before a forecast, so that an episode already running is graded at its full length.
	Observed bool `yaml:"observed"`
	// SessionTTL is how long a console login lasts.
	SessionTTL time.Duration `yaml:"session_ttl"`
}

// WarningRegion is a region of the registry that issues unified warnings.
type WarningRegion struct {
	ID string `yaml:"id"`
	// MinAreas and LiftMinAreas: see alert/warning.Region (0: warning.DefaultMinAreas).
	MinAreas     int `yaml:"min_areas"`
	LiftMinAreas int `yaml:"lift_min_areas"`
}

// Token roles of the warning office.
const (
	// RoleEmergency may issue, change and lift warnings and post forecasts (大气办).
	RoleEmergency = "emergency"
	// RoleForecaster may post forecasts and read.
	RoleForecaster = "forecaster"
	// RoleViewer may only read.
	RoleViewer = "viewer"
)

// WarningToken is one API token. The token itself is a Secret (never printed); token_file
// keeps it out of the config file.
type WarningToken struct {
	Name      string `yaml:"name"`
	Role      string `yaml:"role"`
	Token     Secret `yaml:"token"`
	TokenFile string `yaml:"token_file"`
}

// ResolvedToken is a token with its secret read from token_file if needed.
type ResolvedToken struct {
	Name, Role string
	Token      Secret
}

// minTokenLen keeps guessable tokens out: 16 bytes is already far beyond online guessing.
const minTokenLen = 16

// defaultWarnings are the defaults of the warnings section: the 2024 scheme, every region of
// the registry (the 乌-昌-石 key area by default), no tokens (nobody may issue until tokens are configured).
func defaultWarnings() Warnings {
	return Warnings{
		Grading:           warning.Config{Scheme: "2024"},
		RecomputeInterval: 10 * time.Minute,
		Observed:          true,
		SessionTTL:        12 * time.Hour,
	}
}

// WarningsConfig returns the warnings section. Until the Warnings field is part of Config it
// returns the defaults; the lead switches it to `return c.Warnings`.
func (c *Config) WarningsConfig() Warnings { return c.Warnings }

// ResolveTokens returns the tokens with their secrets, reading token files. It is called at
// start-up rather than in Resolve so that the section needs no mutable copy in Config.
func (w Warnings) ResolveTokens() ([]ResolvedToken, error) {
	var errs []error
	out := make([]ResolvedToken, 0, len(w.Tokens))
	seenName := map[string]bool{}
	seenToken := map[Secret]bool{}
	for i, t := range w.Tokens {
		where := fmt.Sprintf("warnings.tokens[%d]", i)
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is empty (it is what the audit trail records)", where))
		} else {
			where += " (" + t.Name + ")"
		}
		if seenName[t.Name] && t.Name != "" {
			errs = append(errs, fmt.Errorf("%s: name used twice", where))
		}
		seenName[t.Name] = true
		if !oneOf(t.Role, RoleEmergency, RoleForecaster, RoleViewer) {
			errs = append(errs, fmt.Errorf("%s: role %q must be emergency, forecaster or viewer", where, t.Role))
		}
		secret := t.Token
		switch {
		case t.Token != "" && t.TokenFile != "":
			errs = append(errs, fmt.Errorf("%s: give token or token_file, not both", where))
			continue
		case t.TokenFile != "":
			b, err := os.ReadFile(t.TokenFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: token_file: %w", where, err))
				continue
			}
			secret = Secret(strings.TrimSpace(string(b)))
		}
		if len(secret) < minTokenLen {
			errs = append(errs, fmt.Errorf("%s: token shorter than %d characters", where, minTokenLen))
			continue
		}
		if seenToken[secret] {
			errs = append(errs, fmt.Errorf("%s: the same token as another entry", where))
		}
		seenToken[secret] = true
		out = append(out, ResolvedToken{Name: t.Name, Role: t.Role, Token: secret})
	}
	return out, errors.Join(errs...)
}

// BuildScheme builds the configured grading scheme.
func (w Warnings) BuildScheme() (warning.Scheme, error) { return w.Grading.Build() }

// WarningRegions returns the configured regions from an indexed registry.
func (w Warnings) WarningRegions(reg *registry.Registry) ([]warning.Region, error) {
	var errs []error
	var out []warning.Region
	seen := map[string]bool{}
	regions := w.Regions
	if regions == nil {
		for _, a := range reg.Areas {
			if a.Kind == registry.Region {
				regions = append(regions, WarningRegion{ID: a.ID})
			}
		}
	}
	for i, r := range regions {
		wr, err := warning.RegionFromRegistry(reg, r.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("warnings.regions[%d]: %w", i, err))
			continue
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("warnings.regions[%d]: region %s listed twice", i, r.ID))
		}
		seen[r.ID] = true
		if r.MinAreas < 0 || r.LiftMinAreas < 0 {
			errs = append(errs, fmt.Errorf("warnings.regions[%d]: min_areas and lift_min_areas must not be negative", i))
		}
		wr.MinAreas, wr.LiftMinAreas = r.MinAreas, r.LiftMinAreas
		out = append(out, wr)
	}
	// An area in two regions would get two unified warnings that may disagree.
	owner := map[string]string{}
	for _, r := range out {
		for _, m := range r.Members {
			if o, ok := owner[m]; ok {
				errs = append(errs, fmt.Errorf("warnings.regions: area %s belongs to both %s and %s", m, o, r.ID))
			}
			owner[m] = r.ID
		}
	}
	return out, errors.Join(errs...)
}

// ValidateWarnings checks the warnings section (the registry must be indexed): `lantian run`
// calls it before starting the warning office, whether or not Resolve did.
func (c *Config) ValidateWarnings() error { return errors.Join(c.validateWarnings()...) }

// validateWarnings checks the warnings section; the registry must be indexed first.
func (c *Config) validateWarnings() []error {
	w := c.WarningsConfig()
	var errs []error
	if _, err := w.BuildScheme(); err != nil {
		errs = append(errs, err)
	}
	if _, err := w.WarningRegions(&c.Registry); err != nil {
		errs = append(errs, err)
	}
	if _, err := w.ResolveTokens(); err != nil {
		errs = append(errs, err)
	}
	if w.RecomputeInterval < time.Second {
		errs = append(errs, errors.New("warnings.recompute_interval must be at least 1s"))
	}
	if w.SessionTTL < time.Minute {
		errs = append(errs, errors.New("warnings.session_ttl must be at least 1m"))
	}
	return errs
}
