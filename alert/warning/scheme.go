package warning

import (
	"errors"
	"fmt"
	"strings"
)

// Term is one condition on the forecast AQI: the AQI exceeds AQI (or reaches it, with OrEqual)
// for at least Hours consecutive hours. With daily values a day counts 24 h, so 48 h is two
// consecutive days and 36 h rounds up to two days; with hourly rolling-24h values each value
// counts 1 h (docs/warnings.md, "The schemes"). Hours 0 asks for a single value: one day, or
// one rolling 24-h mean, since the "daily" AQI of the warning rules is any 24 consecutive hours
// (national schemes since the 2017 revision).
type Term struct {
	AQI     int  `json:"aqi" yaml:"aqi"`
	OrEqual bool `json:"or_equal,omitempty" yaml:"or_equal,omitempty"`
	Hours   int  `json:"hours,omitempty" yaml:"hours,omitempty"`
}

// holds reports whether one AQI value satisfies the term's threshold.
func (t Term) holds(v int) bool {
	if t.OrEqual {
		return v >= t.AQI
	}
	return v > t.AQI
}

// periods is how many consecutive values of a series with the given step (hours per value) the
// term needs.
func (t Term) periods(step int) int {
	return max(1, (t.Hours+step-1)/step)
}

func (t Term) String() string {
	op := ">"
	if t.OrEqual {
		op = "≥"
	}
	if t.Hours == 0 {
		return fmt.Sprintf("AQI %s %d", op, t.AQI)
	}
	return fmt.Sprintf("AQI %s %d for ≥ %d h", op, t.AQI, t.Hours)
}

// Clause is a conjunction of terms, all met within one episode: one run of consecutive values
// satisfying the clause's loosest threshold. So "> 200 for 72 h and > 300 for 24 h" needs the
// day above 300 inside the 72 h above 200, not in an unrelated episode.
type Clause []Term

func (c Clause) String() string {
	parts := make([]string, len(c))
	for i, t := range c {
		parts[i] = t.String()
	}
	return strings.Join(parts, " and ")
}

// Rule is the condition of one level: any one of its clauses.
type Rule struct {
	Level Level    `json:"level" yaml:"level"`
	AnyOf []Clause `json:"any_of" yaml:"any_of"`
	// Source cites where the condition comes from.
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
}

// LiftRule is the lifting condition: the forecast AQI stays below Below for at least Hours from
// the start of the forecast (daily values: a day counts 24 h, so 36 h needs two days).
type LiftRule struct {
	Below int `json:"below" yaml:"below"`
	Hours int `json:"hours" yaml:"hours"`
}

func (r LiftRule) String() string { return fmt.Sprintf("AQI < %d for ≥ %d h", r.Below, r.Hours) }

// Reduction is the share of society-wide emissions, in percent, that a level requires cutting.
type Reduction struct {
	Level Level `json:"level" yaml:"level"`
	SO2   int   `json:"so2" yaml:"so2"`
	NOx   int   `json:"nox" yaml:"nox"`
	PM    int   `json:"pm" yaml:"pm"`
	VOCs  int   `json:"vocs" yaml:"vocs"`
	// PooledSO2NOx allows trading SO2 against NOx locally as long as their sum meets the total
	// (Xinjiang practice: the regional orange warnings of 2019-12-02 and 2021-02-16).
	PooledSO2NOx bool `json:"pooled_so2_nox,omitempty" yaml:"pooled_so2_nox,omitempty"`
	// Source cites where the ratios come from.
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
}

// Scheme is a warning grading scheme: one rule per level, the lift rule and the reduction ratios.
// Schemes are plain values; the built-in ones are returned fresh by their constructors, so
// changing one never changes another.
type Scheme struct {
	// Name identifies the scheme in output ("2024", "2018", "2017", or a local name).
	Name string `json:"name" yaml:"name"`
	// Title cites the scheme's document.
	Title string `json:"title,omitempty" yaml:"title,omitempty"`
	// Rules, one per level, any order.
	Rules []Rule `json:"rules" yaml:"rules"`
	// Hourly says the scheme grades by any 24 consecutive hours, so an hourly rolling-24h
	// forecast is graded as well as the daily one (national schemes since the 2017 revision).
	Hourly bool `json:"hourly" yaml:"hourly"`
	// LeadHours is how far ahead Recommend issues: an episode starting later than this after the
	// start of the forecast is reported but not yet acted on (see Recommend).
	LeadHours int      `json:"lead_hours" yaml:"lead_hours"`
	Lift      LiftRule `json:"lift" yaml:"lift"`
	// Reductions, one per level that requires cuts; blue requires none.
	Reductions []Reduction `json:"reductions" yaml:"reductions"`
}

