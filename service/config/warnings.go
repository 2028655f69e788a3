package config

import (
	"errors"
	"fmt"
	"slices"

	"lantian/alert/office"
	"lantian/ingest/conf"
)

// Warnings configures the heavy-pollution warning office of `lantian run` (yaml key
// `warnings`): the office's own section (grading scheme, regions, timings) with the API
// tokens beside it. The tokens stay here because they are secrets, resolved at start-up.
type Warnings struct {
	office.Config `yaml:",inline"`
	// Tokens are the API and console credentials with their roles.
	Tokens []WarningToken `yaml:"tokens"`
}

// WarningToken is one API token. The token itself is a Secret (never printed); token_file
// keeps it out of the config file.
type WarningToken struct {
	Name string `yaml:"name"`
	// Role is office.RoleEmergency, office.RoleForecaster or office.RoleViewer.
	Role      string      `yaml:"role"`
	Token     conf.Secret `yaml:"token"`
	TokenFile string      `yaml:"token_file"`
}

// ResolvedToken is a token with its secret read from token_file if needed.
type ResolvedToken struct {
	Name, Role string
	Token      conf.Secret
}

// minTokenLen keeps guessable tokens out: 16 bytes is already far beyond online guessing.
const minTokenLen = 16

// defaultWarnings are the defaults of the warnings section: the office's defaults and no
// tokens (nobody may issue until tokens are configured).
func defaultWarnings() Warnings {
	return Warnings{Config: office.DefaultConfig()}
}

// WarningsConfig returns the warnings section.
func (c *Config) WarningsConfig() Warnings { return c.Warnings }

// ResolveTokens returns the tokens with their secrets, reading token files. It is called at
// start-up rather than in Resolve so that the section needs no mutable copy in Config.
func (w Warnings) ResolveTokens() ([]ResolvedToken, error) {
	var errs []error
	out := make([]ResolvedToken, 0, len(w.Tokens))
	seenName := map[string]bool{}
	seenToken := map[conf.Secret]bool{}
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
		if !slices.Contains([]string{office.RoleEmergency, office.RoleForecaster, office.RoleViewer}, t.Role) {
			errs = append(errs, fmt.Errorf("%s: role %q must be emergency, forecaster or viewer", where, t.Role))
		}
		secret := t.Token
		switch {
		case t.Token != "" && t.TokenFile != "":
			errs = append(errs, fmt.Errorf("%s: give token or token_file, not both", where))
			continue
		case t.TokenFile != "":
			if err := conf.ReadSecretFile(&secret, t.TokenFile); err != nil {
				errs = append(errs, fmt.Errorf("%s: token_file: %w", where, err))
				continue
			}
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

// ValidateWarnings checks the warnings section (the registry must be indexed): `lantian run`
// calls it before starting the warning office, whether or not Resolve did.
func (c *Config) ValidateWarnings() error { return errors.Join(c.validateWarnings()...) }

// validateWarnings checks the warnings section; the registry must be indexed first.
func (c *Config) validateWarnings() []error {
	w := c.WarningsConfig()
	var errs []error
	if err := w.Config.Validate(&c.Registry); err != nil {
		errs = append(errs, err)
	}
	if _, err := w.ResolveTokens(); err != nil {
		errs = append(errs, err)
	}
	return errs
}
