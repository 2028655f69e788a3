package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/alert/source"
	"lantian/ingest/influx"
	"lantian/service"
	"lantian/service/config"
)

func sourcesMoreUsage(w io.Writer) {
	fmt.Fprintln(w, "       lantian sources totals --from YYYY-MM-DD --to YYYY-MM-DD [--config FILE] [--influx-url URL] [flags]")
	fmt.Fprintln(w, "       lantian sources coverage [--hours N] [--json] [--config FILE] [--influx-url URL] [flags]")
	fmt.Fprintln(w, "       lantian sources inspection announce --time T [--source ID] [--reference NO] [--note TEXT] [--who NAME] [API flags]")
	fmt.Fprintln(w, "       lantian sources inspection withdraw --id ID [--note TEXT] [--who NAME] [API flags]")
	fmt.Fprintln(w, "       lantian sources inspection list [--json] [API flags]")
	fmt.Fprintln(w, "API flags: --api URL (or $LANTIAN_API, default http://127.0.0.1:8080), --token TOKEN or --token-file FILE (or $LANTIAN_WARNINGS_TOKEN)")
}

// sourcesSubcommand returns the handler of `lantian sources <name>` besides report.
func sourcesSubcommand(name string) func(context.Context, []string, io.Writer, io.Writer) error {
	switch name {
	case "coverage":
		return sourcesCoverageCmd
	case "inspection", "inspections":
		return sourcesInspectionCmd
	case "totals":
		return sourcesTotalsCmd
	}
	return nil
}

// reportNotices are the notices `lantian sources report` applies drop_after_notice to: the
// inspections of the register in data_dir (as `lantian run` keeps it) and the warnings issued
// (warning_event points), from a day before the period to its end.
func reportNotices(ctx context.Context, cfg config.Config, r *influx.Reader, from, to time.Time) ([]source.Notice, error) {
	var out []source.Notice
	entries, err := source.ReadInspectionEntries(filepath.Join(cfg.DataDir, service.InspectionsFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		out = append(out, source.InspectionNotices(entries)...)
	}
	issues, err := r.WarningIssues(ctx, from.AddDate(0, 0, -1), to)
	if err != nil {
		return nil, err
	}
	for _, w := range issues {
		for _, s := range cfg.Sources {
			if s.Area == w.Area {
				out = append(out, source.Notice{Kind: source.NoticeWarning, Time: w.Time, Source: s.ID,
					Note: fmt.Sprintf("%s warning %s", w.Level, w.WarningID)})
			}
		}
	}
	return out, nil
}

// sourcesCoverageCmd is `lantian sources coverage`: every registered outlet, whether the plan
// requires it to be monitored, its boiler rule, and whether data arrived in the last N hours
// (from the readings stored in InfluxDB).
func sourcesCoverageCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, rest, err := takeFlags(args, "hours")
	if err != nil {
		fmt.Fprintln(stderr, "lantian sources coverage:", err)
		return errUsage
	}
	asJSON := false
	var pass []string
	for _, a := range rest {
		if a == "--json" || a == "-json" {
			asJSON = true
			continue
		}
		pass = append(pass, a)
	}
	cfg, _, _, err := loadConfig("sources coverage", pass, stderr)
	if err != nil {
		return err
	}
	cov := cfg.SourceMonitoring.Coverage
	if h := opts["hours"]; h != "" {
		var n int
		if _, err := fmt.Sscanf(h, "%d", &n); err != nil || n < 1 {
			fmt.Fprintf(stderr, "lantian sources coverage: --hours %q: want a positive number of hours\n", h)
			return errUsage
		}
		cov.Window = time.Duration(n) * time.Hour
	}
	return sourcesCoverage(ctx, cfg, cov, time.Now(), asJSON, stdout)
}

// sourcesCoverage writes the coverage view as of now from the readings stored in InfluxDB.
func sourcesCoverage(ctx context.Context, cfg config.Config, cov source.CoverageConfig, now time.Time, asJSON bool, stdout io.Writer) error {
	client := influxdb2.NewClientWithOptions(cfg.Influx.URL, cfg.Influx.Token.Reveal(),
		influxdb2.DefaultOptions().SetHTTPRequestTimeout(uint(max(cfg.Influx.Timeout, time.Minute)/time.Second)))
	defer client.Close()
	reader := influx.NewReader(client.QueryAPI(cfg.Influx.Org), cfg.Influx.Bucket)
	// Four windows back tell "stale" (data, but old) from "no data".
	seen, err := reader.LastSeen(ctx, now.Add(-4*cov.Window), now)
	if err != nil {
		return err
	}
	last := make(map[source.OutletKey]time.Time, len(seen))
	for _, s := range seen {
		last[source.OutletKey{Source: s.Source, Outlet: s.Outlet}] = s.Hour
	}
	keyArea := func(a string) bool {
		for _, r := range cfg.Registry.RegionsOf(a) {
			if r == cov.KeyRegion {
				return true
			}
		}
		return false
	}
	rows := source.CoverageRows(cfg.Sources, keyArea, last, now, cov)
	return writeCoverage(stdout, rows, cfg, cov, asJSON)
}

