package aqi

import (
	"fmt"
	"time"
)

// Rules names an edition of the AQI rules: HJ 633 with the GB 3095 limits of the same year.
type Rules int

const (
	// Rules2012 is HJ 633-2012 with GB 3095-2012 (in force 2016-01-01 to 2026-02-28). The
	// Changji plan's 2015–2020 figures are judged by these rules.
	Rules2012 Rules = 2012
	// Rules2026 is HJ 633-2026 with GB 3095-2026 (in force from 2026-03-01).
	Rules2026 Rules = 2026
)

// cutover2026 is the first day of the 2026 rules (HJ 633-2026 and GB 3095-2026 title pages).
var cutover2026 = Date{2026, time.March, 1}

// RulesForDate returns the edition in force on a (Beijing-time) calendar day.
func RulesForDate(d Date) Rules {
	if d.Before(cutover2026) {
		return Rules2012
	}
	return Rules2026
}

// RulesForTime returns the edition in force at an instant. The standards change at midnight
// Beijing time, whatever zone the caller works in.
func RulesForTime(t time.Time) Rules {
	return RulesForDate(DateOf(t.In(beijing())))
}

// OnDate returns r, or when r is zero ("auto", no edition pinned) the edition in force on d.
// The offline report and the streaming assessor both choose their rules through it.
func (r Rules) OnDate(d Date) Rules {
	if r != 0 {
		return r
	}
	return RulesForDate(d)
}

// AtTime returns r, or when r is zero the edition in force at t.
func (r Rules) AtTime(t time.Time) Rules {
	if r != 0 {
		return r
	}
	return RulesForTime(t)
}

func beijing() *time.Location { return time.FixedZone("CST", 8*3600) }

// ParseRules accepts "2012" or "2026".
func ParseRules(s string) (Rules, error) {
	switch s {
	case "2012":
		return Rules2012, nil
	case "2026":
		return Rules2026, nil
	}
	return 0, fmt.Errorf("unknown rule set %q (want 2012 or 2026)", s)
}

// Valid reports whether r is a known edition.
func (r Rules) Valid() bool { return r == Rules2012 || r == Rules2026 }

func (r Rules) String() string {
	switch r {
	case Rules2012:
		return "HJ 633-2012"
	case Rules2026:
		return "HJ 633-2026"
	}
	return fmt.Sprintf("rules(%d)", int(r))
}

// Pollutant is one of the six basic pollutants of GB 3095.
type Pollutant uint8

// The six pollutants, in the order reports list them.
const (
	PM25 Pollutant = iota
	PM10
	SO2
	NO2
	CO
	O3
	NumPollutants
)

var pollutantNames = [NumPollutants]string{"PM2.5", "PM10", "SO2", "NO2", "CO", "O3"}

// String is the name used in reports: PM2.5, PM10, SO2, NO2, CO, O3.
func (p Pollutant) String() string {
	if p < NumPollutants {
		return pollutantNames[p]
	}
	return fmt.Sprintf("pollutant(%d)", uint8(p))
}

// Indicator is a column of the IAQI breakpoint table: a pollutant and its averaging time.
type Indicator uint8

// Indicators of HJ 633 Table 1 (2012) / Table 3 (2026).
const (
	SO2_24h Indicator = iota
	SO2_1h
	NO2_24h
	NO2_1h
	PM10_24h
	PM25_24h
	CO_24h
	CO_1h
	O3_1h
	O3_8h
	numIndicators
)

var indicatorInfo = [numIndicators]struct {
	name string
	p    Pollutant
}{
	SO2_24h:  {"SO2_24h", SO2},
	SO2_1h:   {"SO2_1h", SO2},
	NO2_24h:  {"NO2_24h", NO2},
	NO2_1h:   {"NO2_1h", NO2},
	PM10_24h: {"PM10_24h", PM10},
	PM25_24h: {"PM2.5_24h", PM25},
	CO_24h:   {"CO_24h", CO},
	CO_1h:    {"CO_1h", CO},
	O3_1h:    {"O3_1h", O3},
	O3_8h:    {"O3_8h", O3},
}

func (i Indicator) String() string {
	if i < numIndicators {
		return indicatorInfo[i].name
	}
	return fmt.Sprintf("indicator(%d)", uint8(i))
}

// Pollutant returns the indicator's pollutant.
func (i Indicator) Pollutant() Pollutant {
	if i < numIndicators {
		return indicatorInfo[i].p
	}
	return NumPollutants
}

// iaqiSteps are the IAQI rows of the breakpoint tables.
var iaqiSteps = [8]int{0, 50, 100, 150, 200, 300, 400, 500}

