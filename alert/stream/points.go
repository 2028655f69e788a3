package stream

import (
	"time"

	"lantian/alert/aqi"
	"lantian/alert/assess"
	"lantian/ingest/schema"
)

// The per-pollutant field lists of schema are indexed by aqi.Pollutant: same length, same order.
var _, _ [aqi.NumPollutants]string = schema.IAQIFields, schema.DailyFields

// result writes the AQI fields. `published` is always written, and `primary` always (empty
// when none), so an overwrite never leaves a stale primary behind; aqi, level and category
// exist only when an AQI may be published.
func result(l *schema.Line, res aqi.Result) {
	l.Bool(schema.FieldPublished, res.Published)
	if res.Published {
		l.Int(schema.FieldAQI, int64(res.AQI))
		l.Int(schema.FieldLevel, int64(res.Level))
		l.String(schema.FieldCategory, res.Level.Category())
	}
	l.String(schema.FieldPrimary, res.PrimaryString())
}

// scoped starts a point of a station or a county.
func scoped(measurement string, size int, area, county string, isCounty bool, station string) *schema.Line {
	l := schema.NewLine(measurement, size).Tag(schema.TagArea, area).Tag(schema.TagCounty, county)
	if isCounty {
		return l.Tag(schema.TagScope, schema.ScopeCounty)
	}
	return l.Tag(schema.TagScope, schema.ScopeStation).Tag(schema.TagStation, station)
}

// hourlyLine: aqi_hourly,area=…,county=…,scope=station|county[,station=…] fields, at the hour's
// start. iaqi_<pollutant> fields are the individual indices that could be computed (iaqi_so2 is
// the 24-h one in the 2012 SO2 > 800 case).
func hourlyLine(k hourKey, county, area string, res aqi.Result) []byte {
	l := scoped(schema.AQIHourly, 256, area, county, k.county, k.name)
	result(l, res)
	for _, sub := range res.Sub {
		if sub.Valid {
			l.Int(schema.IAQIFields[sub.Indicator.Pollutant()], int64(sub.IAQI))
		}
	}
	return l.At(time.Unix(k.t, 0))
}

// dailyLine: aqi_daily with the HJ 663 daily values as the offline daily report prints them
// (rounded; o3_8h the daily max 8-h mean, o3_1h the daily max 1-h value), `valid` (every daily
// indicator met its data rule) and `final` (the day is past its end plus the lateness).
func dailyLine(k dayKey, county, area string, ds *dayState, zone *time.Location) []byte {
	l := scoped(schema.AQIDaily, 320, area, county, k.county, k.name)
	result(l, ds.rec.Result)
	// Concentrations are written as the exact decimal text of the rounded value (CO mg/m³
	// with one decimal), as the offline daily report prints them.
	for p, s := range ds.rec.Day.Values {
		if s.Valid {
			l.Decimal(schema.DailyFields[p], aqi.Round(aqi.Pollutant(p), s.C).String())
		}
	}
	if s := ds.rec.Day.O3_1h; s.Valid {
		l.Decimal(schema.FieldO3_1h, aqi.Round(aqi.O3, s.C).String())
	}
	l.Bool(schema.FieldValid, ds.complete)
	l.Bool(schema.FieldFinal, ds.final)
	return l.At(k.date.Start(zone))
}

