package source

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"lantian/ingest/registry"
)

// CoverageConfig is source_monitoring.coverage: which outlets the plan requires to be
// monitored automatically, and how fresh their data must be.
type CoverageConfig struct {
	// StackHeightM: stacks higher than this are mandated. 45, from the plan's item 25:
	// "排气筒高度超过45米的高架源 … 安装烟气或VOCs排放自动监控设施" (昌州环发〔2019〕30号).
	// 超过 reads "above": a stack of exactly 45 m is not mandated by the text.
	StackHeightM float64 `yaml:"stack_height_m"`
	// Window: a mandated outlet without a reading for this long has a coverage gap (alerted).
	Window time.Duration `yaml:"window"`
	// KeyRegion is the registry region of the plan's key area (乌-昌-石), where the boiler
	// rules of item 10 apply.
	KeyRegion string `yaml:"key_region"`
}

// DefaultCoverageConfig returns the defaults.
func DefaultCoverageConfig() CoverageConfig {
	return CoverageConfig{StackHeightM: 45, Window: 6 * time.Hour, KeyRegion: "wcs"}
}

func (c CoverageConfig) validate() error {
	if c.StackHeightM <= 0 {
		return fmt.Errorf("coverage.stack_height_m %g must be positive", c.StackHeightM)
	}
	if c.Window < time.Minute {
		return fmt.Errorf("coverage.window %v must be at least 1m", c.Window)
	}
	return nil
}

// Coverage statuses.
const (
	CoverageOK       = "ok"           // data within the window
	CoverageStale    = "stale"        // data, but not within the window
	CoverageNoData   = "no_data"      // no data seen (since the service's look-back)
	CoverageNotReq   = "not_required" // not mandated; data status only for information
	CoverageUnknown  = "unknown"      // no data status (not asked)
	reasonStack      = "stack_height"
	reasonKeyVOCs    = "key_vocs"
	boilerUltraLow   = "coal_65th_ultra_low"
	boilerLowNOx     = "gas_low_nox"
	boilerNotInScope = ""
)

// CoverageRow is one registered outlet in the coverage view.
type CoverageRow struct {
	Source     string  `json:"source"`
	SourceName string  `json:"source_name"`
	County     string  `json:"county"`
	Outlet     string  `json:"outlet"`
	StackM     float64 `json:"stack_height_m,omitempty"`
	KeyVOCs    bool    `json:"key_vocs,omitempty"`
	// Mandated: the plan's item 25 requires automatic monitoring; Reasons say why
	// (stack_height, key_vocs).
	Mandated bool     `json:"mandated"`
	Reasons  []string `json:"reasons,omitempty"`
	// Logger: an HJ 212 data logger (MN) is registered for the outlet.
	Logger bool `json:"logger_registered"`
	// LastData is the end of the period of the latest reading seen (zero: none).
	LastData time.Time `json:"last_data,omitzero"`
	Status   string    `json:"status"`
	// Boiler is the plan's boiler rule the outlet falls under (item 10), with its text.
	Boiler     string `json:"boiler_rule,omitempty"`
	BoilerText string `json:"boiler_rule_text,omitempty"`
}

// Gap reports whether the row is a mandated outlet without fresh data.
func (r CoverageRow) Gap() bool {
	return r.Mandated && (r.Status == CoverageNoData || r.Status == CoverageStale)
}

// BoilerRule returns the plan's boiler rule an outlet falls under (昌州环发〔2019〕30号
// item 10: "2020年9月底前，"乌-昌-石"区域各县级及以上城市建成区完成每小时65蒸吨及以上燃煤锅炉
// 节能和超低排放改造工作，基本完成燃气锅炉低氮改造工作"), and the rule in words. The
// registry knows the county, not whether the boiler is in a built-up area (城市建成区): every
// boiler of a key-area county is listed, to be confirmed by the county bureau.
func BoilerRule(o registry.Outlet, inKeyArea bool) (string, string) {
	if !inKeyArea || !o.IsBoiler() {
		return boilerNotInScope, ""
	}
	switch {
	case o.Fuel == registry.FuelCoal && o.CapacityTH() >= 65:
		return boilerUltraLow, fmt.Sprintf("燃煤锅炉 %.0f t/h ≥ 65 t/h，乌-昌-石区域：2020年9月底前完成超低排放改造（预设 ultra-low-coal-power）coal boiler of %.0f t/h in the key area: ultra-low emission by 2020-09-30", o.CapacityTH(), o.CapacityTH())
	case o.Fuel == registry.FuelGas:
		return boilerLowNOx, "燃气锅炉，乌-昌-石区域：2020年9月底前基本完成低氮改造 gas boiler in the key area: low-NOx retrofit by 2020-09-30"
	}
	return boilerNotInScope, ""
}

