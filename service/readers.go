package service

import (
	"context"
	"time"

	"lantian/alert/aqi"
	"lantian/alert/office"
	"lantian/alert/warning"
	"lantian/ingest/influx"
)

// officeReader gives the warning office what it reads from InfluxDB in the office's terms:
// observed daily AQI by local date (from the aqi_daily points the streaming assessor writes)
// and the hourly emission rates of sources for the compliance table (docs/warnings.md).
type officeReader struct {
	r   *influx.Reader
	loc *time.Location
}

var (
	_ office.ObservedSource = officeReader{}
	_ office.EmissionSource = officeReader{}
)

// ObservedDays implements office.ObservedSource.
func (o officeReader) ObservedDays(ctx context.Context, area string, from, to aqi.Date) ([]warning.DayAQI, error) {
	days, err := o.r.CountyDailyAQI(ctx, area, from.Start(o.loc), to.AddDays(1).Start(o.loc))
	if err != nil {
		return nil, err
	}
	byDate := map[aqi.Date]int{}
	for _, d := range days {
		byDate[aqi.DateOf(d.Day.In(o.loc))] = d.AQI
	}
	var out []warning.DayAQI
	for d := from; !to.Before(d); d = d.AddDays(1) {
		if v, ok := byDate[d]; ok {
			out = append(out, warning.DayAQI{Date: d, AQI: v})
		}
	}
	return out, nil
}

// EmissionHours implements office.EmissionSource.
func (o officeReader) EmissionHours(ctx context.Context, sources []string, from, to time.Time) ([]office.EmissionHour, error) {
	rates, err := o.r.EmissionRates(ctx, sources, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]office.EmissionHour, len(rates))
	for i, e := range rates {
		out[i] = office.EmissionHour{Source: e.Source, Pollutant: e.Pollutant, Hour: e.Hour, KgH: e.KgH}
	}
	return out, nil
}