// progressLine: county_progress,area=…,county=…,deducted=false|true at the as-of day's start.
// The prefecture row has no day counts (its figures are means of the counties'), but the number
// of counties averaged.
func progressLine(county, area string, p Progress, zone *time.Location) []byte {
	ded := schema.DeductedNo
	if p.Deducted {
		ded = schema.DeductedYes
	}
	l := schema.NewLine(schema.CountyProgress, 320).Tag(schema.TagArea, area).Tag(schema.TagCounty, county).
		Tag(schema.TagDeducted, ded)
	if county == PrefectureID {
		l.Int(schema.FieldPrefectureCounty, int64(p.Counties))
	} else {
		l.Int(schema.FieldDays, int64(p.Stats.Days))
		l.Int(schema.FieldValidDays, int64(p.Stats.ValidDays))
		l.Int(schema.FieldGoodDays, int64(p.Stats.GoodDays))
		l.Int(schema.FieldHeavyDays, int64(p.Stats.HeavyDays))
		l.Int(schema.FieldIncompleteDays, int64(p.Stats.IncompleteDays))
	}
	if p.GoodBudget != nil {
		l.Int(schema.FieldGoodBudget, int64(*p.GoodBudget))
	}
	opt := func(k string, v *float64) {
		if v != nil {
			l.Float(k, *v)
		}
	}
	opt(schema.FieldPM25YTD, p.PM25)
	opt(schema.FieldGoodRatioYTD, p.GoodRatio)
	opt(schema.FieldPM25Target, p.PM25Target)
	opt(schema.FieldGoodTarget, p.GoodTarget)
	opt(schema.FieldPM25Gap, p.PM25Gap)
	opt(schema.FieldGoodGap, p.GoodGap)
	opt(schema.FieldPM25Trajectory, p.Trajectory)
	opt(schema.FieldPM25TrajGap, p.TrajectoryGap)
	if county != PrefectureID {
		so2, co := assess.SO2AnnualLimit, assess.CODailyLimit
		opt(schema.FieldSO2YTD, p.SO2)
		opt(schema.FieldSO2Limit, &so2)
		opt(schema.FieldCOP95YTD, p.COP95)
		opt(schema.FieldCOLimit, &co)
		opt(schema.FieldNO2YTD, p.NO2)
		opt(schema.FieldNO2Base, p.NO2Base)
		opt(schema.FieldO3P90YTD, p.O3P90)
		opt(schema.FieldO3Base, p.O3Base)
		gap := func(field string, v, ref *float64, decimals int) {
			if v != nil && ref != nil {
				opt(field, gapOf(*v, *ref, decimals))
			}
		}
		gap(schema.FieldSO2Gap, p.SO2, &so2, 1)
		gap(schema.FieldCOGap, p.COP95, &co, 2)
		gap(schema.FieldNO2Gap, p.NO2, p.NO2Base, 1)
		gap(schema.FieldO3Gap, p.O3P90, p.O3Base, 1)
	}
	return l.At(p.AsOf.Start(zone))
}

// monthLine: county_month,area=…,county=…,deducted=… at the local start of the month, the
// figures as the offline period report prints them.
func monthLine(row assess.PeriodRow, area string, deducted bool, zone *time.Location) []byte {
	ded := schema.DeductedNo
	if deducted {
		ded = schema.DeductedYes
	}
	l := schema.NewLine(schema.CountyMonth, 256).Tag(schema.TagArea, area).Tag(schema.TagCounty, row.Entity.Name).
		Tag(schema.TagDeducted, ded)
	st := row.Stats
	l.Int(schema.FieldDays, int64(st.Days))
	l.Int(schema.FieldValidDays, int64(st.ValidDays))
	l.Int(schema.FieldGoodDays, int64(st.GoodDays))
	l.Int(schema.FieldIncompleteDays, int64(st.IncompleteDays))
	if v := round1(st.Mean[aqi.PM25]); v != nil {
		l.Float(schema.FieldMonthPM25, *v)
	}
	if v := round1(st.GoodRatio()); v != nil {
		l.Float(schema.FieldMonthGood, *v)
	}
	primary := ""
	if row.HasIx {
		if v := roundN(row.Index.Total, 2); v != nil {
			l.Float(schema.FieldComposite, *v)
		}
		l.Int(schema.FieldRank, int64(row.Rank))
		for i, p := range row.Index.Primary {
			if i > 0 {
				primary += "+"
			}
			primary += p.String()
		}
	}
	l.String(schema.FieldPrimary, primary)
	l.String(schema.FieldMonthTo, row.Span.To.String())
	return l.At(row.Span.From.Start(zone))
}

// seasonLine: county_season,area=…,county=…,deducted=…,season=heating-2025 at the as-of day's
// start: the heating season to date.
func seasonLine(county, area, season string, p Progress, zone *time.Location) []byte {
	ded := schema.DeductedNo
	if p.Deducted {
		ded = schema.DeductedYes
	}
	l := schema.NewLine(schema.CountySeason, 256).Tag(schema.TagArea, area).Tag(schema.TagCounty, county).
		Tag(schema.TagDeducted, ded).Tag(schema.TagSeason, season)
	l.Int(schema.FieldDays, int64(p.Stats.Days))
	l.Int(schema.FieldValidDays, int64(p.Stats.ValidDays))
	l.Int(schema.FieldGoodDays, int64(p.Stats.GoodDays))
	l.Int(schema.FieldHeavyDays, int64(p.Stats.HeavyDays))
	l.Int(schema.FieldIncompleteDays, int64(p.Stats.IncompleteDays))
	if p.PM25 != nil {
		l.Float(schema.FieldPM25YTD, *p.PM25)
	}
	if p.GoodRatio != nil {
		l.Float(schema.FieldGoodRatioYTD, *p.GoodRatio)
	}
	return l.At(p.AsOf.Start(zone))
}
