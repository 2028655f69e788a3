package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestRecommendArgs(t *testing.T) {
	var stderr bytes.Buffer
	o, file, err := parseRecommendArgs([]string{"--scheme", "2018", "f.csv"}, &stderr)
	if err != nil || o.Scheme.Name != "2018" || file != "f.csv" {
		t.Errorf("2018 f.csv: %q %q %v", o.Scheme.Name, file, err)
	}
	o, file, err = parseRecommendArgs(nil, &stderr)
	if err != nil || o.Scheme.Name != "2024" || file != "" {
		t.Errorf("defaults: %q %q %v", o.Scheme.Name, file, err)
	}
	if _, _, err := parseRecommendArgs([]string{"--scheme", "2019"}, &stderr); err == nil || !strings.Contains(err.Error(), `--scheme: unknown scheme "2019" (want 2024, 2018 or 2017)`) {
		t.Errorf("unknown scheme: %v", err)
	}
	if _, _, err := parseRecommendArgs([]string{"a", "b"}, &stderr); err == nil {
		t.Error("two files: no error")
	}
	if _, _, err := parseRecommendArgs([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if _, _, err := parseRecommendArgs([]string{"--bogus"}, io.Discard); err == nil {
		t.Error("unknown flag: no error")
	}
}