// Scheme2024 is the national scheme of 环大气〔2024〕6号《关于进一步优化重污染天气应对机制的指导意见》
// (released 2024-01-23; its numbers agree in several published copies), the default. It has no
// "AQI reaching 500" clause; none of the copies gives one.
func Scheme2024() Scheme {
	const src = "环大气〔2024〕6号"
	return Scheme{
		Name:  "2024",
		Title: "环大气〔2024〕6号 关于进一步优化重污染天气应对机制的指导意见",
		Rules: []Rule{
			{Level: Yellow, Source: src, AnyOf: []Clause{
				{{AQI: 200}},            // > 200
				{{AQI: 150, Hours: 48}}, // or > 150 lasting ≥ 48 h
			}},
			{Level: Orange, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 48}}, // > 200 lasting ≥ 48 h
				{{AQI: 150, Hours: 72}}, // or > 150 lasting ≥ 72 h
			}},
			{Level: Red, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 72}, {AQI: 300, Hours: 24}}, // > 200 ≥ 72 h and > 300 ≥ 24 h
			}},
		},
		Hourly:     true,
		LeadHours:  DefaultLeadHours,
		Lift:       XinjiangLift(),
		Reductions: PlanReductions(),
	}
}

// Scheme2018 is the three-level scheme of the 2019–2021 city plans (呼和浩特 2019, 深圳 2019,
// 忻州 2020, whose numbers agree), most likely 环办大气函〔2018〕875号 (the attribution is not
// confirmed: 875号's text was not read). Use it for the plan years of 昌州环发〔2019〕30号.
func Scheme2018() Scheme {
	const src = "three-level scheme of 2019–2021 city plans, probably 环办大气函〔2018〕875号 (attribution not confirmed)"
	return Scheme{
		Name:  "2018",
		Title: "环办大气函〔2018〕875号 (attribution not confirmed) three-level scheme",
		Rules: []Rule{
			{Level: Yellow, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 48}}, // > 200 lasting ≥ 48 h
			}},
			{Level: Orange, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 72}}, // > 200 lasting ≥ 72 h
			}},
			{Level: Red, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 96}, {AQI: 300, Hours: 48}}, // > 200 ≥ 96 h and > 300 ≥ 48 h
				{{AQI: 500, OrEqual: true}},                    // or forecast AQI reaching 500
			}},
		},
		Hourly:     true,
		LeadHours:  DefaultLeadHours,
		Lift:       XinjiangLift(),
		Reductions: PlanReductions(),
	}
}

// Scheme2017 is the four-level scheme of 环大气〔2017〕86号 (MEP slides 2017-09-20, matched by
// provincial summaries), with blue. Kept for replaying the winters before 2018.
func Scheme2017() Scheme {
	const src = "环大气〔2017〕86号"
	return Scheme{
		Name:  "2017",
		Title: "环大气〔2017〕86号 four-level scheme",
		Rules: []Rule{
			{Level: Blue, Source: src, AnyOf: []Clause{
				{{AQI: 200}}, // > 200
			}},
			{Level: Yellow, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 48}}, // > 200 lasting 2 days (48 h)
			}},
			{Level: Orange, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 72}, {AQI: 300, Hours: 24}}, // > 200 ≥ 72 h and > 300 at some point (≥ 1 day)
			}},
			{Level: Red, Source: src, AnyOf: []Clause{
				{{AQI: 200, Hours: 96}, {AQI: 300, Hours: 48}}, // > 200 ≥ 96 h and > 300 ≥ 48 h
				{{AQI: 500, OrEqual: true, Hours: 24}},         // or AQI reaching 500 (for ≥ 1 day)
			}},
		},
		Hourly:     true,
		LeadHours:  DefaultLeadHours,
		Lift:       XinjiangLift(),
		Reductions: PlanReductions(),
	}
}

// DefaultLeadHours: act on episodes starting within 3 days, the span every daily AQI forecast
// covers (HJ 633-2026: at least the next 3 days). No warning scheme found gives a lead time;
// this is Lantian's choice, not a rule (docs/warnings.md "Not confirmed").
const DefaultLeadHours = 72

