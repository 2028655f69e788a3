package aqi

// Sand-dust deduction (扣沙, 环办监测〔2016〕120号《受沙尘天气过程影响城市空气质量评价补充规定》, in
// force 2017-01-01): assessment and ranking leave out the particulate data (PM10, PM2.5) of the
// periods a sand-dust process affected; the public AQI is not changed. The circular's detailed
// algorithm has not been read; the method below is Lantian's reading, documented with its
// uncertain points in docs/assessment.md ("Sand-dust deduction").

// dustPollutants are the pollutants deduction removes.
var dustPollutants = [...]Pollutant{PM25, PM10}

// DustDay computes one station's day with sand-dust deduction. hours are as DailyValues takes
// them; dust[i] marks hour i as inside a sand-dust period (a shorter dust slice leaves the rest
// unmarked). The PM2.5 and PM10 values of marked hours are dropped and the daily values formed
// from the remaining hours by the usual minimum-data rules. A particulate daily value that
// was valid without deduction but not with it is removed (Deducted): the day's AQI is that of
// the remaining indicators, published whatever its value, and the day stays a valid day.
// Without a marked hour the record equals the undeducted one.
func DustDay(r Rules, hours []HourValues, dust []bool) DayRecord {
	full := DailyValues(hours)
	marked := false
	masked := make([]HourValues, len(hours))
	copy(masked, hours)
	for i := range masked {
		if i < len(dust) && dust[i] {
			marked = true
			for _, p := range dustPollutants {
				masked[i][p] = Sample{}
			}
		}
	}
	if !marked {
		return DayRecord{Day: full.Day, Result: Daily(r, full.Day)}
	}
	d := DailyValues(masked)
	var rec DayRecord
	rec.Day = d.Day
	for _, p := range dustPollutants {
		rec.Deducted[p] = !d.Values[p].Valid && full.Values[p].Valid
	}
	rec.Result = DailyExcluding(r, rec.Day, rec.Deducted)
	return rec
}

// DustAreaDay forms an area's deducted day from its stations' deducted days as AreaDay does:
// the mean of the stations whose value survived. A particulate value no station kept, but at
// least one station had removed, is removed for the area too.
func DustAreaDay(r Rules, stations []DayRecord) DayRecord {
	days := make([]Day, len(stations))
	for i, s := range stations {
		days[i] = s.Day
	}
	rec := DayRecord{Day: AreaDay(days)}
	for _, p := range dustPollutants {
		if rec.Day.Values[p].Valid {
			continue
		}
		for _, s := range stations {
			rec.Deducted[p] = rec.Deducted[p] || s.Deducted[p]
		}
	}
	rec.Result = DailyExcluding(r, rec.Day, rec.Deducted)
	return rec
}
