package aqi

// HourValues are one station-hour's values, indexed by Pollutant.
type HourValues = [NumPollutants]Sample

// DayDetail is a Day with the data counts behind its validity.
type DayDetail struct {
	Day
	// Hours counts the valid hourly values of each pollutant in the day.
	Hours [NumPollutants]int
	// O3Windows counts the valid 8-h windows inside the day (of 17 on a 24-hour day).
	O3Windows int
}

// Complete reports whether every daily indicator of the edition met its minimum-data rule.
func (d DayDetail) Complete(r Rules) bool {
	for _, s := range d.Values {
		if !s.Valid {
			return false
		}
	}
	return r != Rules2012 || d.O3_1h.Valid
}

// DailyValues computes one station's daily values from its hours of one natural day, by the
// HJ 663-2013 rules (minimum data of GB 3095 Table 4). hours[i] is the hour starting i hours after
// the day's start (start labels; 24 entries, 23 or 25 on a daylight-saving change day; entries past
// 25 are ignored). The rules are the same for both editions: HJ 663-2026 has not been read.
//
//   - 24-h means of PM2.5, PM10, SO2, NO2 and CO need at least 20 valid hours.
//   - An 8-h O3 moving mean needs at least 6 valid hours of its 8. The daily maximum 8-h mean is
//     the highest of the windows that lie inside the day (with start labels, the windows ending
//     with hours 07 … 23, which HJ 663 labels 08:00 … 24:00), and is valid with at least 14 valid
//     windows, or with fewer when the maximum found exceeds the Grade II 8-h limit (160 µg/m³),
//     because the exceedance is certain whatever the missing windows held.
//   - The daily maximum 1-h O3 (a 2012 daily indicator) uses the 20-hour rule with the same kind
//     of exceedance exception (above the 200 µg/m³ 1-h limit). HJ 663 has no explicit rule for
//     it; this one is an assumption (docs/assessment.md).
//
// Concentrations are rounded half to even to the reporting precision (whole µg/m³, CO 0.1 mg/m³).
func DailyValues(hours []HourValues) DayDetail {
	if len(hours) > 25 {
		hours = hours[:25]
	}
	var d DayDetail
	for _, p := range [...]Pollutant{PM25, PM10, SO2, NO2, CO} {
		var sum int64
		n := 0
		for i := range hours {
			if s := hours[i][p]; s.Valid {
				sum += int64(s.C)
				n++
			}
		}
		d.Hours[p] = n
		if n >= minHoursPerDay {
			d.Values[p] = Val(divRoundHalfEven(sum, int64(n), RoundingStep(p)))
		}
	}

	var maxSum, maxN int64
	var hourMax Conc = -1
	for i := range hours {
		if s := hours[i][O3]; s.Valid {
			d.Hours[O3]++
			hourMax = max(hourMax, s.C)
		}
	}
	for end := 7; end < len(hours); end++ {
		var sum, n int64
		for i := end - 7; i <= end; i++ {
			if s := hours[i][O3]; s.Valid {
				sum += int64(s.C)
				n++
			}
		}
		if n < minHoursPerWindow {
			continue
		}
		d.O3Windows++
		// Compare sum/n with maxSum/maxN exactly by cross-multiplying.
		if maxN == 0 || sum*maxN > maxSum*n {
			maxSum, maxN = sum, n
		}
	}
	if maxN > 0 {
		m := divRoundHalfEven(maxSum, maxN, RoundingStep(O3))
		if d.O3Windows >= minO3Windows || m > o3EightHourLimit*Unit {
			d.Values[O3] = Val(m)
		}
	}
	if hourMax >= 0 {
		m := Round(O3, hourMax)
		if d.Hours[O3] >= minHoursPerDay || m > o3OneHourLimit*Unit {
			d.O3_1h = Val(m)
		}
	}
	return d
}

// MeanOf is the mean of the valid samples, rounded to p's reporting precision, valid when at
// least minValid samples are valid (minValid < 1 counts as 1).
func MeanOf(p Pollutant, samples []Sample, minValid int) Sample {
	var sum int64
	n := 0
	for _, s := range samples {
		if s.Valid {
			sum += int64(s.C)
			n++
		}
	}
	if n == 0 || n < minValid {
		return Sample{}
	}
	return Val(divRoundHalfEven(sum, int64(n), RoundingStep(p)))
}

// Moving24 is the 24-h moving mean of one pollutant over the 24 hours ending with the current
// one (valid with at least 20 of them, HJ 663 / GB 3095 Table 4).
func Moving24(p Pollutant, last24 []Sample) Sample {
	return MeanOf(p, last24, minHoursPerDay)
}

// AreaDay is the daily value of an area (county, city) from the daily values of its stations:
// for each indicator the mean of the stations that have it valid, as city values are formed from
// station values in HJ 663. Requiring only one valid station is an assumption (docs/assessment.md).
func AreaDay(stations []Day) Day {
	var out Day
	buf := make([]Sample, len(stations))
	for p := range NumPollutants {
		for i, d := range stations {
			buf[i] = d.Values[p]
		}
		out.Values[p] = MeanOf(p, buf, 1)
	}
	for i, d := range stations {
		buf[i] = d.O3_1h
	}
	out.O3_1h = MeanOf(O3, buf, 1)
	return out
}
