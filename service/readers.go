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

// OutletHours implements office.EmissionSource: the source monitor's outlet hours, joined
// with the hours whose raw readings carry the stop flag F (an hour may be stop-flagged with
// no rate or flow stored at all).
func (o officeReader) OutletHours(ctx context.Context, sources []string, from, to time.Time) ([]office.OutletHour, error) {
	hours, err := o.r.OutletHours(ctx, sources, from, to)
	if err != nil {
		return nil, err
	}
	stops, err := o.r.StopFlaggedHours(ctx, sources, from, to)
	if err != nil {
		return nil, err
	}
	idx := map[influx.OutletHourKey]int{}
	out := make([]office.OutletHour, len(hours))
	for i, h := range hours {
		out[i] = office.OutletHour{Source: h.Source, Outlet: h.Outlet, Hour: h.Hour, KgH: h.KgH, Flow: h.Flow, FlowValid: h.FlowValid}
		idx[influx.OutletHourKey{Source: h.Source, Outlet: h.Outlet, Hour: h.Hour.UTC()}] = i
	}
	for _, k := range stops {
		k.Hour = k.Hour.UTC()
		if i, ok := idx[k]; ok {
			out[i].StopFlagged = true
			continue
		}
		out = append(out, office.OutletHour{Source: k.Source, Outlet: k.Outlet, Hour: k.Hour, StopFlagged: true})
	}
	return out, nil
}
