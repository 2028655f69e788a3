package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/alert/source"
	"lantian/ingest/influx"
	"lantian/service/config"
)

// sourcesCmd is `lantian sources report --from YYYY-MM-DD --to YYYY-MM-DD`: the per-outlet CSV
// of exceedances, emissions and data quality (docs/sources.md) from the `emission` readings
// stored in InfluxDB. Both dates are local days of the configured timezone, --to included.
func sourcesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintln(stderr, "usage: lantian sources report --from YYYY-MM-DD --to YYYY-MM-DD [--config FILE] [--influx-url URL] [flags]")
		sourcesMoreUsage(stderr)
	}
	if len(args) > 0 {
		if sub := sourcesSubcommand(args[0]); sub != nil {
			return sub(ctx, args[1:], stdout, stderr)
		}
	}
	if len(args) == 0 || args[0] != "report" {
		usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return errUsage
	}
	// loadConfig owns the common flags and refuses others, so the report's own flags are
	// taken out first.
	dates, rest, err := takeFlags(args[1:], "from", "to")
	if err != nil {
		fmt.Fprintln(stderr, "lantian sources report:", err)
		usage()
		return errUsage
	}
	if dates["from"] == "" || dates["to"] == "" {
		fmt.Fprintln(stderr, "lantian sources report: --from and --to are required")
		usage()
		return errUsage
	}
	cfg, _, _, err := loadConfig("sources report", rest, stderr)
	if err != nil {
		return err
	}
	return sourcesReport(ctx, cfg, dates["from"], dates["to"], stdout)
}

// sourcesReport writes the report of the local days from through to (both YYYY-MM-DD, to
// included) for a resolved configuration.
func sourcesReport(ctx context.Context, cfg config.Config, fromDay, toDay string, stdout io.Writer) error {
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
	rules, err := cfg.SourceMonitoring.OutletRules(cfg.Sources, cfg.Location())
	if err != nil {
		return err
	}
	client := influxdb2.NewClientWithOptions(cfg.Influx.URL, cfg.Influx.Token.Reveal(),
		influxdb2.DefaultOptions().SetHTTPRequestTimeout(uint(max(cfg.Influx.Timeout, time.Minute)/time.Second)))
	defer client.Close()
	reader := influx.NewReader(client.QueryAPI(cfg.Influx.Org), cfg.Influx.Bucket)
	notices, err := reportNotices(ctx, cfg, reader, from, to)
	if err != nil {
		return err
	}
	// The day before and after give drop_after_notice its windows around notices near the
	// period's edges.
	readFrom, readTo := from.AddDate(0, 0, -1), to.AddDate(0, 0, 1)
	var hours []source.Hour
	// One outlet at a time keeps memory to one outlet's readings of the period.
	for _, s := range cfg.Sources {
		for _, o := range s.Outlets {
			rs, err := reader.OutletReadings(ctx, s.ID, o.ID, readFrom, readTo)
			if err != nil {
				return err
			}
			hs, err := source.HoursFromReadings(rs, limits, rules)
			if err != nil {
				return fmt.Errorf("outlet %s/%s: %w", s.ID, o.ID, err)
			}
			hours = append(hours, hs...)
		}
	}
	return source.Report(stdout, source.ReportInput{
		Sources: cfg.Sources, From: from, To: to, Hours: hours, Limits: limits, Notices: notices,
		Stops: cfg.SourceMonitoring.StopPeriods(), Config: rules,
	})
}

// takeFlags removes --name VALUE and --name=VALUE (one or two dashes) from args.
func takeFlags(args []string, names ...string) (map[string]string, []string, error) {
	got := make(map[string]string)
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		matched := false
		for _, n := range names {
			for _, prefix := range []string{"--" + n, "-" + n} {
				switch {
				case a == prefix:
					if i+1 >= len(args) {
						return nil, nil, fmt.Errorf("flag %s needs a value", a)
					}
					got[n] = args[i+1]
					i++
					matched = true
				case strings.HasPrefix(a, prefix+"="):
					got[n] = a[len(prefix)+1:]
					matched = true
				}
				if matched {
					break
				}
			}
			if matched {
				break
			}
		}
		if !matched {
			rest = append(rest, a)
		}
	}
	return got, rest, nil
}
