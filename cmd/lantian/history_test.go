package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lantian/ingest/history"
	"lantian/internal/devenv/testenv"
)

func TestHistoryCorrectionIsAuditedAndApplied(t *testing.T) {
	influx := testenv.StartInflux(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "lantian.yaml")
	cfg := fmt.Sprintf("data_dir: %s\ninflux: {url: %s, bucket: lantian/autogen}\nstations:\n  - {id: cj-01, name: 昌吉市监测站, area: changji, class: national}\n",
		filepath.Join(dir, "data"), influx.URL)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Hour)
	line := fmt.Sprintf("air,area=changji,county=changji,period=1h,station=cj-01 pm25=250,pm25_flag=\"N\" %d", hour.UnixNano())
	resp, err := http.Post(influx.URL+"/write?db=lantian", "text/plain", strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %s", resp.Status)
	}
	args := []string{"history", "correct", "--config", cfgFile, "--station", "cj-01", "--period", "1h",
		"--time", hour.Format(time.RFC3339), "--field", "pm25", "--value", "20"}
	var out, errOut bytes.Buffer
	if code := realMain(t.Context(), args, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "--by") {
		t.Errorf("a correction without who and why: exit %d, %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	args = append(args, "--by", "张三 (监测科)", "--reason", "工单 2026-117: 校准后重算")
	if code := realMain(t.Context(), args, &out, &errOut); code != 0 {
		t.Fatalf("correction: exit %d: %s", code, errOut.String())
	}
	body, err := influx.InfluxQL(fmt.Sprintf(`SELECT pm25 FROM air WHERE station='cj-01' AND time = '%s'`, hour.UTC().Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), ",20]") {
		t.Errorf("stored after the correction: %s", body)
	}
	f, err := os.Open(filepath.Join(dir, "data", "history", history.AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []history.Correction
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c history.Correction
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, c)
	}
	if len(recs) != 2 || recs[0].Outcome != "pending" || recs[1].Outcome != "applied" {
		t.Fatalf("audit log %+v, want a pending and an applied record", recs)
	}
	c := recs[1]
	if c.By != "张三 (监测科)" || !strings.Contains(c.Reason, "工单") || c.Old == nil || *c.Old != 250 || c.New != 20 ||
		c.Station != "cj-01" || !c.Time.Equal(hour) || time.Since(c.At) > time.Minute || !strings.HasSuffix(c.At.Format(time.RFC3339), "+08:00") {
		t.Errorf("audit record %+v: want who, when (+08:00), old 250, new 20 and why", c)
	}
}

func TestHJ212DecodeFailsWhenNothingDecodes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "junk.txt")
	if err := os.WriteFile(p, []byte("not a packet\n##0010ST=22;CN=2011\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := realMain(t.Context(), []string{"hj212", "decode", p}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "0 decoded") {
		t.Errorf("decode of junk: exit %d, stderr %q; want 1 and a summary", code, errOut.String())
	}
}

func TestConfigCheckListsDevicesWithoutPassword(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := realMain(t.Context(), []string{"config", "check", "--config", "../../deploy/lantian.yaml"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "no password") || !strings.Contains(out.String(), "652302201800000000000002 (station fk-01)") {
		t.Errorf("config check does not list the MNs without credentials:\n%s", out.String())
	}
}