// XinjiangLift is the lift rule of Xinjiang and Changji: daily AQI forecast below 150 for at
// least 36 h (自治区 lifting notices 2024-03-02 and 2025-01-08). The national wording is "below
// the yellow condition for ≥ 36 h" (扬州 2026), which a LiftRule can express only for a single
// threshold.
func XinjiangLift() LiftRule { return LiftRule{Below: 150, Hours: 36} }

// XinjiangReductions (reduction_set: wcs-regional) are the ratios of the 乌-昌-石 regional
// announcements, a configured alternative to the plan's ratios: SO2, NOx, PM and
// VOCs at least 10 / 20 / 30 % for yellow / orange / red (昌州环发〔2019〕30号 item 23
// "原则上分别不低于10%、20%、30%", and the Tianjin plan), except VOCs 15 % at orange with SO2
// and NOx pooled, as the regional orange warnings of 2019-12-02 and 2021-02-16 said. The VOCs
// ratios for yellow and red in Xinjiang were not found; they keep the plan's 10 and 30 %, and
// pooling is assumed for them too.
func XinjiangReductions() []Reduction {
	const plan = "昌州环发〔2019〕30号 item 23"
	return []Reduction{
		{Level: Yellow, SO2: 10, NOx: 10, PM: 10, VOCs: 10, PooledSO2NOx: true, Source: plan + "; VOCs and pooling for yellow not confirmed"},
		{Level: Orange, SO2: 20, NOx: 20, PM: 20, VOCs: 15, PooledSO2NOx: true, Source: "自治区 regional orange warnings 2019-12-02, 2021-02-16"},
		{Level: Red, SO2: 30, NOx: 30, PM: 30, VOCs: 30, PooledSO2NOx: true, Source: plan + "; VOCs and pooling for red not confirmed"},
	}
}

// Names of the built-in reduction sets (warnings.reduction_set). "xinjiang" is accepted as an
// older name of the regional set.
const (
	ReductionSetPlan     = "plan"
	ReductionSetRegional = "wcs-regional"
)

// PlanReductions are the plan's uniform ratios: all four pollutants at 10 / 20 / 30 % (昌州环发
// 〔2019〕30号 item 23 "原则上分别不低于10%、20%、30%", and the Tianjin plan), the default of every
// built-in scheme: the plan is the prefecture's own rule. Pooling SO2 with NOx is not in the
// plan; it is allowed only where a configured reduction says so.
func PlanReductions() []Reduction {
	const plan = "昌州环发〔2019〕30号 item 23; Tianjin plan"
	return []Reduction{
		{Level: Yellow, SO2: 10, NOx: 10, PM: 10, VOCs: 10, Source: plan},
		{Level: Orange, SO2: 20, NOx: 20, PM: 20, VOCs: 20, Source: plan},
		{Level: Red, SO2: 30, NOx: 30, PM: 30, VOCs: 30, Source: plan},
	}
}

// DefaultBlue is the optional blue tier for a built-in scheme. For 2018 it is the blue level of
// the 2017 scheme (> 200 on one day, 环大气〔2017〕86号). For 2024, whose yellow already starts at
// one day > 200, it is the 临时管控 tier below yellow of 扬州 2026 (> 150, or > 100 for ≥ 48 h;
// one local plan, its basis not confirmed). The 2017 scheme has blue built in.
func DefaultBlue(scheme string) ([]Clause, error) {
	switch scheme {
	case "2024":
		return []Clause{{{AQI: 150}}, {{AQI: 100, Hours: 48}}}, nil
	case "2018", "2017":
		return []Clause{{{AQI: 200}}}, nil
	}
	return nil, fmt.Errorf("no default blue tier for scheme %q (want 2024, 2018 or 2017)", scheme)
}

// ParseScheme returns a built-in scheme by name: 2024 (the default when empty), 2018 or 2017.
func ParseScheme(name string) (Scheme, error) {
	switch name {
	case "", "2024":
		return Scheme2024(), nil
	case "2018":
		return Scheme2018(), nil
	case "2017":
		return Scheme2017(), nil
	}
	return Scheme{}, fmt.Errorf("unknown scheme %q (want 2024, 2018 or 2017)", name)
}

// Rule returns the scheme's rule for a level.
func (s Scheme) Rule(l Level) (Rule, bool) {
	for _, r := range s.Rules {
		if r.Level == l {
			return r, true
		}
	}
	return Rule{}, false
}

// Reduction returns the ratios a level requires; none for None, Blue or a level without ratios.
func (s Scheme) Reduction(l Level) (Reduction, bool) {
	for _, r := range s.Reductions {
		if r.Level == l {
			return r, true
		}
	}
	return Reduction{Level: l}, false
}

