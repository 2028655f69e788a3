package aqi

import (
	"fmt"
	"strings"
)

// IAQI returns the individual air-quality index of concentration c for an indicator (HJ 633
// §6.2 formula, unchanged in HJ 633-2026). c is first rounded to the reporting precision, then the
// index is interpolated in exact integer arithmetic and rounded up (HJ 633-2012 §6.2 "进位",
// HJ 633-2026 §4.2.6 "向上取整").
//
// Above the top breakpoint the index is capped at 500, the usual "爆表" convention (the standards
// do not define it). ok is false when no index exists: a negative concentration, an unknown
// rules/indicator, or the HJ 633-2012 cases SO2 1h > 800 and O3 8h > 800, where the standard
// reports the pollutant through another indicator (SO2 24h, O3 1h) instead. In HJ 633-2026 those
// two cases give fixed indices 200 and 300.
func IAQI(r Rules, ind Indicator, c Conc) (iaqi int, ok bool) {
	t := table(r)
	if t == nil || ind >= numIndicators || c < 0 {
		return 0, false
	}
	col := t[ind]
	c = Round(ind.Pollutant(), c)
	if top := Conc(col[len(col)-1]) * Unit; c > top {
		switch {
		case ind == SO2_1h && r == Rules2026:
			return so2HourCap2026, true
		case ind == O3_8h && r == Rules2026:
			return o3EightCap2026, true
		case ind == SO2_1h, ind == O3_8h:
			return 0, false
		}
		return iaqiSteps[len(iaqiSteps)-1], true
	}
	for k := 1; k < len(col); k++ {
		hi := Conc(col[k]) * Unit
		if c > hi {
			continue
		}
		lo := Conc(col[k-1]) * Unit
		iLo, iHi := int64(iaqiSteps[k-1]), int64(iaqiSteps[k])
		// Ceiling of a non-negative fraction in integers: products stay below 2⁶³ because
		// c ≤ MaxConc and the IAQI span is at most 100.
		num := (iHi - iLo) * int64(c-lo)
		den := int64(hi - lo)
		return int(iLo + (num+den-1)/den), true
	}
	return 0, false // unreachable: c ≤ top
}

// Level is the AQI level 1 … 6 of HJ 633 Table 2 (2012) / the same table of 2026. Zero means no AQI.
type Level int

// LevelOf maps an integer AQI to its level; the boundaries are on the integer AQI.
func LevelOf(aqi int) Level {
	switch {
	case aqi < 0:
		return 0
	case aqi <= 50:
		return 1
	case aqi <= 100:
		return 2
	case aqi <= 150:
		return 3
	case aqi <= 200:
		return 4
	case aqi <= 300:
		return 5
	}
	return 6
}

// HJ 633-2012 Table 2 and Appendix A (colours identical in HJ 633-2026 Appendix A).
var levelInfo = [7]struct {
	name, category, colour string
	rgb                    [3]uint8
}{
	1: {"一级", "优", "绿色", [3]uint8{0, 228, 0}},
	2: {"二级", "良", "黄色", [3]uint8{255, 255, 0}},
	3: {"三级", "轻度污染", "橙色", [3]uint8{255, 126, 0}},
	4: {"四级", "中度污染", "红色", [3]uint8{255, 0, 0}},
	5: {"五级", "重度污染", "紫色", [3]uint8{153, 0, 76}},
	6: {"六级", "严重污染", "褐红色", [3]uint8{126, 0, 35}},
}

func (l Level) ok() bool { return l >= 1 && l <= 6 }

// Name is the level's Chinese name, e.g. 三级.
func (l Level) Name() string {
	if !l.ok() {
		return ""
	}
	return levelInfo[l].name
}

// Category is the Chinese category, e.g. 轻度污染.
func (l Level) Category() string {
	if !l.ok() {
		return ""
	}
	return levelInfo[l].category
}

// ColourName is the official colour's Chinese name, e.g. 橙色.
func (l Level) ColourName() string {
	if !l.ok() {
		return ""
	}
	return levelInfo[l].colour
}

// RGB is the official colour.
func (l Level) RGB() (r, g, b uint8) {
	if !l.ok() {
		return 0, 0, 0
	}
	c := levelInfo[l].rgb
	return c[0], c[1], c[2]
}

