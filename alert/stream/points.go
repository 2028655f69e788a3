package stream

import (
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/schema"
)

var iaqiField = [aqi.NumPollutants]string{"iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3"}

var dailyField = [aqi.NumPollutants]string{"pm25", "pm10", "so2", "no2", "co", "o3_8h"}

// result writes the AQI fields. `published` is always written, and `primary` always (empty
// when none), so an overwrite never leaves a stale primary behind; aqi, level and category
// exist only when an AQI may be published.
func result(l *schema.Line, res aqi.Result) {
	l.Bool("published", res.Published)
	if res.Published {
		l.Int("aqi", int64(res.AQI))
		l.Int("level", int64(res.Level))
		l.String("category", res.Level.Category())
	}
	l.String("primary", res.PrimaryString())
}

// scoped starts a point of a station or a county.
func scoped(measurement string, size int, area, county string, isCounty bool, station string) *schema.Line {
	l := schema.NewLine(measurement, size).Tag("area", area).Tag("county", county)
	if isCounty {
		return l.Tag("scope", schema.ScopeCounty)
	}
	return l.Tag("scope", schema.ScopeStation).Tag("station", station)
}

// hourlyLine: aqi_hourly,area=…,county=…,scope=station|county[,station=…] fields, at the hour's
// start. iaqi_<pollutant> fields are the individual indices that could be computed (iaqi_so2 is
// the 24-h one in the 2012 SO2 > 800 case).
func hourlyLine(k hourKey, county, area string, res aqi.Result) []byte {
	l := scoped(schema.AQIHourly, 256, area, county, k.county, k.name)
	result(l, res)
	for _, sub := range res.Sub {
		if sub.Valid {
			l.Int(iaqiField[sub.Indicator.Pollutant()], int64(sub.IAQI))
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
			l.Decimal(dailyField[p], aqi.Round(aqi.Pollutant(p), s.C).String())
		}
	}
	if s := ds.rec.Day.O3_1h; s.Valid {
		l.Decimal("o3_1h", aqi.Round(aqi.O3, s.C).String())
	}
	l.Bool("valid", ds.complete)
	l.Bool("final", ds.final)
	return l.At(k.date.Start(zone))
}

// progressLine: county_progress,area=…,county=… at the as-of day's start.
func progressLine(county, area string, p Progress, zone *time.Location) []byte {
	l := schema.NewLine(schema.CountyProgress, 256).Tag("area", area).Tag("county", county)
	l.Int("days", int64(p.Stats.Days))
	l.Int("valid_days", int64(p.Stats.ValidDays))
	l.Int("good_days", int64(p.Stats.GoodDays))
	l.Int("heavy_days", int64(p.Stats.HeavyDays))
	opt := func(k string, v *float64) {
		if v != nil {
			l.Float(k, *v)
		}
	}
	opt("pm25_ytd", p.PM25)
	opt("good_ratio_ytd", p.GoodRatio)
	opt("pm25_target", p.PM25Target)
	opt("good_target", p.GoodTarget)
	opt("pm25_gap", p.PM25Gap)
	opt("good_gap", p.GoodGap)
	return l.At(p.AsOf.Start(zone))
}