// WithBlue returns a copy of s with a blue rule made of the clauses (replacing any blue rule).
func (s Scheme) WithBlue(source string, clauses ...Clause) Scheme {
	return s.WithRule(Rule{Level: Blue, AnyOf: clauses, Source: source})
}

// WithRule returns a copy of s whose rule for r.Level is r (added if s had none).
func (s Scheme) WithRule(r Rule) Scheme {
	out := s.clone()
	for i := range out.Rules {
		if out.Rules[i].Level == r.Level {
			out.Rules[i] = cloneRule(r)
			return out
		}
	}
	out.Rules = append(out.Rules, cloneRule(r))
	return out
}

func (s Scheme) clone() Scheme {
	out := s
	out.Rules = make([]Rule, len(s.Rules))
	for i, r := range s.Rules {
		out.Rules[i] = cloneRule(r)
	}
	out.Reductions = append([]Reduction(nil), s.Reductions...)
	return out
}

func cloneRule(r Rule) Rule {
	out := r
	out.AnyOf = make([]Clause, len(r.AnyOf))
	for i, c := range r.AnyOf {
		out.AnyOf[i] = append(Clause(nil), c...)
	}
	return out
}

// Bounds of config values: far beyond any real scheme, tight enough that a typo is caught.
const (
	maxAQI   = 500     // HJ 633's scale ends at 500, and lantian/alert/aqi caps there too
	maxHours = 10 * 24 // longer than the 7-day forecast window
	maxTerms = 8       // terms per clause, clauses per rule
	maxName  = 64      // scheme name
	pctMax   = 100     // reduction ratios are percentages
	maxText  = 4 << 10 // citations
)

