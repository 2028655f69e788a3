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

	"lantian/alert/dust"
)

// dustCmd is `lantian dust`: the sand-dust periods of a running `lantian run`, through its
// API (docs/assessment.md "Sand-dust deduction").
func dustCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintln(stderr, "usage: lantian dust list [--json] [API flags]")
		fmt.Fprintln(stderr, "       lantian dust add --from T --to T [--areas A[,B]] [--note TEXT] [API flags]   (T: RFC 3339 or \"2006-01-02 15:04\" in +08:00)")
		fmt.Fprintln(stderr, "       lantian dust import FILE [API flags]   (CSV from,to,areas,note; areas separated by ;)")
		fmt.Fprintln(stderr, "       lantian dust withdraw --id ID --reason TEXT [API flags]")
		fmt.Fprintln(stderr, "API flags: --api URL (or $LANTIAN_API, default http://127.0.0.1:8080), --token TOKEN or --token-file FILE (or $LANTIAN_WARNINGS_TOKEN)")
	}
	if len(args) == 0 {
		usage()
		return errUsage
	}
	sub := args[0]
	switch sub {
	case "list", "add", "import", "withdraw":
	case "-h", "--help", "help":
		usage()
		return nil
	default:
		fmt.Fprintf(stderr, "lantian dust: unknown subcommand %q\n", sub)
		usage()
		return errUsage
	}
	fs := flag.NewFlagSet("dust "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiURL := fs.String("api", envOr("LANTIAN_API", "http://127.0.0.1:8080"), "base URL of lantian run's HTTP server")
	token := fs.String("token", "", "API token (prefer --token-file or $LANTIAN_WARNINGS_TOKEN)")
	tokenFile := fs.String("token-file", "", "file holding the API token")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of the request")
	var from, to, areas, note, id, reason string
	var asJSON bool
	switch sub {
	case "list":
		fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	case "add":
		fs.StringVar(&from, "from", "", "start of the sand-dust period")
		fs.StringVar(&to, "to", "", "end of the period (exclusive)")
		fs.StringVar(&areas, "areas", "", "comma-separated county/park ids (empty: the whole prefecture)")
		fs.StringVar(&note, "note", "", "e.g. the meteorological notice's number")
	case "withdraw":
		fs.StringVar(&id, "id", "", "period id (D1 …)")
		fs.StringVar(&reason, "reason", "", "why it is withdrawn (required)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if (sub == "import") != (fs.NArg() == 1) || fs.NArg() > 1 {
		fmt.Fprintf(stderr, "lantian dust %s: unexpected arguments %v\n", sub, fs.Args())
		usage()
		return errUsage
	}
	secret := *token
	if secret == "" && *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("dust %s: --token-file: %w", sub, err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		secret = os.Getenv("LANTIAN_WARNINGS_TOKEN")
	}
	if secret == "" {
		fmt.Fprintf(stderr, "lantian dust %s: no token: use --token-file, --token or $LANTIAN_WARNINGS_TOKEN\n", sub)
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := apiClient{base: strings.TrimRight(*apiURL, "/"), token: secret}
	switch sub {
	case "list":
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, "/api/v1/dust-periods", nil, &raw); err != nil {
			return fmt.Errorf("list: %w", err)
		}
		if asJSON {
			_, err := stdout.Write(append(raw, '\n'))
			return err
		}
		var ps []dust.Period
		if err := json.Unmarshal(raw, &ps); err != nil {
			return fmt.Errorf("list: decode answer: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tAREAS\tFROM\tTO\tSOURCE\tENTERED BY\tENTERED AT\tSTATUS\tNOTE")
		for _, p := range ps {
			a, status := strings.Join(p.Areas, ","), "in force"
			if a == "" {
				a = "(all)"
			}
			if p.Withdrawn != nil {
				status = fmt.Sprintf("withdrawn by %s at %s: %s", p.Withdrawn.By, p.Withdrawn.At.Format(time.RFC3339), p.Withdrawn.Reason)
			}
			at := "-"
			if !p.EnteredAt.IsZero() {
				at = p.EnteredAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, a, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339),
				p.Source, p.EnteredBy, at, status, p.Note)
		}
		return tw.Flush()
	case "add":
		if from == "" || to == "" {
			fmt.Fprintln(stderr, "lantian dust add: --from and --to are required")
			return errUsage
		}
		// The CSV parser reads the same time forms a notice file has.
		reqs, err := dust.ParseCSV(strings.NewReader("from,to\n"+csvField(from)+","+csvField(to)+"\n"), "command line", time.FixedZone("CST", 8*3600))
		if err != nil {
			fmt.Fprintln(stderr, "lantian dust add:", err)
			return errUsage
		}
		req := reqs[0]
		req.Note = note
		if areas != "" {
			req.Areas = strings.Split(areas, ",")
		}
		var p dust.Period
		if err := c.do(ctx, http.MethodPost, "/api/v1/dust-periods", req, &p); err != nil {
			return fmt.Errorf("add: %w", err)
		}
		fmt.Fprintf(stdout, "entered %s: %s … %s by %s\n", p.ID, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), p.EnteredBy)
	case "import":
		body, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/dust-periods/import", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer resp.Body.Close()
		var out struct {
			Imported int    `json:"imported"`
			Error    string `json:"error"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
			return fmt.Errorf("import: %s: decode answer: %w", resp.Status, err)
		}
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("import %s: %s (%d periods entered before it)", fs.Arg(0), out.Error, out.Imported)
		}
		fmt.Fprintf(stdout, "imported %d sand-dust periods from %s\n", out.Imported, fs.Arg(0))
	case "withdraw":
		if id == "" || reason == "" {
			fmt.Fprintln(stderr, "lantian dust withdraw: --id and --reason are required")
			return errUsage
		}
		var p dust.Period
		if err := c.do(ctx, http.MethodPost, "/api/v1/dust-periods/"+url.PathEscape(id)+"/withdraw", map[string]string{"reason": reason}, &p); err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
		fmt.Fprintf(stdout, "withdrew %s (%s)\n", p.ID, reason)
	}
	return nil
}

func csvField(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