// HJ 633-2012 Table 1 (read in the standard's text). Entry k
// is the concentration at IAQI iaqiSteps[k], in µg/m³ (CO: mg/m³). SO2 1h and O3 8h stop at 800:
// above it the special cases of HJ 633-2012 Table 1 notes (2)/(3) apply. The SO2 24h column is
// the primary text's, not caiyunapp/aqi-hub's (which copies the 1h values).
var table2012 = [numIndicators][]int64{
	SO2_24h:  {0, 50, 150, 475, 800, 1600, 2100, 2620},
	SO2_1h:   {0, 150, 500, 650, 800},
	NO2_24h:  {0, 40, 80, 180, 280, 565, 750, 940},
	NO2_1h:   {0, 100, 200, 700, 1200, 2340, 3090, 3840},
	PM10_24h: {0, 50, 150, 250, 350, 420, 500, 600},
	PM25_24h: {0, 35, 75, 115, 150, 250, 350, 500},
	CO_24h:   {0, 2, 4, 14, 24, 36, 48, 60},
	CO_1h:    {0, 5, 10, 35, 60, 90, 120, 150},
	O3_1h:    {0, 160, 200, 300, 400, 800, 1000, 1200},
	O3_8h:    {0, 100, 160, 215, 265, 800},
}

// HJ 633-2026 Table 3 (read in the standard's text): identical to 2012 except the IAQI-100
// breakpoints of PM10 (150 → 120) and PM2.5 (75 → 60), which are GB 3095-2026's transitional
// Grade II daily limits.
var table2026 = [numIndicators][]int64{
	SO2_24h:  {0, 50, 150, 475, 800, 1600, 2100, 2620},
	SO2_1h:   {0, 150, 500, 650, 800},
	NO2_24h:  {0, 40, 80, 180, 280, 565, 750, 940},
	NO2_1h:   {0, 100, 200, 700, 1200, 2340, 3090, 3840},
	PM10_24h: {0, 50, 120, 250, 350, 420, 500, 600},
	PM25_24h: {0, 35, 60, 115, 150, 250, 350, 500},
	CO_24h:   {0, 2, 4, 14, 24, 36, 48, 60},
	CO_1h:    {0, 5, 10, 35, 60, 90, 120, 150},
	O3_1h:    {0, 160, 200, 300, 400, 800, 1000, 1200},
	O3_8h:    {0, 100, 160, 215, 265, 800},
}

// Fixed indices of the HJ 633-2026 ">800" special cases (Table 3 notes).
const (
	so2HourCap2026 = 200
	o3EightCap2026 = 300
)

// Breakpoints returns a copy of an indicator's breakpoint column (in the pollutant's unit) and
// the IAQI of each row.
func Breakpoints(r Rules, ind Indicator) (conc []int64, iaqi []int) {
	t := table(r)
	if t == nil || ind >= numIndicators {
		return nil, nil
	}
	col := t[ind]
	return append([]int64(nil), col...), append([]int(nil), iaqiSteps[:len(col)]...)
}

func table(r Rules) *[numIndicators][]int64 {
	switch r {
	case Rules2012:
		return &table2012
	case Rules2026:
		return &table2026
	}
	return nil
}

// Grade II limits used by the HJ 663 validity exceptions: a daily maximum above the limit is
// valid even when too few hours were measured. GB 3095-2012 Table 1 and GB 3095-2026 Table 1
// agree on both.
const (
	o3EightHourLimit = 160 // µg/m³, daily max 8 h, Grade II
	o3OneHourLimit   = 200 // µg/m³, 1 h, Grade II
)

// HJ 663-2013 / GB 3095 Table 4 minimum data (GB 3095-2026 Table 4; the 2012 table is taken as
// identical). The 14-window rule is from a secondary source, not confirmed against HJ 663's text.
const (
	minHoursPerDay    = 20  // hourly means for a 24-h mean
	minHoursPerWindow = 6   // of 8 hourly means for an 8-h moving mean
	minO3Windows      = 14  // of the 17 8-h windows inside the day, for the daily max 8 h
	minDaysPerYear    = 324 // daily values for an annual statistic
	minDaysPerMonth   = 27  // daily values per month for an annual statistic
	minDaysFebruary   = 25  // … in February
)

// RoundingStep is the precision concentrations are rounded to before the IAQI step and in
// daily reports: whole µg/m³, and 0.1 mg/m³ for CO (HJ 633-2026 §4.2.2, GB/T 8170 half to even).
// HJ 633-2012 is silent; the same precision is what daily values are published with, so both
// editions use it. GB/T 8170's half to even is not confirmed against its text (docs/assessment.md).
func RoundingStep(p Pollutant) Conc {
	if p == CO {
		return Unit / 10
	}
	return Unit
}

// Decimals is the number of decimals of RoundingStep(p).
func Decimals(p Pollutant) int {
	if p == CO {
		return 1
	}
	return 0
}

// Round rounds c half to even to the reporting precision of p.
func Round(p Pollutant, c Conc) Conc {
	if c < 0 {
		return c
	}
	return divRoundHalfEven(int64(c), 1, RoundingStep(p))
}
