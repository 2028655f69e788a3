package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"lantian/alert/office"
	"lantian/alert/warning"
)

// warningsCmd is `lantian warnings`. recommend works offline; issue, lift and list act on the
// warnings stored by a running `lantian run` through its HTTP API.
func warningsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintln(stderr, "usage: lantian warnings recommend [--scheme 2024|2018|2017] [FILE]")
		fmt.Fprintln(stderr, "       lantian warnings issue --level LEVEL --areas A[,B] --reason TEXT [--start T] [--end T] [--who NAME] [--id ID (change)] [API flags]")
		fmt.Fprintln(stderr, "       lantian warnings lift --id ID [--reason TEXT] [--who NAME] [API flags]")
		fmt.Fprintln(stderr, "       lantian warnings list [--all] [--json] [API flags]")
		fmt.Fprintln(stderr, "       lantian warnings compliance --id ID [--baseline-days N] [--json] [API flags]")
		fmt.Fprintln(stderr, "API flags: --api URL (or $LANTIAN_API, default http://127.0.0.1:8080), --token TOKEN or --token-file FILE (or $LANTIAN_WARNINGS_TOKEN)")
	}
	if len(args) == 0 {
		usage()
		return errUsage
	}
	switch args[0] {
	case "recommend":
		return warningsRecommend(args[1:], stdout, stderr)
	case "issue", "lift", "list", "compliance":
		return warningsAPI(ctx, args[0], args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage()
		return nil
	}
	fmt.Fprintf(stderr, "lantian warnings: unknown subcommand %q\n", args[0])
	usage()
	return errUsage
}

func warningsRecommend(args []string, stdout, stderr io.Writer) error {
	opts, file, err := parseRecommendArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		fmt.Fprintln(stderr, "lantian warnings recommend:", err)
		return errUsage
	}
	in := io.Reader(os.Stdin)
	opts.InputName = "stdin"
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("recommend: %w", err)
		}
		defer f.Close()
		in, opts.InputName = f, file
	}
	if err := warning.RecommendCSV(opts, in, stdout); err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	return nil
}

// parseRecommendArgs parses the arguments of `lantian warnings recommend` (after the word
// recommend): [--scheme 2024|2018|2017] [FILE]. It returns the engine's options and the input
// file ("" or "-" for standard input). Errors are usage errors; flag.ErrHelp for -h.
func parseRecommendArgs(args []string, stderr io.Writer) (warning.Options, string, error) {
	fs := flag.NewFlagSet("warnings recommend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scheme := fs.String("scheme", "2024", "warning scheme: 2024 (环大气〔2024〕6号), 2018 (three-level) or 2017 (four-level, with blue)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lantian warnings recommend [--scheme 2024|2018|2017] [FILE]")
		fmt.Fprintln(stderr, "reads CSV area,date,aqi (daily forecast AQI) and writes CSV area,date,level,reason")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return warning.Options{}, "", err
	}
	s, err := warning.ParseScheme(*scheme)
	if err != nil {
		return warning.Options{}, "", fmt.Errorf("--scheme: %w", err)
	}
	if fs.NArg() > 1 {
		return warning.Options{}, "", fmt.Errorf("at most one input file, got %d", fs.NArg())
	}
	return warning.Options{Scheme: s}, fs.Arg(0), nil
}