// CoverageRows lists every registered outlet: whether the plan requires it to be monitored,
// whether data arrived within the window before now (lastSeen: end of the latest reading's
// period per outlet; nil means not asked), and its boiler rule. keyArea says whether an area
// is in the key region. Rows are sorted mandated first, then by source and outlet.
func CoverageRows(sources []registry.Source, keyArea func(string) bool, lastSeen map[OutletKey]time.Time, now time.Time,
	cfg CoverageConfig) []CoverageRow {
	var out []CoverageRow
	for _, s := range sources {
		for _, o := range s.Outlets {
			k := OutletKey{Source: s.ID, Outlet: o.ID}
			r := CoverageRow{Source: s.ID, SourceName: s.Name, County: s.Area, Outlet: o.ID, StackM: o.StackHeightM,
				KeyVOCs: o.KeyVOCs, Logger: o.MN != ""}
			if o.StackHeightM > cfg.StackHeightM {
				r.Reasons = append(r.Reasons, reasonStack)
			}
			if o.KeyVOCs {
				r.Reasons = append(r.Reasons, reasonKeyVOCs)
			}
			r.Mandated = len(r.Reasons) > 0
			r.Boiler, r.BoilerText = BoilerRule(o, keyArea != nil && keyArea(s.Area))
			last, seen := lastSeen[k]
			r.LastData = last
			switch {
			case lastSeen == nil:
				r.Status = CoverageUnknown
			case !seen || last.IsZero():
				r.Status = CoverageNoData
			case now.Sub(last) > cfg.Window:
				r.Status = CoverageStale
			default:
				r.Status = CoverageOK
			}
			if !r.Mandated && r.Status != CoverageUnknown && r.Status != CoverageOK {
				r.Status = CoverageNotReq
			}
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b CoverageRow) int {
		if a.Mandated != b.Mandated {
			if a.Mandated {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Source+"/"+a.Outlet, b.Source+"/"+b.Outlet)
	})
	return out
}

// updateCoverage rebuilds the coverage view from the outlets' last readings and sets its
// metrics (run goroutine).
func (m *Monitor) updateCoverage(now time.Time) {
	seen := make(map[OutletKey]time.Time, len(m.lastSeen))
	for k, t := range m.lastSeen {
		seen[k] = t
	}
	rows := CoverageRows(m.sources, m.keyArea, seen, now, m.cfg.Coverage)
	for _, r := range rows {
		gap := 0.0
		if r.Gap() {
			gap = 1
		}
		m.m.coverageGap.WithLabelValues(r.Source, r.Outlet, r.County, strings.Join(r.Reasons, ",")).Set(gap)
	}
	m.covMu.Lock()
	m.coverage = rows
	m.covMu.Unlock()
}

// Coverage returns the coverage view as of the last check (safe for concurrent use).
func (m *Monitor) Coverage() []CoverageRow {
	m.covMu.Lock()
	defer m.covMu.Unlock()
	return slices.Clone(m.coverage)
}

// BoilerLimitsCheck says what falls short when an outlet under the plan's ultra-low boiler
// rule is judged against limits laxer than the ultra-low values (ultra-low-coal-power: 10/35/50
// mg/m³ at 6 % O2); empty when nothing does. Limits at another reference O2 are converted to
// 6 % for the comparison. Gas boilers' low-NOx retrofit has no number in the plan and is not
// checked.
func BoilerLimitsCheck(rule string, lim Limits) string {
	if rule != boilerUltraLow {
		return ""
	}
	ul := Presets()["ultra-low-coal-power"]
	var short []string
	for _, p := range slices.Sorted(maps.Keys(ul.Values)) {
		v, ok := lim.Values[p]
		if !ok {
			short = append(short, p+" not limited")
			continue
		}
		at := v
		if lim.ReferenceO2Pct > 0 && lim.ReferenceO2Pct != ul.ReferenceO2Pct {
			at = v * (ambientO2Pct - ul.ReferenceO2Pct) / (ambientO2Pct - lim.ReferenceO2Pct)
		}
		if at > ul.Values[p]+1e-9 {
			short = append(short, fmt.Sprintf("%s %g > %g", p, at, ul.Values[p]))
		}
	}
	if len(short) == 0 {
		return ""
	}
	return "limits laxer than ultra-low at 6 % O2 (plan item 10): " + strings.Join(short, ", ")
}
