// Package source is the pure core of pollution-source monitoring: emission limits and
// their presets, oxygen correction (折算), hourly means from real-time and minute CEMS readings,
// exceedance events, emission rates and totals, data-quality rules with a daily score, the
// heating-season staggered-production check and the CSV report behind `lantian sources report`.
//
// The core does no I/O except writing the report to a caller's io.Writer; the register of
// announced inspections (inspections.go) is the one file the package keeps. Its runtime, the
// Monitor of `lantian run` (monitor.go, the twin of alert/stream's Assessor), takes the stored
// outlet readings, writes the derived points through a Sink and raises alerts through a
// Notifier; the service implements both with InfluxDB and Alertmanager. MonitorConfig is the
// source_monitoring section of the configuration. docs/sources.md explains every figure, rule
// and default.
package source

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// The concentration fields of the data contract (docs/data-contract.md, outlet reading) that
// limits, events and emissions apply to. All are mg/m³ as measured; the converted (折算)
// counterpart carries the suffix "_zs".
const (
	Dust = "dust"
	SO2  = "so2"
	NOx  = "nox"
	NMHC = "nmhc"
)

// Auxiliary fields of an outlet reading used by the rules.
const (
	FieldO2   = schema.FieldO2   // %
	FieldFlow = schema.FieldFlow // m³/h
	FieldTemp = schema.FieldTemp // °C
)

// Suffixes of the derived per-hour fields kept in Hour.Fields next to the measured ones.
const (
	// SuffixDevice is the converted value the analyser sent (HJ 212 -ZsRtd/-ZsAvg).
	SuffixDevice = schema.ConvertedSuffix
	// SuffixCalc is the converted value Lantian computed from the measured value and O2.
	SuffixCalc = "_calc"
	// SuffixRate is the emission rate in kg/h computed per sample from measured
	// concentration and flow.
	SuffixRate = schema.RateSuffix
)

// Pollutants returns the concentration fields in report order. A function rather than a
// package variable so that no caller can change it for everyone.
func Pollutants() []string { return slices.Clone(schema.SourcePollutants[:]) }

func isPollutant(f string) bool { return slices.Contains(Pollutants(), f) }

// Confidence says how well a preset's number was confirmed when it was collected: C2 two
// independent published sources agree (the standard's text counts as one), C1 one source only,
// U unverified (memory or inference) — a default to check against the standard, not a fact.
type Confidence string

// The confidence values (docs/sources.md shows them per preset).
const (
	C2         Confidence = "C2"
	C1         Confidence = "C1"
	Unverified Confidence = "U"
)

// Limits are the emission limits of one outlet.
type Limits struct {
	// Preset names the preset the limits came from, if any.
	Preset string `yaml:"preset,omitempty"`
	// ReferenceO2Pct is the reference O2 (基准氧含量) the limits apply at. Zero means the limits
	// apply to measured concentrations (no O2 correction), as for VOCs vents and kiln heads.
	ReferenceO2Pct float64 `yaml:"reference_o2_pct,omitempty"`
	// Values maps a pollutant field (dust so2 nox nmhc) to its hourly-mean limit in mg/m³ at
	// the reference O2. The test is "mean ≤ limit" (docs/sources.md).
	Values map[string]float64 `yaml:"limits,omitempty"`
}

// Validate checks the ranges the conversion needs.
func (l Limits) Validate() error {
	if l.ReferenceO2Pct < 0 || l.ReferenceO2Pct >= 21 {
		return fmt.Errorf("reference O2 %g %% is outside [0, 21)", l.ReferenceO2Pct)
	}
	for _, p := range slices.Sorted(maps.Keys(l.Values)) {
		if !isPollutant(p) {
			return fmt.Errorf("limit for %q: not a concentration field (want dust, so2, nox or nmhc)", p)
		}
		if v := l.Values[p]; !(v > 0) {
			return fmt.Errorf("limit for %s must be positive, got %g", p, v)
		}
	}
	return nil
}