// warningsAPI runs issue, lift or list against the API of a running `lantian run`.
func warningsAPI(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("warnings "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiURL := fs.String("api", envOr("LANTIAN_API", "http://127.0.0.1:8080"), "base URL of lantian run's HTTP server")
	token := fs.String("token", "", "API token (prefer --token-file or $LANTIAN_WARNINGS_TOKEN: command lines are visible to other users)")
	tokenFile := fs.String("token-file", "", "file holding the API token")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of the request")
	var req office.IssueRequest
	var lift office.LiftRequest
	var areas, id string
	var all, asJSON bool
	var baselineDays int
	switch sub {
	case "issue":
		fs.StringVar(&req.Level, "level", "", "warning level: blue, yellow, orange, red (or 黄色, 橙色, 红色)")
		fs.StringVar(&areas, "areas", "", "comma-separated area ids; a region id (e.g. wcs) issues a unified regional warning")
		fs.StringVar(&req.Start, "start", "", "start, RFC 3339 or YYYY-MM-DDTHH:MM in the service's zone (default now)")
		fs.StringVar(&req.ExpectedEnd, "end", "", "expected end, same forms as --start")
		fs.StringVar(&req.Reason, "reason", "", "reason (required for a new warning)")
		fs.StringVar(&req.Who, "who", "", "person deciding, recorded in the audit trail (default the token's name)")
		fs.StringVar(&id, "id", "", "change this warning instead of issuing a new one (empty flags keep their value)")
	case "lift":
		fs.StringVar(&id, "id", "", "warning to lift (or give it as the argument)")
		fs.StringVar(&lift.Reason, "reason", "", "reason for lifting")
		fs.StringVar(&lift.Who, "who", "", "person deciding (default the token's name)")
	case "list":
		fs.BoolVar(&all, "all", false, "include lifted warnings")
		fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	case "compliance":
		fs.StringVar(&id, "id", "", "warning whose compliance to show (or give it as the argument)")
		fs.IntVar(&baselineDays, "baseline-days", 0, "CEMS baseline period in days (default the service's)")
		fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if (sub == "lift" || sub == "compliance") && id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lantian warnings %s: unexpected arguments %v\n", sub, fs.Args())
		return errUsage
	}
	secret := *token
	if secret == "" && *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("%s: --token-file: %w", sub, err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		secret = os.Getenv("LANTIAN_WARNINGS_TOKEN")
	}
	if secret == "" {
		fmt.Fprintf(stderr, "lantian warnings %s: no token: use --token-file, --token or $LANTIAN_WARNINGS_TOKEN\n", sub)
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := apiClient{base: strings.TrimRight(*apiURL, "/"), token: secret}

	switch sub {
	case "issue":
		req.ID = id
		if areas != "" {
			req.Areas = strings.Split(areas, ",")
		}
		if id == "" && (req.Level == "" || len(req.Areas) == 0 || req.Reason == "") {
			fmt.Fprintln(stderr, "lantian warnings issue: --level, --areas and --reason are required (or --id to change a warning)")
			return errUsage
		}
		var out struct {
			Warning     office.Warning `json:"warning"`
			Unpublished []string       `json:"unpublished_areas"`
		}
		if err := c.do(ctx, http.MethodPost, "/api/v1/warnings", req, &out); err != nil {
			return fmt.Errorf("issue: %w", err)
		}
		verb := "issued"
		if id != "" {
			verb = "changed"
		}
		fmt.Fprintf(stdout, "%s %s: %s (%s) for %s\n", verb, out.Warning.ID, out.Warning.Level, out.Warning.Level.Chinese(), strings.Join(out.Warning.Areas, ", "))
		if len(out.Unpublished) > 0 {
			fmt.Fprintf(stderr, "warning: the MQTT broker has not acknowledged the retained messages of %s yet; lantian run keeps retrying\n", strings.Join(out.Unpublished, ", "))
		}
	case "lift":
		if id == "" {
			fmt.Fprintln(stderr, "lantian warnings lift: --id is required")
			return errUsage
		}
		var out struct {
			Warning office.Warning `json:"warning"`
		}
		if err := c.do(ctx, http.MethodPost, "/api/v1/warnings/"+url.PathEscape(id)+"/lift", lift, &out); err != nil {
			return fmt.Errorf("lift: %w", err)
		}
		fmt.Fprintf(stdout, "lifted %s (%s) for %s\n", out.Warning.ID, out.Warning.Level, strings.Join(out.Warning.Areas, ", "))
	case "list":
		path := "/api/v1/warnings"
		if all {
			path += "?all=1"
		}
		var ws []office.Warning
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, path, nil, &raw); err != nil {
			return fmt.Errorf("list: %w", err)
		}
		if asJSON {
			_, err := stdout.Write(append(raw, '\n'))
			return err
		}
		if err := json.Unmarshal(raw, &ws); err != nil {
			return fmt.Errorf("list: decode answer: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "编号 ID\t等级 LEVEL\t状态 STATUS\t区域 AREAS\t开始 START\t预计结束 EXPECTED END\t签发 ISSUED BY\t原因 REASON")
		for _, w := range ws {
			end := "-"
			if !w.ExpectedEnd.IsZero() {
				end = w.ExpectedEnd.Format(time.RFC3339)
			}
			areas := strings.Join(w.Areas, ",")
			if w.Region != "" {
				areas = w.Region + ":" + areas
			}
			status := map[string]string{office.StatusInForce: "生效中", office.StatusLifted: "已解除"}[w.Status] + " " + w.Status
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\n", w.ID, w.Level.Chinese(), w.Level, status, areas, w.Start.Format(time.RFC3339), end, w.IssuedBy, w.Reason)
		}
		return tw.Flush()
	case "compliance":
		if id == "" {
			fmt.Fprintln(stderr, "lantian warnings compliance: --id is required")
			return errUsage
		}
		path := "/api/v1/warnings/" + url.PathEscape(id) + "/compliance"
		if baselineDays > 0 {
			path += fmt.Sprintf("?baseline_days=%d", baselineDays)
		}
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, path, nil, &raw); err != nil {
			return fmt.Errorf("compliance: %w", err)
		}
		if asJSON {
			_, err := stdout.Write(append(raw, '\n'))
			return err
		}
		var t office.ComplianceTable
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("compliance: decode answer: %w", err)
		}
		return printCompliance(stdout, t)
	}
	return nil
}

// complianceStatus names the verdicts in Chinese for the table.
var complianceStatus = map[string]string{office.ComplianceOK: "达标", office.ComplianceNotCompliant: "未达标",
	office.ComplianceNoBaseline: "无基准", office.ComplianceNoData: "无数据", office.ComplianceNoRequirement: "无要求"}

// printCompliance writes a warning's compliance table: totals first, then the sources.
func printCompliance(w io.Writer, t office.ComplianceTable) error {
	fmt.Fprintf(w, "%s %s 应急减排核查  预警期 %s 至 %s (%d 小时)  未达标 %d 项\n", t.WarningID, t.Level.Chinese(),
		t.WarningFrom.Format(time.RFC3339), t.WarningTo.Format(time.RFC3339), t.Hours, t.NotCompliant)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "范围\t对象\t污染物\t排放 kg\t基准 kg\t减排 %\t要求 %\t运行/停产/缺数 h\t结论")
	for _, tt := range t.Totals {
		scope := "县市合计"
		if tt.Scope == office.ScopeList {
			scope = "清单合计"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.0f\t-\t%s\n", scope, tt.Name, tt.Pollutant, tt.EmittedKg, tt.BaselineKg, tt.ReductionPct, tt.RequiredPct, complianceStatus[tt.Status])
	}
	for _, r := range t.Rows {
		fmt.Fprintf(tw, "企业\t%s (%s)\t%s\t%.1f\t%.1f\t%.1f\t%.0f\t%d/%d/%d\t%s\n", r.SourceName, r.Source, r.Pollutant, r.EmittedKg, r.BaselineKg,
			r.ReductionPct, r.RequiredPct, r.HoursRunning, r.HoursStopped, r.HoursMissing, complianceStatus[r.Status])
	}
	return tw.Flush()
}

// apiClient calls the warning API with a bearer token.
type apiClient struct {
	base, token string
}

func (c apiClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.base+path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error, Reason string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s (%s)", resp.Status, e.Error, e.Reason)
		}
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