// Hex is the official colour as #RRGGBB.
func (l Level) Hex() string {
	if !l.ok() {
		return ""
	}
	r, g, b := l.RGB()
	return fmt.Sprintf("#%02X%02X%02X", r, g, b)
}

// Heavy reports a heavy-pollution level (重污染, AQI > 200: 重度 and 严重污染 of HJ 633 Table 2).
func (l Level) Heavy() bool { return l >= 5 }

// Sample is one value with its validity: Valid is false for a missing value, one flagged invalid
// (maintenance, calibration, fault …) or a statistic that failed its HJ 663 minimum-data rule.
type Sample struct {
	C     Conc
	Valid bool
}

// Val is a valid sample.
func Val(c Conc) Sample { return Sample{C: c, Valid: true} }

// SubIndex is one indicator's part in an AQI.
type SubIndex struct {
	Indicator Indicator
	Label     string // the name reports use: PM2.5 … O3, or O3_8h/O3_1h in the 2012 daily report
	Conc      Conc   // rounded concentration the index was computed from
	IAQI      int
	// Valid is false when the indicator gave no index (missing data, or a 2012 ">800" case
	// without its fallback).
	Valid bool
	// Replaced marks the HJ 633-2012 O3 8h > 800 case: the pollutant is reported through O3 1h,
	// so this indicator is neither valid nor missing.
	Replaced bool
}

// Result is an AQI with its level and primary pollutants.
type Result struct {
	Rules Rules
	// AQI is the largest IAQI. It is meaningful only when Published.
	AQI int
	// Published is false when no AQI may be given: the hour's PM2.5 is missing (2012 real-time
	// report), or an indicator is missing and the AQI of the rest is ≤ 100 (HJ 633-2026 §5.3,
	// applied to both editions), or nothing was valid.
	Published bool
	// Partial is true when the AQI was computed without some indicator.
	Partial bool
	Level   Level // 0 unless Published
	// Primary are the labels of the indicators with the largest IAQI when AQI > 50 (ties all
	// count); empty otherwise.
	Primary []string
	// Over100 are the labels with IAQI > 100 (HJ 633-2012's 超标污染物; HJ 633-2026 dropped the
	// term, so callers should present it as "above IAQI 100").
	Over100 []string
	Sub     []SubIndex
}

// PrimaryString joins the primary pollutants with '+', e.g. "PM2.5+PM10".
func (r Result) PrimaryString() string { return strings.Join(r.Primary, "+") }

// Hour is one station-hour for the real-time (hourly) report.
type Hour struct {
	// Values are the 1-hour values, indexed by Pollutant.
	Values [NumPollutants]Sample
	// SO2_24h is the 24-h moving mean of SO2 ending with this hour. Only the HJ 633-2012 rule
	// "SO2 1h > 800: report SO2 by its 24-h value" uses it.
	SO2_24h Sample
}

// Hourly computes the real-time AQI as the national release (CNEMC) publishes it
// (docs/assessment.md): the 1-hour values of SO2, NO2, CO, O3, PM10 and PM2.5, with the PM values indexed against
// the daily PM breakpoints. Both editions do this; for 2012 it is the observed CNEMC practice
// rather than the letter of HJ 633-2012 (which lists PM 24-h moving means). When the hour's
// PM2.5 is missing, 2012 publishes no AQI; 2026 publishes the others' AQI when it is above 100.
func Hourly(r Rules, h Hour) Result {
	subs := make([]SubIndex, 0, NumPollutants)
	add := func(ind Indicator, s Sample) {
		sub := SubIndex{Indicator: ind, Label: ind.Pollutant().String(), Conc: Round(ind.Pollutant(), s.C)}
		if s.Valid {
			sub.IAQI, sub.Valid = IAQI(r, ind, s.C)
		}
		if !sub.Valid && s.Valid && ind == SO2_1h && h.SO2_24h.Valid {
			// HJ 633-2012 Table 1 note: SO2 1h above 800 is reported by its 24-h value.
			sub.Indicator = SO2_24h
			sub.Conc = Round(SO2, h.SO2_24h.C)
			sub.IAQI, sub.Valid = IAQI(r, SO2_24h, h.SO2_24h.C)
		}
		subs = append(subs, sub)
	}
	add(PM25_24h, h.Values[PM25])
	add(PM10_24h, h.Values[PM10])
	add(SO2_1h, h.Values[SO2])
	add(NO2_1h, h.Values[NO2])
	add(CO_1h, h.Values[CO])
	add(O3_1h, h.Values[O3])
	// Without the hour's PM2.5, HJ 633-2026 §5.3 treats it as any missing pollutant: the AQI
	// of the others is published when it exceeds 100. Under HJ 633-2012 nothing is published,
	// as the national real-time release did (docs/assessment.md).
	return combine(r, subs, h.Values[PM25].Valid || r == Rules2026)
}

