package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"lantian/alert/aqi"
	"lantian/alert/assess"
	"lantian/ingest/sim"
)

// replayCmd publishes hourly CSV files (Lantian's format or the Beijing PRSA data set) to MQTT
// as hourly readings, so the live path (`lantian run` with its streaming assessor) can be
// checked against the offline one (`lantian assess`). docs/assessment.md "Streaming".
func replayCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files []string
	fs.Func("file", "hourly CSV file or folder of *.csv files (repeatable)", func(s string) error {
		files = append(files, s)
		return nil
	})
	speed := fs.Float64("speed", 0, "simulated hours per real second (0: as fast as the broker acknowledges)")
	url := fs.String("mqtt-url", "tcp://127.0.0.1:1883", "MQTT broker URL")
	clientID := fs.String("client-id", "lantian-replay", "MQTT client id (persistent session)")
	user := fs.String("username", "", "MQTT user name")
	passFile := fs.String("password-file", "", "file holding the MQTT password")
	prefix := fs.String("topic-prefix", "lantian", "topic prefix; readings go to <prefix>/air/<station>")
	label := fs.String("time-label", "start", "input times stamp the start or the end of their hour")
	zone := fs.String("zone", "Asia/Shanghai", "zone of natural days and of times without an offset")
	rules := fs.String("rules", "auto", "rule set of the --expect report: 2012, 2026 or auto")
	expect := fs.String("expect", "", "also write the offline daily report (lantian assess --report daily) of the replayed rows to this file")
	window := fs.Int("window", 1000, "publishes awaiting the broker's acknowledgement at most")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lantian replay --file FILE|DIR [--file …] [--speed N] [--mqtt-url URL] [--topic-prefix lantian] [--time-label start|end] [--rules 2012|2026|auto] [--expect FILE]")
		fmt.Fprintln(stderr, "Readings older than ingest.max_age (default 90 days) are refused by `lantian run`: raise it to replay old data.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	files = append(files, fs.Args()...)
	if len(files) == 0 {
		fmt.Fprintln(stderr, "lantian replay: --file is required")
		fs.Usage()
		return errUsage
	}
	if *label != string(assess.LabelStart) && *label != string(assess.LabelEnd) {
		fmt.Fprintf(stderr, "lantian replay: --time-label %q: want start or end\n", *label)
		return errUsage
	}
	var r aqi.Rules
	if *rules != "auto" {
		var err error
		if r, err = aqi.ParseRules(*rules); err != nil {
			fmt.Fprintf(stderr, "lantian replay: --rules: %v\n", err)
			return errUsage
		}
	}
	loc, err := zoneFlag(*zone)
	if err != nil {
		return err
	}
	var password string
	if *passFile != "" {
		b, err := os.ReadFile(*passFile)
		if err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
		password = strings.TrimSpace(string(b))
	}

	rows, err := assess.LoadRows(files, assess.TimeLabel(*label), loc)
	if err != nil {
		return err
	}
	if *expect != "" {
		if err := writeExpected(*expect, rows, r, loc); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		fmt.Fprintf(stderr, "lantian replay: %d hourly rows, %s … %s, to %s\n", len(rows),
			rows[0].Start.Format(time.RFC3339), rows[len(rows)-1].Start.Format(time.RFC3339), *url)
	}
	readings := assess.Readings(rows)
	rows = nil // what is published from here on are the readings
	progress := func(s sim.ReplayStats) {
		fmt.Fprintf(stderr, "lantian replay: %d/%d sent, %d acknowledged, at %s (%s)\n", s.Sent, s.Rows, s.Published,
			s.Current.Format(time.RFC3339), s.Elapsed.Round(time.Second))
	}
	st, err := sim.Replay(ctx, sim.ReplayOptions{
		Session: sim.Session{URL: *url, ClientID: *clientID, Username: *user, Password: password,
			TopicPrefix: *prefix, Window: *window},
		Speed: *speed, Location: loc,
	}, readings, progress)
	fmt.Fprintf(stderr, "lantian replay: %d rows: %d published, %d without any value skipped, %d failed, in %s\n",
		st.Rows, st.Published, st.Skipped, st.Errors, st.Elapsed.Round(time.Millisecond))
	if errors.Is(err, context.Canceled) {
		// Ctrl-C: a clean stop, reported above.
		return nil
	}
	return err
}

func writeExpected(path string, rows []assess.Row, r aqi.Rules, loc *time.Location) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--expect: %w", err)
	}
	if err := assess.ExpectedDaily(rows, r, loc, nil, f); err != nil {
		f.Close()
		return fmt.Errorf("--expect %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--expect %s: %w", path, err)
	}
	return nil
}
