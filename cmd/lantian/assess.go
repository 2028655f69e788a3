package main

import (
	"context"
	"errors"
	"io"
	"os"

	"lantian/alert/assess"
)

func assessCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	switch assess.Main(args, os.Stdin, stdout, stderr) {
	case 0:
		return nil
	case 2:
		return errUsage
	default:
		// assess.Main has already printed the reason with file, line and column.
		return errReported
	}
}

// errReported is a failure whose message the subcommand printed itself.
var errReported = errors.New("reported")
