package service

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api"

	"lantian/alert/aqi"
	"lantian/alert/warning"
)

// fluxObserved reads the observed daily AQI of an area from the aqi_daily points the streaming
// assessor writes (scope county), for the warning office's recommendations.
type fluxObserved struct {
	api    api.QueryAPI
	bucket string
	loc    *time.Location
}

func (f fluxObserved) ObservedDays(ctx context.Context, area string, from, to aqi.Date) ([]warning.DayAQI, error) {
	q := fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == "aqi_daily" and r.scope == "county" and r.county == %s and r._field == "aqi")`,
		strconv.Quote(f.bucket), from.Start(f.loc).UTC().Format(time.RFC3339), to.AddDays(1).Start(f.loc).UTC().Format(time.RFC3339), strconv.Quote(area))
	res, err := f.api.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("flux query of observed daily AQI of %s: %w", area, err)
	}
	defer res.Close()
	byDate := map[aqi.Date]int{}
	for res.Next() {
		r := res.Record()
		var v int
		switch x := r.Value().(type) {
		case int64:
			v = int(x)
		case float64:
			v = int(x)
		default:
			continue
		}
		byDate[aqi.DateOf(r.Time().In(f.loc))] = v
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read observed daily AQI of %s: %w", area, err)
	}
	var out []warning.DayAQI
	for d := from; !to.Before(d); d = d.AddDays(1) {
		if v, ok := byDate[d]; ok {
			out = append(out, warning.DayAQI{Date: d, AQI: v})
		}
	}
	return out, nil
}