// Preset is a named set of limits from a standard, with its citation and confidence.
type Preset struct {
	Name           string
	Title          string
	ReferenceO2Pct float64
	// O2Confidence is the confidence of the reference O2.
	O2Confidence Confidence
	Values       map[string]float64
	// Confidence per pollutant of Values.
	Confidence map[string]Confidence
	// Citation names the standard or document and its table.
	Citation string
}

// Limits returns the preset as outlet limits.
func (p Preset) Limits() Limits {
	return Limits{Preset: p.Name, ReferenceO2Pct: p.ReferenceO2Pct, Values: maps.Clone(p.Values)}
}

// Presets returns the limit presets by config name. Each call builds a fresh map, so callers
// may modify the result. The numbers were collected from published copies and summaries of the
// standards; Confidence says which are not confirmed against the standard's text. Mercury limits
// are left out: Hg is not a field of the data contract.
func Presets() map[string]Preset {
	ps := []Preset{
		{
			// 《煤电节能减排升级与改造行动计划(2014—2020年)》, at 6 % O2; two sources agree.
			Name: "ultra-low-coal-power", Title: "Ultra-low emission, coal-fired power (超低排放)",
			ReferenceO2Pct: 6, O2Confidence: C2,
			Values:     map[string]float64{Dust: 10, SO2: 35, NOx: 50},
			Confidence: map[string]Confidence{Dust: C2, SO2: C2, NOx: C2},
			Citation:   "煤电节能减排升级与改造行动计划(2014—2020年)",
		},
		{
			// Key-area values 20/50/100 from one secondary source; coal reference O2 6 % unverified.
			Name: "gb13223-2011-coal-special", Title: "GB 13223-2011 thermal power, coal boiler, special limits (重点地区)",
			ReferenceO2Pct: 6, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: 20, SO2: 50, NOx: 100},
			Confidence: map[string]Confidence{Dust: C1, SO2: C1, NOx: C1},
			Citation:   "GB 13223-2011 Table 2 (special limits)",
		},
		// GB 13271-2014 industrial boilers: reference O2 coal 9 %, oil and gas 3.5 % (two sources).
		// Table 1 PM and coal SO2 from one web copy; every other GB 13271 number unverified.
		boiler("gb13271-2014-coal-existing", "coal, existing boilers", "Table 1", 9,
			[3]float64{80, 400, 400}, [3]Confidence{C1, C1, Unverified}),
		boiler("gb13271-2014-oil-existing", "oil, existing boilers", "Table 1", 3.5,
			[3]float64{60, 300, 400}, [3]Confidence{C1, Unverified, Unverified}),
		boiler("gb13271-2014-gas-existing", "gas, existing boilers", "Table 1", 3.5,
			[3]float64{30, 100, 400}, [3]Confidence{C1, Unverified, Unverified}),
		boiler("gb13271-2014-coal-new", "coal, new boilers", "Table 2", 9,
			[3]float64{50, 300, 300}, [3]Confidence{Unverified, Unverified, Unverified}),
		boiler("gb13271-2014-oil-new", "oil, new boilers", "Table 2", 3.5,
			[3]float64{30, 200, 250}, [3]Confidence{Unverified, Unverified, Unverified}),
		boiler("gb13271-2014-gas-new", "gas, new boilers", "Table 2", 3.5,
			[3]float64{20, 50, 200}, [3]Confidence{Unverified, Unverified, Unverified}),
		boiler("gb13271-2014-coal-special", "coal, special limits", "Table 3", 9,
			[3]float64{30, 200, 200}, [3]Confidence{Unverified, Unverified, Unverified}),
		boiler("gb13271-2014-oil-special", "oil, special limits", "Table 3", 3.5,
			[3]float64{30, 100, 200}, [3]Confidence{Unverified, Unverified, Unverified}),
		boiler("gb13271-2014-gas-special", "gas, special limits", "Table 3", 3.5,
			[3]float64{20, 50, 150}, [3]Confidence{Unverified, Unverified, Unverified}),
		{
			// NOx 320 as special limit from one source; 10 % O2 and PM/SO2 unverified.
			Name: "gb4915-2013-cement-kiln-special", Title: "GB 4915-2013 cement kiln tail, special limits (Table 2)",
			ReferenceO2Pct: 10, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: 20, SO2: 100, NOx: 320},
			Confidence: map[string]Confidence{Dust: Unverified, SO2: Unverified, NOx: C1},
			Citation:   "GB 4915-2013 Table 2",
		},
		{
			// SO2 30, NOx 150 and 8 % O2 from one source; PM 15 unverified.
			Name: "gb16171-2012-coke-oven-special", Title: "GB 16171-2012 coke-oven stack, special limits",
			ReferenceO2Pct: 8, O2Confidence: C1,
			Values:     map[string]float64{Dust: 15, SO2: 30, NOx: 150},
			Confidence: map[string]Confidence{Dust: Unverified, SO2: C1, NOx: C1},
			Citation:   "GB 16171-2012 special limits (特别排放限值)",
		},
		{
			// 10/35/50 from one source (2019 national steel ultra-low opinion); 16 % O2 unverified.
			Name: "steel-sinter-ultra-low", Title: "Steel sintering head, ultra-low emission (2019)",
			ReferenceO2Pct: 16, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: 10, SO2: 35, NOx: 50},
			Confidence: map[string]Confidence{Dust: C1, SO2: C1, NOx: C1},
			Citation:   "关于推进实施钢铁行业超低排放的意见 (2019)",
		},
	}
	ps = append(ps, morePresets()...)
	out := make(map[string]Preset, len(ps))
	for _, p := range ps {
		out[p.Name] = p
	}
	return out
}

