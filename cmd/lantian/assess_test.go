package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"lantian/alert/aqi"
	"lantian/alert/assess"
)

// TestAssessArgs: the command line of lantian assess fills the engine's options; the exit
// status says success, failed run or usage error.
func TestAssessArgs(t *testing.T) {
	o, files, err := parseAssessArgs([]string{"--report", "period", "--rules", "2012", "--time-label", "end", "--period", "month", "in.csv"}, io.Discard)
	if err != nil || o.Report != assess.ReportPeriod || o.Rules != aqi.Rules2012 || o.TimeLabel != assess.LabelEnd || o.Period != assess.PeriodMonth || len(files) != 1 {
		t.Errorf("parseAssessArgs: %+v %v %v", o, files, err)
	}
	if _, _, err := parseAssessArgs([]string{"--rules", "2019"}, io.Discard); err == nil {
		t.Error("--rules 2019 accepted")
	}
	var out, errb bytes.Buffer
	in := "station,time,pm25,pm10,so2,no2,co,o3\n" + "S,2017-01-01 00:00,1,2,3,4,0.5,6\n"
	if code := assessMain([]string{"--report", "hourly"}, strings.NewReader(in), &out, &errb); code != 0 || !strings.Contains(out.String(), "S,2017-01-01T00:00:00+08:00,5,1,\n") {
		t.Errorf("assessMain: %d %q %q", code, out.String(), errb.String())
	}
	if code := assessMain([]string{"--report", "x"}, strings.NewReader(in), &out, &errb); code != 2 {
		t.Errorf("assessMain with a bad report: %d", code)
	}
}