// Day holds the daily indicators of one station or area (HJ 663 daily values).
type Day struct {
	// Values are 24-h means indexed by Pollutant, except Values[O3], which is the daily maximum
	// 8-h moving mean.
	Values [NumPollutants]Sample
	// O3_1h is the daily maximum 1-h O3. It is a daily AQI indicator only in HJ 633-2012.
	O3_1h Sample
}

// Daily computes the daily AQI (the HJ 633 daily report): 2012 uses seven
// indicators (the five 24-h means, O3 daily max 8 h labelled O3_8h and O3 daily max 1 h labelled
// O3_1h); 2026 uses six (O3 daily max 8 h labelled O3).
func Daily(r Rules, d Day) Result {
	return DailyExcluding(r, d, [NumPollutants]bool{})
}

// DailyExcluding is Daily with the pollutants marked in excluded taken out of the assessment
// (sand-dust deduction): an excluded pollutant without a valid value is neither an index nor a
// missing indicator, so the AQI of the others is published whatever its value.
func DailyExcluding(r Rules, d Day, excluded [NumPollutants]bool) Result {
	subs := make([]SubIndex, 0, NumPollutants+1)
	o3Replaced := false
	for _, ind := range [...]Indicator{PM25_24h, PM10_24h, SO2_24h, NO2_24h, CO_24h, O3_8h} {
		p := ind.Pollutant()
		s := d.Values[p]
		sub := SubIndex{Indicator: ind, Label: p.String(), Conc: Round(p, s.C)}
		if r == Rules2012 && ind == O3_8h {
			sub.Label = "O3_8h"
		}
		if s.Valid {
			sub.IAQI, sub.Valid = IAQI(r, ind, s.C)
			// HJ 633-2012 Table 1 note: O3 8h above 800 is reported by O3 1h, which the 2012
			// daily report carries anyway.
			sub.Replaced = !sub.Valid && r == Rules2012 && ind == O3_8h
			o3Replaced = sub.Replaced
		}
		if !sub.Valid && excluded[p] {
			sub.Replaced = true
		}
		subs = append(subs, sub)
	}
	if r == Rules2012 {
		sub := SubIndex{Indicator: O3_1h, Label: "O3_1h", Conc: Round(O3, d.O3_1h.C)}
		if d.O3_1h.Valid {
			sub.IAQI, sub.Valid = IAQI(r, O3_1h, d.O3_1h.C)
		}
		if o3Replaced && !sub.Valid {
			// Without the 1-h value, O3 has no index at all: count it as missing.
			subs[len(subs)-1].Replaced = false
		}
		subs = append(subs, sub)
	}
	return combine(r, subs, true)
}

// combine takes the largest IAQI and applies the publication rules. required is false when an
// indicator without which nothing is published is missing.
func combine(r Rules, subs []SubIndex, required bool) Result {
	res := Result{Rules: r, Sub: subs}
	anyValid := false
	for _, s := range subs {
		switch {
		case s.Valid:
			anyValid = true
			if s.IAQI > res.AQI {
				res.AQI = s.IAQI
			}
		case !s.Replaced:
			res.Partial = true
		}
	}
	// HJ 633-2026 §5.3: with a pollutant missing, the AQI of the others is published only when
	// it exceeds 100. HJ 633-2012 has no rule; the same one is applied (docs/assessment.md).
	res.Published = anyValid && required && (!res.Partial || res.AQI > 100)
	if !res.Published {
		res.AQI = 0
		return res
	}
	if r == Rules2026 && res.AQI < 1 {
		// HJ 633-2026 §4.1.1: the AQI range is 1–500.
		res.AQI = 1
	}
	res.Level = LevelOf(res.AQI)
	for _, s := range subs {
		if !s.Valid {
			continue
		}
		if res.AQI > 50 && s.IAQI == res.AQI {
			res.Primary = append(res.Primary, s.Label)
		}
		if s.IAQI > 100 {
			res.Over100 = append(res.Over100, s.Label)
		}
	}
	return res
}
