package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/alert/source"
	"lantian/ingest/influx"
	"lantian/service/config"
)

// sourcesTotalsCmd is `lantian sources totals --from D --to D`: per county, pollutant, day and
// calendar month, the measured emission total (a lower bound), the HJ 75-style substituted
// total and the configured quota (docs/sources.md).
func sourcesTotalsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	dates, rest, err := takeFlags(args, "from", "to")
	if err != nil || dates["from"] == "" || dates["to"] == "" {
		fmt.Fprintln(stderr, "usage: lantian sources totals --from YYYY-MM-DD --to YYYY-MM-DD [--config FILE] [--influx-url URL] [flags]")
		return errUsage
	}
	cfg, _, _, err := loadConfig("sources totals", rest, stderr)
	if err != nil {
		return err
	}
	return sourcesTotals(ctx, cfg, dates["from"], dates["to"], stdout)
}

// TotalsHeader is the CSV header of `lantian sources totals`.
var totalsHeader = []string{"period", "start", "county", "pollutant", "kg_measured", "measured_hours",
	"kg_substituted", "substituted_hours", "stopped_hours", "unknown_hours", "quota_kg", "quota_pct"}

func sourcesTotals(ctx context.Context, cfg config.Config, fromDay, toDay string, stdout io.Writer) error {
	loc := cfg.Location()
	from, err := time.ParseInLocation("2006-01-02", fromDay, loc)
	if err != nil {
		return fmt.Errorf("--from %q: want YYYY-MM-DD: %w", fromDay, err)
	}
	last, err := time.ParseInLocation("2006-01-02", toDay, loc)
	if err != nil {
		return fmt.Errorf("--to %q: want YYYY-MM-DD: %w", toDay, err)
	}
	if last.Before(from) {
		return fmt.Errorf("--to %s is before --from %s", toDay, fromDay)
	}
	to := last.AddDate(0, 0, 1)
	limits, err := cfg.SourceMonitoring.Limits(cfg.Sources)
	if err != nil {
		return fmt.Errorf("limits: %w", err)
	}
	rules, err := cfg.SourceMonitoring.OutletRules(cfg.Sources, loc)
	if err != nil {
		return err
	}
	client := influxdb2.NewClientWithOptions(cfg.Influx.URL, cfg.Influx.Token.Reveal(),
		influxdb2.DefaultOptions().SetHTTPRequestTimeout(uint(max(cfg.Influx.Timeout, time.Minute)/time.Second)))
	defer client.Close()
	reader := influx.NewReader(client.QueryAPI(cfg.Influx.Org), cfg.Influx.Bucket)

	type key struct {
		period    string
		start     time.Time
		county    string
		pollutant string
	}
	totals := make(map[key]*source.MassTotal)
	monthOf := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	}
	dayOf := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	// 720 valid hours of look-back for the long-gap rule: 31 days before the period.
	readFrom := from.Add(-time.Duration(source.SubstShortHours+source.SubstLookbackHours) * time.Hour)
	for _, s := range cfg.Sources {
		for _, o := range s.Outlets {
			rs, err := reader.OutletReadings(ctx, s.ID, o.ID, readFrom, to.AddDate(0, 0, 1))
			if err != nil {
				return err
			}
			hs, err := source.HoursFromReadings(rs, limits, rules)
			if err != nil {
				return fmt.Errorf("outlet %s/%s: %w", s.ID, o.ID, err)
			}
			for p, masses := range source.SubstitutedMasses(hs, source.OutletKey{Source: s.ID, Outlet: o.ID}, from, to) {
				for _, m := range masses {
					for _, k := range []key{{"day", dayOf(m.Start), s.Area, p}, {"month", monthOf(m.Start), s.Area, p}} {
						if totals[k] == nil {
							totals[k] = &source.MassTotal{}
						}
						totals[k].Add(m)
					}
				}
			}
		}
	}
	w := csv.NewWriter(stdout)
	if err := w.Write(totalsHeader); err != nil {
		return fmt.Errorf("write totals: %w", err)
	}
	// Days first, then months ("day" < "month"), each by start, county and pollutant.
	keys := slices.SortedFunc(maps.Keys(totals), func(a, b key) int {
		return cmp.Or(strings.Compare(a.period, b.period), a.start.Compare(b.start),
			strings.Compare(a.county, b.county), strings.Compare(a.pollutant, b.pollutant))
	})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, k := range keys {
		t := totals[k]
		q := cfg.SourceMonitoring.CountyQuotas[k.county][k.pollutant]
		quota := q.DayKg
		if k.period == "month" {
			quota = q.MonthKg
		}
		qs, pct := "", ""
		if quota > 0 {
			qs, pct = f(quota), strconv.FormatFloat(100*t.SubstitutedKg/quota, 'f', 1, 64)
		}
		if err := w.Write([]string{k.period, k.start.Format(time.RFC3339), k.county, k.pollutant, f(t.MeasuredKg),
			strconv.Itoa(t.MeasuredHours), f(t.SubstitutedKg), strconv.Itoa(t.SubstitutedHours), strconv.Itoa(t.StoppedHours),
			strconv.Itoa(t.UnknownHours), qs, pct}); err != nil {
			return fmt.Errorf("write totals: %w", err)
		}
	}
	w.Flush()
	return w.Error()
}
