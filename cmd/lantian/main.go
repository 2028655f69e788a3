// Command lantian is the Lantian monitoring-data pipeline: one binary with subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"run":        {"run the ingest service (MQTT → InfluxDB, metrics, health)", runCmd},
		"hj212":      {"HJ 212: decode packets to JSON, serve a gateway for data loggers, send packets", hj212Cmd},
		"warnings":   {"heavy-pollution warnings: recommend from a forecast CSV; issue|lift|list through lantian run's API", warningsCmd},
		"dust":       {"sand-dust periods of the assessment: list|add|import|withdraw through lantian run's API", dustCmd},
		"dashboards": {"Grafana boards as code: export JSON or push to a Grafana", dashboardsCmd},
		"replay":     {"publish hourly CSV (Lantian or Beijing PRSA format) to MQTT as 1h readings", replayCmd},
		"sources":    {"pollution sources: report --from --to (CSV of exceedances, emissions, data quality)", sourcesCmd},
		"assess":     {"AQI and HJ 663 statistics from hourly CSV: --report hourly|daily|period", assessCmd},
		"config":     {"config check: load, validate and summarise a config file", configCmd},
		"history":    {"history correct: the audited way to change a stored value (who, when, old, new, why)", historyCmd},
		"demo":       {"run everything locally: embedded broker, local InfluxDB, simulator, pipeline", demoCmd},
		"simulate":   {"publish simulated prefecture readings to an MQTT broker", simulateCmd},
	}
}

// errUsage marks errors of the command line; main prints usage and exits with status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(realMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lantian: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, errUsage) {
			return 2
		}
		if errors.Is(err, errReported) {
			return 1
		}
		fmt.Fprintf(stderr, "lantian %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "lantian — monitoring-data ingestion and heavy-pollution alerting")
	fmt.Fprintln(w, "\nUsage: lantian <command> [flags]   (lantian <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
