package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/ingest/history"
	"lantian/ingest/influx"
	"lantian/ingest/reading"
	"lantian/ingest/validate"
)

func historyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "correct" {
		fmt.Fprintln(stderr, "usage: lantian history correct --station ID | --source ID --outlet ID --period 1h --time RFC3339 --field F --value V --by WHO --reason WHY [--config FILE]")
		return errUsage
	}
	return historyCorrect(ctx, args[1:], stdout, stderr)
}

// historyCorrect is the audited path to change a stored value: it records who, when, the old
// and new value and why in data_dir/history/corrections.jsonl, then writes the new value.
func historyCorrect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian history correct", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (as for run)")
	station := fs.String("station", "", "station id")
	source := fs.String("source", "", "source id (with --outlet)")
	outlet := fs.String("outlet", "", "outlet id")
	period := fs.String("period", "1h", "period of the reading: rt, 1m, 1h, 1d")
	at := fs.String("time", "", "start of the period, RFC 3339 (e.g. 2026-11-08T10:00:00+08:00)")
	field := fs.String("field", "", "field to correct, e.g. pm25")
	value := fs.Float64("value", 0, "the corrected value")
	flagS := fs.String("flag", "N", "the corrected value's data flag")
	by := fs.String("by", "", "who makes the correction (required)")
	why := fs.String("reason", "", "why: work order, calibration report (required)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	cfgArgs := []string{}
	if *cfgPath != "" {
		cfgArgs = append(cfgArgs, "--config", *cfgPath)
	}
	cfg, src, _, err := loadConfig("history correct", cfgArgs, stderr)
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, *at)
	if err != nil {
		return fmt.Errorf("--time: %w", err)
	}
	p, err := reading.ParsePeriod(*period)
	if err != nil {
		return fmt.Errorf("--period: %w", err)
	}
	fl, err := reading.ParseFlag(*flagS)
	if err != nil {
		return fmt.Errorf("--flag: %w", err)
	}
	c := history.Correction{At: time.Now().In(cfg.Location()), By: *by, Reason: *why, Station: *station, Source: *source,
		Outlet: *outlet, Period: p, Time: t.In(cfg.Location()), Field: *field, New: *value, NewFlag: fl.String(), Outcome: "pending"}
	if err := c.Validate(); err != nil {
		return err
	}
	r := reading.Reading{Kind: reading.Air, Station: c.Station, Time: t, Period: p,
		Values: []reading.Value{{Name: c.Field, Value: c.New, Flag: fl}}}
	if c.Source != "" {
		r.Kind, r.Source, r.Outlet = reading.Source, c.Source, c.Outlet
	}
	// The corrected value passes the same checks as any reading (registry, range), except age.
	checker := validate.Checker{Registry: &cfg.Registry, MaxFuture: cfg.Ingest.MaxFuture, MaxAge: 100 * 365 * 24 * time.Hour}
	a, err := checker.Check(r)
	if err != nil {
		return fmt.Errorf("corrected value refused: %w", err)
	}
	client := influxdb2.NewClientWithOptions(cfg.Influx.URL, cfg.Influx.Token.Reveal(),
		influxdb2.DefaultOptions().SetHTTPRequestTimeout(uint(cfg.Influx.Timeout/time.Second)))
	defer client.Close()
	stored, found, err := influx.NewReader(client.QueryAPI(cfg.Influx.Org), cfg.Influx.Bucket).StoredValues(ctx, &a)
	if err != nil {
		return fmt.Errorf("read the stored value: %w", err)
	}
	if found {
		for _, v := range stored {
			if v.Name == c.Field {
				old := v.Value
				if !v.NoValue {
					c.Old = &old
				}
				c.OldFlag = v.Flag.String()
			}
		}
	}
	dir := filepath.Join(cfg.DataDir, "history")
	if err := history.AppendAudit(dir, c); err != nil {
		return err
	}
	werr := client.WriteAPIBlocking(cfg.Influx.Org, cfg.Influx.Bucket).WriteRecord(ctx, string(influx.EncodeLine(&a)))
	c.Outcome = "applied"
	if werr != nil {
		c.Outcome = "failed: " + werr.Error()
	}
	if err := history.AppendAudit(dir, c); err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("write the corrected value: %w", werr)
	}
	old := "nothing"
	if c.Old != nil {
		old = strconv.FormatFloat(*c.Old, 'g', -1, 64)
	}
	fmt.Fprintf(stdout, "corrected %s %s %s %s: %s → %g by %s (%s); audit in %s (config %s)\n",
		a.ID(), p, c.Time.Format(time.RFC3339), c.Field, old, c.New, c.By, c.Reason, filepath.Join(dir, history.AuditFile), src)
	return nil
}
