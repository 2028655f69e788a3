package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"lantian/alert/source"
	"lantian/ingest/reading"
	"lantian/service/config"
)

// printSourcesCheck adds to `lantian config check` what source monitoring will do with each
// registered outlet: the expected number of values per hour for the 75 % rule (and where it
// comes from), its limit preset, whether the plan requires it to be monitored, and the plan's
// boiler rule it falls under.
func printSourcesCheck(w io.Writer, cfg config.Config) error {
	if len(cfg.Sources) == 0 || !cfg.SourceMonitoring.Enabled {
		return nil
	}
	rules, err := cfg.SourceMonitoring.OutletRules(cfg.Sources, cfg.Location())
	if err != nil {
		return err
	}
	limits, err := cfg.SourceMonitoring.Limits(cfg.Sources)
	if err != nil {
		return err
	}
	cov := cfg.SourceMonitoring.Coverage
	keyArea := func(a string) bool { return slices.Contains(cfg.Registry.RegionsOf(a), cov.KeyRegion) }
	rows := source.CoverageRows(cfg.Sources, keyArea, nil, time.Now(), cov)
	byKey := make(map[string]source.CoverageRow, len(rows))
	for _, r := range rows {
		byKey[r.Source+"/"+r.Outlet] = r
	}
	fmt.Fprintf(w, "source outlets (75 %% rule: valid hour when valid values >= %g of expected):\n", rules.MinValidFraction)
	for _, s := range cfg.Sources {
		for _, o := range s.Outlets {
			k := source.OutletKey{Source: s.ID, Outlet: o.ID}
			var exp []string
			for _, p := range []reading.Period{reading.RealTime, reading.Minute, reading.Hour} {
				n, basis := rules.Expected(k, p)
				if basis == source.ExpectedReceived {
					exp = append(exp, fmt.Sprintf("%s=received(no interval)", p))
					continue
				}
				exp = append(exp, fmt.Sprintf("%s=%d(%s)", p, n, basis))
			}
			line := fmt.Sprintf("  %s expected %s", k, strings.Join(exp, " "))
			if p := cfg.SourceMonitoring.Presets[k.String()]; p != "" {
				line += " preset " + p
			}
			r := byKey[k.String()]
			if r.Mandated {
				line += " mandated(" + strings.Join(r.Reasons, ",") + ")"
			}
			if r.Boiler != "" {
				line += " boiler-rule " + r.Boiler
				if warn := source.BoilerLimitsCheck(r.Boiler, limits[k]); warn != "" {
					line += " WARNING " + warn
				}
			}
			if d := o.StackDiameterM; d > 0 {
				line += fmt.Sprintf(" flow-check(d=%gm)", d)
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