func writeCoverage(w io.Writer, rows []source.CoverageRow, cfg config.Config, cov source.CoverageConfig, asJSON bool) error {
	if asJSON {
		return writeJSONOut(w, rows)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "企业 source\t排口 outlet\t区县 county\t应联网 mandated\t原因 reasons\t数采仪 logger\t最近数据 last data\t状态 status\t锅炉规定 boiler rule")
	gaps := 0
	for _, r := range rows {
		last := "-"
		if !r.LastData.IsZero() {
			last = r.LastData.In(cfg.Location()).Format(time.RFC3339)
		}
		mand, logger := "否 no", "否 no"
		if r.Mandated {
			mand = "是 yes"
		}
		if r.Logger {
			logger = "是 yes"
		}
		if r.Gap() {
			gaps++
		}
		boiler := r.Boiler
		if boiler == "" {
			boiler = "-"
		}
		reasons := strings.Join(r.Reasons, ",")
		if reasons == "" {
			reasons = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Source, r.Outlet, r.County, mand, reasons, logger, last, r.Status, boiler)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write coverage: %w", err)
	}
	_, err := fmt.Fprintf(w, "%d mandated outlet(s) without data in the last %s 应联网排口缺数据\n", gaps, cov.Window)
	return err
}

// sourcesInspectionCmd records, withdraws and lists announced inspections through the API
// of a running `lantian run`.
func sourcesInspectionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		sourcesMoreUsage(stderr)
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("sources inspection "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiURL := fs.String("api", envOr("LANTIAN_API", "http://127.0.0.1:8080"), "base URL of lantian run's HTTP server")
	token := fs.String("token", "", "API token (prefer --token-file or $LANTIAN_WARNINGS_TOKEN)")
	tokenFile := fs.String("token-file", "", "file holding the API token")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of the request")
	var req source.InspectionRequest
	var at, id, note, who string
	var asJSON bool
	switch sub {
	case "announce":
		fs.StringVar(&req.Source, "source", "", "inspected source id (empty: every source)")
		fs.StringVar(&at, "time", "", "when the inspection was announced to the enterprise: RFC 3339, or YYYY-MM-DDTHH:MM in the service's configured zone")
		fs.StringVar(&req.Reference, "reference", "", "the notice's document number")
		fs.StringVar(&req.Note, "note", "", "note")
		fs.StringVar(&req.Who, "who", "", "person recording it (default the token's name)")
	case "withdraw":
		fs.StringVar(&id, "id", "", "inspection id (I20260110-001)")
		fs.StringVar(&note, "note", "", "why it is withdrawn")
		fs.StringVar(&who, "who", "", "person recording it (default the token's name)")
	case "list":
		fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	default:
		fmt.Fprintf(stderr, "lantian sources inspection: unknown subcommand %q\n", sub)
		sourcesMoreUsage(stderr)
		return errUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lantian sources inspection %s: unexpected arguments %v\n", sub, fs.Args())
		return errUsage
	}
	secret := *token
	if secret == "" && *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("inspection %s: --token-file: %w", sub, err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		secret = os.Getenv("LANTIAN_WARNINGS_TOKEN")
	}
	if secret == "" {
		fmt.Fprintf(stderr, "lantian sources inspection %s: no token: use --token-file, --token or $LANTIAN_WARNINGS_TOKEN\n", sub)
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := apiClient{base: strings.TrimRight(*apiURL, "/"), token: secret}
	switch sub {
	case "announce":
		if at == "" {
			fmt.Fprintln(stderr, "lantian sources inspection announce: --time is required")
			return errUsage
		}
		// Sent as given: the service reads a time without offset in its configured zone.
		body := map[string]string{"source": req.Source, "time": at, "reference": req.Reference, "note": req.Note, "who": req.Who}
		var out source.Inspection
		if err := c.do(ctx, "POST", "/api/v1/inspections", body, &out); err != nil {
			return fmt.Errorf("announce inspection: %w", err)
		}
		fmt.Fprintf(stdout, "inspection %s recorded: source %s, announced %s, by %s\n", out.ID, orAll(out.Source),
			out.Time.Format(time.RFC3339), out.Who)
	case "withdraw":
		if id == "" {
			fmt.Fprintln(stderr, "lantian sources inspection withdraw: --id is required")
			return errUsage
		}
		var out source.Inspection
		body := map[string]string{"note": note, "who": who}
		if err := c.do(ctx, "POST", "/api/v1/inspections/"+id+"/withdraw", body, &out); err != nil {
			return fmt.Errorf("withdraw inspection: %w", err)
		}
		fmt.Fprintf(stdout, "inspection %s withdrawn by %s\n", out.ID, out.WithdrawnBy)
	case "list":
		var out []source.Inspection
		if err := c.do(ctx, "GET", "/api/v1/inspections", nil, &out); err != nil {
			return fmt.Errorf("list inspections: %w", err)
		}
		if asJSON {
			return writeJSONOut(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "编号 id\t企业 source\t通知时间 announced\t文号 reference\t登记人 who\t状态 state")
		for _, i := range out {
			state := "有效 in force"
			if i.Withdrawn {
				state = "已撤回 withdrawn"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", i.ID, orAll(i.Source), i.Time.Format(time.RFC3339), i.Reference, i.Who, state)
		}
		return tw.Flush()
	}
	return nil
}

func orAll(s string) string {
	if s == "" {
		return "* (all)"
	}
	return s
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