// Validate reports every problem of a scheme (built-in schemes are valid; config may not be).
func (s Scheme) Validate() error {
	var errs []error
	if s.Name == "" || len(s.Name) > maxName {
		errs = append(errs, fmt.Errorf("scheme name must be 1–%d bytes", maxName))
	}
	if len(s.Title) > maxText {
		errs = append(errs, errors.New("scheme title too long"))
	}
	seen := map[Level]bool{}
	for i, r := range s.Rules {
		where := fmt.Sprintf("rules[%d] (%s)", i, r.Level)
		if r.Level <= None || r.Level > Red {
			errs = append(errs, fmt.Errorf("rules[%d]: level must be blue, yellow, orange or red, got %s", i, r.Level))
			continue
		}
		if seen[r.Level] {
			errs = append(errs, fmt.Errorf("%s: second rule for the same level", where))
		}
		seen[r.Level] = true
		if len(r.AnyOf) == 0 || len(r.AnyOf) > maxTerms {
			errs = append(errs, fmt.Errorf("%s: needs 1–%d clauses, has %d", where, maxTerms, len(r.AnyOf)))
		}
		if len(r.Source) > maxText {
			errs = append(errs, fmt.Errorf("%s: source too long", where))
		}
		for j, c := range r.AnyOf {
			if len(c) == 0 || len(c) > maxTerms {
				errs = append(errs, fmt.Errorf("%s clause %d: needs 1–%d terms, has %d", where, j+1, maxTerms, len(c)))
			}
			for k, t := range c {
				if t.AQI < 0 || t.AQI > maxAQI {
					errs = append(errs, fmt.Errorf("%s clause %d term %d: AQI %d outside 0–%d", where, j+1, k+1, t.AQI, maxAQI))
				}
				if t.Hours < 0 || t.Hours > maxHours {
					errs = append(errs, fmt.Errorf("%s clause %d term %d: hours %d outside 0–%d", where, j+1, k+1, t.Hours, maxHours))
				}
			}
		}
	}
	for _, l := range []Level{Yellow, Orange, Red} {
		if !seen[l] {
			errs = append(errs, fmt.Errorf("no rule for %s", l))
		}
	}
	if s.LeadHours < 0 || s.LeadHours > maxHours {
		errs = append(errs, fmt.Errorf("lead_hours %d outside 0–%d", s.LeadHours, maxHours))
	}
	if s.Lift.Below <= 0 || s.Lift.Below > maxAQI {
		errs = append(errs, fmt.Errorf("lift: below %d outside 1–%d", s.Lift.Below, maxAQI))
	}
	if s.Lift.Hours <= 0 || s.Lift.Hours > maxHours {
		errs = append(errs, fmt.Errorf("lift: hours %d outside 1–%d", s.Lift.Hours, maxHours))
	}
	seenR := map[Level]bool{}
	for i, r := range s.Reductions {
		if r.Level <= None || r.Level > Red {
			errs = append(errs, fmt.Errorf("reductions[%d]: level must be blue, yellow, orange or red, got %s", i, r.Level))
			continue
		}
		if seenR[r.Level] {
			errs = append(errs, fmt.Errorf("reductions[%d]: second entry for %s", i, r.Level))
		}
		seenR[r.Level] = true
		for _, p := range []struct {
			name string
			v    int
		}{{"so2", r.SO2}, {"nox", r.NOx}, {"pm", r.PM}, {"vocs", r.VOCs}} {
			if p.v < 0 || p.v > pctMax {
				errs = append(errs, fmt.Errorf("reductions[%d] (%s): %s %d%% outside 0–100", i, r.Level, p.name, p.v))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scheme %q: %w", s.Name, err)
	}
	return nil
}

// Config is the warnings section of Lantian's config: a built-in scheme plus local overrides,
// all plain data (JSON or YAML).
type Config struct {
	// Scheme is the built-in base: 2024 (default), 2018 or 2017.
	Scheme string `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	// Name renames the result (e.g. "changji-2024"); empty keeps the base's name.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Blue adds the base's DefaultBlue tier; BlueClauses, when set, are used instead.
	Blue        bool     `json:"blue,omitempty" yaml:"blue,omitempty"`
	BlueClauses []Clause `json:"blue_clauses,omitempty" yaml:"blue_clauses,omitempty"`
	// Rules replace the base's rule of the same level (local grading).
	Rules []Rule `json:"rules,omitempty" yaml:"rules,omitempty"`
	// Hourly overrides whether hourly rolling-24h forecasts are graded.
	Hourly *bool `json:"hourly,omitempty" yaml:"hourly,omitempty"`
	// LeadHours overrides how far ahead Recommend issues.
	LeadHours *int `json:"lead_hours,omitempty" yaml:"lead_hours,omitempty"`
	// Lift overrides the lift rule.
	Lift *LiftRule `json:"lift,omitempty" yaml:"lift,omitempty"`
	// Reductions replace the base's ratios of the same level; ReductionSet "wcs-regional" starts from
	// PlanReductions instead of XinjiangReductions.
	ReductionSet string      `json:"reduction_set,omitempty" yaml:"reduction_set,omitempty"`
	Reductions   []Reduction `json:"reductions,omitempty" yaml:"reductions,omitempty"`
}

// Build returns the configured scheme, validated.
func (c Config) Build() (Scheme, error) {
	s, err := ParseScheme(c.Scheme)
	if err != nil {
		return Scheme{}, fmt.Errorf("warnings config: %w", err)
	}
	base := s.Name
	if c.Name != "" {
		s.Name = c.Name
	}
	if c.Blue || len(c.BlueClauses) > 0 {
		clauses, source := c.BlueClauses, "local config"
		if len(clauses) == 0 {
			if _, hasBlue := s.Rule(Blue); !hasBlue {
				clauses, _ = DefaultBlue(base)
				source = "DefaultBlue (docs/warnings.md)"
			}
		}
		if len(clauses) > 0 {
			s = s.WithBlue(source, clauses...)
		}
	}
	for _, r := range c.Rules {
		if r.Source == "" {
			r.Source = "local config"
		}
		s = s.WithRule(r)
	}
	if c.Hourly != nil {
		s.Hourly = *c.Hourly
	}
	if c.LeadHours != nil {
		s.LeadHours = *c.LeadHours
	}
	if c.Lift != nil {
		s.Lift = *c.Lift
	}
	switch c.ReductionSet {
	case "", ReductionSetPlan:
	case ReductionSetRegional, "xinjiang":
		s.Reductions = XinjiangReductions()
	default:
		return Scheme{}, fmt.Errorf("warnings config: unknown reduction_set %q (want %s or %s)", c.ReductionSet, ReductionSetPlan, ReductionSetRegional)
	}
	for _, r := range c.Reductions {
		replaced := false
		for i := range s.Reductions {
			if s.Reductions[i].Level == r.Level {
				s.Reductions[i], replaced = r, true
			}
		}
		if !replaced {
			s.Reductions = append(s.Reductions, r)
		}
	}
	if err := s.Validate(); err != nil {
		return Scheme{}, fmt.Errorf("warnings config: %w", err)
	}
	return s, nil
}
