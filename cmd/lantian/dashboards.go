package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/grafana-tools/sdk"

	"lantian/dashboards"
	"lantian/service/config"
)

const dashboardsUsage = `usage:
  lantian dashboards export [--out DIR] [--config FILE]
  lantian dashboards push --grafana-url URL [--token TOKEN] [--config FILE] [datasource flags]

export writes the boards as JSON (the files Grafana provisions from deploy/grafana/dashboards).
push creates the folder, the datasources and the boards in a running Grafana.
The registry's areas and targets come from --config (default: the built-in plan).`

func dashboardsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dashboardsUsage)
		return errUsage
	}
	switch args[0] {
	case "export":
		return dashboardsExport(args[1:], stdout, stderr)
	case "push":
		return dashboardsPush(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, dashboardsUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "lantian dashboards: unknown subcommand %q\n%s\n", args[0], dashboardsUsage)
		return errUsage
	}
}

// boardsFrom builds the boards from the areas and targets of a config file, or of the
// built-in plan when file is empty.
func boardsFrom(file string) ([]*sdk.Board, error) {
	cfg := config.Default()
	if file != "" {
		var err error
		if cfg, err = config.Load(file); err != nil {
			return nil, err
		}
		if err := cfg.Resolve(); err != nil {
			return nil, fmt.Errorf("invalid configuration (%s):\n%w", file, err)
		}
	}
	return dashboards.Boards(cfg.Registry.Areas, cfg.Registry.Targets), nil
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return errUsage
	}
	return nil
}

func dashboardsExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian dashboards export", flag.ContinueOnError)
	out := fs.String("out", "deploy/grafana/dashboards", "directory to write the board JSON files to")
	file := fs.String("config", "", "config file whose areas and targets the leaders' board uses")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	boards, err := boardsFrom(*file)
	if err != nil {
		return err
	}
	if err := dashboards.Export(*out, boards); err != nil {
		return err
	}
	for _, b := range boards {
		fmt.Fprintf(stdout, "%s/%s\t%s\n", *out, dashboards.FileName(b), b.Title)
	}
	return nil
}

func dashboardsPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian dashboards push", flag.ContinueOnError)
	grafanaURL := fs.String("grafana-url", envOr("LANTIAN_GRAFANA_URL", "http://127.0.0.1:3000"), "Grafana base URL (env LANTIAN_GRAFANA_URL)")
	token := fs.String("token", "", "Grafana service-account token, or user:password (prefer env LANTIAN_GRAFANA_TOKEN)")
	file := fs.String("config", "", "config file whose areas and targets the leaders' board uses")
	var ds dashboards.DatasourceSettings
	fs.StringVar(&ds.InfluxURL, "influx-url", envOr("LANTIAN_INFLUX_URL", "http://influxdb:8086"), "InfluxDB URL as Grafana reaches it (env LANTIAN_INFLUX_URL)")
	fs.StringVar(&ds.InfluxOrg, "influx-org", envOr("LANTIAN_INFLUX_ORG", "lantian"), "InfluxDB 2.x organisation (env LANTIAN_INFLUX_ORG)")
	fs.StringVar(&ds.InfluxBucket, "influx-bucket", envOr("LANTIAN_INFLUX_BUCKET", dashboards.DefaultBucket), "InfluxDB bucket (env LANTIAN_INFLUX_BUCKET)")
	influxToken := fs.String("influx-token", "", "InfluxDB read token for Grafana (prefer env LANTIAN_INFLUX_TOKEN)")
	fs.StringVar(&ds.PrometheusURL, "prometheus-url", envOr("LANTIAN_PROMETHEUS_URL", "http://prometheus:9090"), "Prometheus URL as Grafana reaches it (env LANTIAN_PROMETHEUS_URL)")
	timeout := fs.Duration("timeout", 30*time.Second, "time allowed for the whole push")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("LANTIAN_GRAFANA_TOKEN")
	}
	ds.InfluxToken = *influxToken
	if ds.InfluxToken == "" {
		ds.InfluxToken = os.Getenv("LANTIAN_INFLUX_TOKEN")
	}
	boards, err := boardsFrom(*file)
	if err != nil {
		return err
	}
	client, err := sdk.NewClient(*grafanaURL, *token, &http.Client{Timeout: *timeout})
	if err != nil {
		return fmt.Errorf("grafana url %q: %w", *grafanaURL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := dashboards.Push(ctx, client, dashboards.Datasources(ds), boards); err != nil {
		return fmt.Errorf("push to %s: %w", *grafanaURL, err)
	}
	fmt.Fprintf(stdout, "pushed %d boards and 2 datasources to %s (folder %q)\n", len(boards), *grafanaURL, dashboards.FolderTitle)
	return nil
}
