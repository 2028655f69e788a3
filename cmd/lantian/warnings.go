package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"lantian/alert/warning"
)

// warningsCmd is `lantian warnings`. Only the offline recommend works without a running
// service; issue, lift and list act on warnings stored by `lantian run`, whose API is not there yet.
func warningsCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintln(stderr, "usage: lantian warnings recommend [--scheme 2024|2018|2017] [FILE]")
		fmt.Fprintln(stderr, "       lantian warnings issue|lift|list   (not available yet: needs lantian run's API)")
	}
	if len(args) == 0 {
		usage()
		return errUsage
	}
	switch args[0] {
	case "recommend":
		return warningsRecommend(args[1:], stdout, stderr)
	case "issue", "lift", "list":
		fmt.Fprintf(stderr, "lantian warnings %s: not available yet: needs lantian run's API\n", args[0])
		return errUsage
	case "-h", "--help", "help":
		usage()
		return nil
	}
	fmt.Fprintf(stderr, "lantian warnings: unknown subcommand %q\n", args[0])
	usage()
	return errUsage
}

func warningsRecommend(args []string, stdout, stderr io.Writer) error {
	opts, file, err := warning.ParseRecommendArgs(args, stderr)
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