// boiler builds a GB 13271-2014 preset: what is the fuel and kind, table the standard's table.
func boiler(name, what, table string, o2 float64, v [3]float64, c [3]Confidence) Preset {
	return Preset{
		Name: name, Title: "GB 13271-2014 industrial boilers, " + what + " (" + table + ")",
		ReferenceO2Pct: o2, O2Confidence: C2,
		Values:     map[string]float64{Dust: v[0], SO2: v[1], NOx: v[2]},
		Confidence: map[string]Confidence{Dust: c[0], SO2: c[1], NOx: c[2]},
		Citation:   "GB 13271-2014 " + table,
	}
}

// PresetNames lists the preset names, sorted.
func PresetNames() []string {
	return slices.Sorted(maps.Keys(Presets()))
}

// OutletKey identifies an outlet: the source id and the outlet id of the registry.
type OutletKey struct {
	Source, Outlet string
}

func (k OutletKey) String() string { return k.Source + "/" + k.Outlet }

// ResolveLimits builds the limits of every registered outlet. An outlet's limits start from the
// preset named for it in presets (if any); the registry's reference_o2_pct and limits then
// override the preset value by value, so that a permit stricter than the standard wins. An
// outlet without a preset or registered limits gets empty limits (no exceedance check).
func ResolveLimits(sources []registry.Source, presets map[OutletKey]string) (map[OutletKey]Limits, error) {
	all := Presets()
	out := make(map[OutletKey]Limits)
	known := make(map[OutletKey]bool)
	for _, s := range sources {
		for _, o := range s.Outlets {
			k := OutletKey{s.ID, o.ID}
			known[k] = true
			var l Limits
			if name, ok := presets[k]; ok {
				p, ok := all[name]
				if !ok {
					return nil, fmt.Errorf("outlet %s: unknown limit preset %q (known: %v)", k, name, PresetNames())
				}
				l = p.Limits()
			}
			if l.Values == nil {
				l.Values = make(map[string]float64)
			}
			if o.ReferenceO2Pct != 0 {
				l.ReferenceO2Pct = o.ReferenceO2Pct
			}
			for f, v := range o.Limits {
				l.Values[f] = v
			}
			if err := l.Validate(); err != nil {
				return nil, fmt.Errorf("outlet %s: %w", k, err)
			}
			out[k] = l
		}
	}
	var unknown []string
	for k := range presets {
		if !known[k] {
			unknown = append(unknown, k.String())
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("limit presets given for unregistered outlets: %v", unknown)
	}
	return out, nil
}
