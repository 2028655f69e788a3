package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"lantian/alert/aqi"
	"lantian/alert/assess"
)

func assessCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	switch assessMain(args, os.Stdin, stdout, stderr) {
	case 0:
		return nil
	case 2:
		return errUsage
	default:
		// assessMain has already printed the reason with file, line and column.
		return errReported
	}
}

// errReported is a failure whose message the subcommand printed itself.
var errReported = errors.New("reported")

// parseAssessArgs parses the command line of `lantian assess` (without the subcommand name)
// into the engine's options and the input file names. It reads the --areas file.
func parseAssessArgs(args []string, stderr io.Writer) (assess.Options, []string, error) {
	var o assess.Options
	fs := flag.NewFlagSet("assess", flag.ContinueOnError)
	fs.SetOutput(stderr)
	report := fs.String("report", "daily", "report: hourly, daily or period")
	rules := fs.String("rules", "auto", "rule set: 2012, 2026 or auto (by the date of the data)")
	label := fs.String("time-label", "start", "input times stamp the start or the end of their hour")
	zone := fs.String("zone", "Asia/Shanghai", "time zone of natural days and of times without offset")
	areas := fs.String("areas", "", "CSV file station,area mapping stations to counties/areas")
	cfgFile := fs.String("config", "", "config file whose assessment stations form the areas (instead of --areas) and whose assessment.heating_season --period heating uses")
	period := fs.String("period", "all", "period report grouping: all, year, month or heating (the heating seasons)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lantian assess --report hourly|daily|period [--rules 2012|2026|auto] [--time-label start|end] [--zone ZONE] [--areas FILE | --config FILE] [--period all|year|month|heating] [FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, nil, err
	}
	o.Report = assess.Report(*report)
	if *rules != "auto" {
		r, err := aqi.ParseRules(*rules)
		if err != nil {
			return o, nil, fmt.Errorf("--rules: %w", err)
		}
		o.Rules = r
	}
	o.TimeLabel = assess.TimeLabel(*label)
	loc, err := zoneFlag(*zone)
	if err != nil {
		return o, nil, err
	}
	o.Location = loc
	o.Period = assess.PeriodBy(*period)
	if *areas != "" && *cfgFile != "" {
		return o, nil, errors.New("give --areas or --config, not both")
	}
	if *cfgFile != "" {
		if err := assessFromConfig(&o, *cfgFile); err != nil {
			return o, nil, err
		}
	}
	if *areas != "" {
		f, err := os.Open(*areas)
		if err != nil {
			return o, nil, fmt.Errorf("--areas: %w", err)
		}
		defer f.Close()
		if o.Areas, err = assess.LoadAreas(f); err != nil {
			return o, nil, fmt.Errorf("--areas %s: %w", *areas, err)
		}
	}
	if err := o.Validate(); err != nil {
		return o, nil, err
	}
	if fs.NArg() > 1 {
		return o, nil, errors.New("at most one input file")
	}
	return o, fs.Args(), nil
}

// zoneFlag loads the zone of a --zone flag. Its default, Asia/Shanghai, works without the zone
// database too (assess.DefaultLocation).
func zoneFlag(zone string) (*time.Location, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		if zone != "Asia/Shanghai" {
			return nil, fmt.Errorf("--zone: %w", err)
		}
		loc = assess.DefaultLocation()
	}
	return loc, nil
}

// assessMain runs `lantian assess` with the given arguments and returns the exit status:
// 0 success, 1 failed run, 2 usage error.
func assessMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, files, err := parseAssessArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "lantian assess:", err)
		}
		return 2
	}
	in := stdin
	opts.InputName = "stdin"
	if len(files) == 1 && files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			fmt.Fprintln(stderr, "lantian assess:", err)
			return 1
		}
		defer f.Close()
		in, opts.InputName = f, files[0]
	}
	if err := assess.Run(opts, in, stdout); err != nil {
		fmt.Fprintln(stderr, "lantian assess:", err)
		return 1
	}
	return 0
}
