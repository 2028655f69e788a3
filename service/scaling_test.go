package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"lantian/alert/assess"
	"lantian/ingest/reading"
	"lantian/ingest/sim"
	"lantian/internal/devenv/notifytest"
	"lantian/internal/devenv/testenv"
)

// proc is one `lantian run` process of a scaling test.
type proc struct {
	name string
	http string
	args []string
	bin  string
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

func (p *proc) start(t *testing.T) {
	t.Helper()
	p.out = &bytes.Buffer{}
	p.cmd = exec.Command(p.bin, append([]string{"run"}, p.args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// kill9 kills the process with SIGKILL: no shutdown, no flush, no acknowledgement.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

func (p *proc) stop() {
	if p.cmd != nil && p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

// readyz returns the status code and body of the process's /readyz.
func (p *proc) readyz() (int, string, error) {
	resp, err := http.Get("http://" + p.http + "/readyz")
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (p *proc) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		if p.cmd.ProcessState != nil {
			return fmt.Errorf("%s exited: %s", p.name, p.out.String())
		}
		code, body, err := p.readyz()
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("%s not ready: %d %s", p.name, code, body)
		}
		return nil
	})
}

func (p *proc) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + p.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// buildLantian builds the lantian binary for tests that run it as separate processes.
func buildLantian(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lantian")
	cmd := exec.Command("go", "build", "-o", bin, "lantian/cmd/lantian")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build lantian: %v\n%s", err, out)
	}
	return bin
}

// influxQLOn runs a statement on database db.
func influxQLOn(t *testing.T, base, db, q string) []byte {
	t.Helper()
	resp, err := http.PostForm(base+"/query", url.Values{"q": {q}, "db": {db}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"error"`)) {
		t.Fatalf("influxql %q on %s: %s %s", q, db, resp.Status, b)
	}
	return b
}

type influxSeries struct {
	Results []struct {
		Series []struct {
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
	} `json:"results"`
}

// fieldCounts is the number of stored air points carrying each field.
func fieldCounts(t *testing.T, base, db string) map[string]int {
	t.Helper()
	var a influxSeries
	if err := json.Unmarshal(influxQLOn(t, base, db, `SELECT count(*) FROM "air"`), &a); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range a.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				for i, c := range s.Columns {
					if f, ok := strings.CutPrefix(c, "count_"); ok {
						if n, ok := v[i].(float64); ok && n > 0 {
							out[f] = int(n)
						}
					}
				}
			}
		}
	}
	return out
}

// dailyAQI is every aqi_daily point as scope|station-or-county|local date → aqi level primary published.
func dailyAQI(t *testing.T, base, db string) map[string]string {
	t.Helper()
	out := map[string]string{}
	loc := assess.DefaultLocation()
	for _, by := range []string{"station", "county"} {
		var a influxSeries
		q := fmt.Sprintf(`SELECT "aqi","level","primary","published" FROM "aqi_daily" WHERE "scope"='%s' GROUP BY %q`, by, by)
		if err := json.Unmarshal(influxQLOn(t, base, db, q), &a); err != nil {
			t.Fatal(err)
		}
		for _, r := range a.Results {
			for _, s := range r.Series {
				for _, v := range s.Values {
					ts, err := time.Parse(time.RFC3339, fmt.Sprint(v[0]))
					if err != nil {
						t.Fatal(err)
					}
					out[by+"|"+s.Tags[by]+"|"+ts.In(loc).Format(time.DateOnly)] = fmt.Sprint(v[1:]...)
				}
			}
		}
	}
	return out
}

func diffMaps[V comparable](want, got map[string]V) []string {
	var bad []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			bad = append(bad, k+": missing")
		} else if g != w {
			bad = append(bad, fmt.Sprintf("%s: got %v, want %v", k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			bad = append(bad, k+": unexpected")
		}
	}
	slices.Sort(bad)
	return bad
}

// winter loads one Beijing winter and moves it by whole days so that it ends on endDay (local
// midnight): the assessor rebuilds the current year on a takeover, and days must stay days.
func winter(t *testing.T, dir string, endDay time.Time) []reading.Reading {
	t.Helper()
	loc := assess.DefaultLocation()
	rows, err := assess.LoadRows([]string{dir}, assess.LabelStart, loc)
	if err != nil {
		t.Fatal(err)
	}
	last := rows[0].Start
	for _, r := range rows {
		if r.Start.After(last) {
			last = r.Start
		}
	}
	lastDay := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, loc)
	days := int(endDay.Sub(lastDay).Hours()/24 + 0.5)
	rs := assess.Readings(rows)
	for i := range rs {
		rs[i].Time = rs[i].Time.AddDate(0, 0, days)
	}
	// Hour by hour across the stations, as the stations send them.
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Time.Before(rs[j].Time) })
	return rs
}

// TestScaleOutKillNineLosesNothing runs the multi-instance deployment as separate processes on
// a real Mosquitto and InfluxDB: three `--role ingest` instances in one shared-subscription
// group, an active and a standby `--role derive` instance writing to database "lantian", and,
// as the reference, one `--role all` instance on the same broker writing to its own database.
// Two Beijing winters (12 stations, about 50,000 hourly readings, moved into the current year)
// are published. One ingest instance is killed with SIGKILL in the middle of the first winter
// and started again after it; the active derive instance is killed with SIGKILL in the middle
// of the second and the standby takes over. InfluxDB must then hold every reading once per
// series and time, and the daily AQI of every station and county must equal the reference's.
// A warning issued on the first derive instance before it dies must be in force on the second,
// with its audit trail, and Alertmanager must hold its alert once, kept firing by the second.
// A third ingest instance is stopped for good with SIGTERM mid-stream: it leaves its group.
func TestScaleOutKillNineLosesNothing(t *testing.T) {
	beijingWinterRoot := beijingRoot(t)
	for _, d := range []string{"winter_2015-16", "winter_2016-17"} {
		if files, _ := filepath.Glob(filepath.Join(beijingWinterRoot, d, "*.csv")); len(files) != len(beijingStations) {
			t.Fatalf("the Beijing data is missing (must not be skipped): %d files in %s", len(files), d)
		}
	}
	bin := buildLantian(t)
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	influxQLOn(t, influx.URL, "lantian", `CREATE DATABASE "reference"`)

	loc := assess.DefaultLocation()
	today := time.Now().In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	// The second winter ends with the last hour before now: its last day and a half is sent
	// as it would arrive live (the days still open when the derive instance is killed).
	now := time.Now()
	second := winter(t, filepath.Join(beijingWinterRoot, "winter_2016-17"), today)
	second = slices.DeleteFunc(second, func(r reading.Reading) bool { return r.Time.After(now.Add(-time.Hour)) })
	cut := slices.IndexFunc(second, func(r reading.Reading) bool { return r.Time.After(now.Add(-36 * time.Hour)) })
	bulk, tail := second[:cut], second[cut:]
	first := winter(t, filepath.Join(beijingWinterRoot, "winter_2015-16"), second[0].Time.AddDate(0, 0, -3))
	if first[0].Time.Year() != today.Year() {
		t.Fatalf("the replayed winters start %s, before this year: the takeover's rebuild would not see them", first[0].Time)
	}
	want := map[string]int{}
	for _, rs := range [][]reading.Reading{first, bulk, tail} {
		for _, r := range rs {
			for _, v := range r.Values {
				want[v.Name]++
			}
		}
	}
	t.Logf("publishing %d + %d readings, %s … %s", len(first), len(second), first[0].Time.Format(time.DateOnly), second[len(second)-1].Time.Format(time.DateOnly))

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "lantian.yaml")
	var yml strings.Builder
	yml.WriteString("ingest: {max_age: 9000h}\ninflux: {retry_interval: 200ms, timeout: 3s}\nstations:\n")
	for _, st := range beijingStations {
		fmt.Fprintf(&yml, "  - {id: %s, name: %s, area: changji, class: national}\n", st, st)
	}
	// The reference reads the registry only; the deployment also sends alerts to a real
	// Alertmanager and has a token for the warning office's API.
	refPath := filepath.Join(dir, "reference.yaml")
	if err := os.WriteFile(refPath, []byte(yml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	am := notifytest.Start(t)
	fmt.Fprintf(&yml, "alertmanager: {urls: [%s], resend_interval: 2s}\nwarnings:\n  tokens:\n    - {name: 大气办, role: emergency, token: %s}\n", am.URL, officeToken)
	if err := os.WriteFile(cfgPath, []byte(yml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	newProc := func(name, role, clientID, bucket, dataDir string, extra ...string) *proc {
		p := &proc{name: name, bin: bin, http: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))}
		conf := cfgPath
		if role == "all" {
			conf = refPath
		}
		p.args = append([]string{"--config", conf, "--role", role, "--mqtt-url", mosq.URL, "--mqtt-client-id", clientID,
			"--influx-url", influx.URL, "--influx-bucket", bucket, "--http-addr", p.http,
			"--data-dir", filepath.Join(dir, dataDir), "--log-level", "info"}, extra...)
		t.Cleanup(p.stop)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("--- %s:\n%s", name, p.out.String())
			}
		})
		return p
	}
	reference := newProc("reference", "all", "lantian-reference", "reference/autogen", "reference")
	var ingest []*proc
	for i := 1; i <= 3; i++ {
		ingest = append(ingest, newProc(fmt.Sprintf("ingest-%d", i), "ingest", fmt.Sprintf("lantian-ingest-%d", i),
			influx.Bucket, fmt.Sprintf("ingest-%d", i), "--mqtt-shared-group", "ingest"))
	}
	// The two derive instances share their data folder (the warning office's store) as two
	// pods sharing a volume would.
	deriveA := newProc("derive-a", "derive", "lantian-derive", influx.Bucket, "derive", "--instance-id", "derive-a")
	deriveB := newProc("derive-b", "derive", "lantian-derive", influx.Bucket, "derive", "--instance-id", "derive-b")

	for _, p := range append([]*proc{reference, deriveA}, ingest...) {
		p.start(t)
	}
	for _, p := range append([]*proc{reference, deriveA}, ingest...) {
		p.waitReady(t, 60*time.Second)
	}
	deriveB.start(t)
	// The standby says so: alive, not ready, and who holds the role.
	testenv.Eventually(t, 30*time.Second, func() error {
		code, body, err := deriveB.readyz()
		if err != nil {
			return err
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "derive-a") {
			return fmt.Errorf("standby readyz %d %s", code, body)
		}
		return nil
	})

	stored := func() int { return influx.Count(t, "air", "pm25", "") }
	publish := func(name string, rs []reading.Reading, speed float64) chan sim.ReplayStats {
		done := make(chan sim.ReplayStats, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			st, err := sim.Replay(ctx, sim.ReplayOptions{Session: sim.Session{URL: mosq.URL, ClientID: name}, Speed: speed}, rs, nil)
			if err != nil {
				t.Errorf("replay %s: %v", name, err)
			}
			done <- st
		}()
		return done
	}

	pm25 := func(rs []reading.Reading) int {
		n := 0
		for _, r := range rs {
			if slices.ContainsFunc(r.Values, func(v reading.Value) bool { return v.Name == "pm25" }) {
				n++
			}
		}
		return n
	}
	// First winter: kill ingest-2 with SIGKILL once a quarter of it is stored.
	began := time.Now()
	firstDone := publish("replay-first", first, 0)
	testenv.Eventually(t, 5*time.Minute, func() error {
		if n := stored(); n < want["pm25"]/8 {
			return fmt.Errorf("%d stored", n)
		}
		return nil
	})
	ingest[1].kill9(t)
	t.Logf("ingest-2 killed with SIGKILL after %d pm25 readings were stored", stored())
	st1 := <-firstDone
	// The broker keeps what was in flight to ingest-2, and what the group gave its session
	// while it was away, for its persistent session: it comes back when ingest-2 does.
	// While ingest-2 is away the others store their share, and not its share: Mosquitto keeps
	// giving the offline member of the group its turn (its session queues it).
	lastStored := -1
	testenv.Eventually(t, time.Minute, func() error {
		a, b := ingest[0].metrics(t), ingest[2].metrics(t)
		n := stored()
		idle := inflight(a) == 0 && inflight(b) == 0 && n == lastStored
		lastStored = n
		if !idle {
			return fmt.Errorf("ingest-1 and ingest-3 still busy (%d stored)", n)
		}
		return nil
	})
	atKill := stored()
	if atKill >= pm25(first) {
		t.Fatalf("all %d readings of the first winter were stored while ingest-2 was dead: the broker redistributed its share", atKill)
	}
	ingest[1].start(t)
	ingest[1].waitReady(t, 60*time.Second)
	t.Logf("first winter published (%d readings); ingest-2 started again with %d pm25 readings stored", st1.Published, atKill)

	// Second winter: its history fast, then its last day and a half at 3 hours a second; the
	// active derive instance is killed with SIGKILL half way through that.
	st2 := <-publish("replay-bulk", bulk, 0)
	// Wait until the derive instance has written the history's days (those before the tail's
	// first day, which are final): it is then as far as the reference.
	tailDay := tail[0].Time.In(loc).Format(time.DateOnly)
	testenv.Eventually(t, 3*time.Minute, func() error {
		ref, got := dailyAQI(t, influx.URL, "reference"), dailyAQI(t, influx.URL, "lantian")
		for k := range ref {
			if k[strings.LastIndexByte(k, '|')+1:] >= tailDay {
				delete(ref, k)
				delete(got, k)
			}
		}
		if bad := diffMaps(ref, got); len(bad) > 0 {
			return fmt.Errorf("%d days differ, e.g. %s", len(bad), bad[0])
		}
		return nil
	})
	// A warning issued on the active derive instance: its store, audit trail and alert must
	// survive the takeover, and Alertmanager must hold it once.
	warningID := issueWarning(t, deriveA.http)
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := len(warningAlerts(t, am.URL, time.Time{})); n != 1 {
			return fmt.Errorf("%d HeavyPollutionWarning alerts in Alertmanager", n)
		}
		return nil
	})

	tailDone := publish("replay-tail", tail, 3)
	before := pm25(first) + pm25(bulk)
	testenv.Eventually(t, 5*time.Minute, func() error {
		if n := stored(); n < before+pm25(tail)/2 {
			return fmt.Errorf("%d stored", n)
		}
		return nil
	})
	deriveA.kill9(t)
	killedAt := time.Now()
	deriveB.waitReady(t, 2*time.Minute)
	t.Logf("derive-a killed with SIGKILL half way through the live tail; derive-b took over and was ready %s later", time.Since(killedAt).Round(time.Millisecond))
	// ingest-3 is stopped for good (SIGTERM, as a scale-down does) while the tail goes on:
	// it leaves the group first, so nothing stays queued for it.
	if err := ingest[2].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- ingest[2].cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("ingest-3 exited with %v after SIGTERM", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("ingest-3 did not stop within a minute of SIGTERM")
	}
	// The new active instance has the warning with its audit trail, and keeps its alert firing:
	// Alertmanager holds one HeavyPollutionWarning, updated by derive-b after derive-a died.
	w := getWarning(t, deriveB.http, warningID)
	if w.Warning.Status != "in_force" || len(w.Audit) != 1 || w.Audit[0].Action != "issue" {
		t.Errorf("warning %s after the takeover: %+v", warningID, w)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := len(warningAlerts(t, am.URL, killedAt)); n != 1 {
			return fmt.Errorf("%d HeavyPollutionWarning alerts updated since the takeover, want 1", n)
		}
		if n := len(warningAlerts(t, am.URL, time.Time{})); n != 1 {
			return fmt.Errorf("%d HeavyPollutionWarning alerts in Alertmanager, want 1", n)
		}
		return nil
	})
	t.Logf("warning %s, its audit trail and its one Alertmanager alert survived the takeover", warningID)
	if !strings.Contains(ingest[2].out.String(), "left the shared subscription group") {
		t.Errorf("ingest-3 did not leave its group before stopping:\n%s", ingest[2].out.String())
	}
	st3 := <-tailDone
	if st1.Published+st1.Skipped != len(first) || st2.Published+st2.Skipped != len(bulk) || st3.Published+st3.Skipped != len(tail) {
		t.Fatalf("replays incomplete: %+v %+v %+v", st1, st2, st3)
	}

	// Every reading once: the per-field counts of the stored air points equal those of the
	// published readings, in the shared database and in the reference's.
	var bad []string
	testenv.Eventually(t, 5*time.Minute, func() error {
		if bad = diffMaps(want, fieldCounts(t, influx.URL, "lantian")); len(bad) > 0 {
			return fmt.Errorf("shared database: %d fields differ, e.g. %s", len(bad), bad[0])
		}
		if bad = diffMaps(want, fieldCounts(t, influx.URL, "reference")); len(bad) > 0 {
			return fmt.Errorf("reference database: %d fields differ, e.g. %s", len(bad), bad[0])
		}
		return nil
	})
	t.Logf("all %d pm25 readings stored once per series and time, %s after the first publish", want["pm25"], time.Since(began).Round(time.Second))

	// The derived daily AQI of the scaled-out deployment equals the one-process run's.
	testenv.Eventually(t, 3*time.Minute, func() error {
		ref := dailyAQI(t, influx.URL, "reference")
		got := dailyAQI(t, influx.URL, "lantian")
		if len(ref) < 12*150 {
			return fmt.Errorf("reference has %d daily points so far", len(ref))
		}
		if bad = diffMaps(ref, got); len(bad) > 0 {
			return fmt.Errorf("%d daily AQI points differ from the --role all run:\n%s", len(bad), strings.Join(bad[:min(len(bad), 60)], "\n"))
		}
		return nil
	})
	t.Logf("daily AQI of every station and county equals the --role all run (%d points)", len(dailyAQI(t, influx.URL, "lantian")))

	// The ingest instances' counters add up: a sum over instances counts each stored reading
	// at least once (redeliveries after the kill count twice), and carries role="ingest".
	total := 0
	for _, p := range ingest[:2] {
		for _, l := range strings.Split(p.metrics(t), "\n") {
			if strings.HasPrefix(l, "lantian_readings_stored_total{") && strings.Contains(l, `role="ingest"`) {
				var n float64
				fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &n)
				total += int(n)
			}
		}
	}
	if total == 0 {
		t.Error(`no lantian_readings_stored_total{role="ingest"} on the ingest instances`)
	}
	t.Logf("ingest instances counted %d stored readings since they last started, for %d published", total, st1.Published+st2.Published+st3.Published)
	if m := deriveB.metrics(t); !strings.Contains(m, `lantian_derive_active{role="derive"} 1`) || strings.Contains(m, "lantian_readings_stored_total") {
		t.Errorf("the derive instance's metrics: want lantian_derive_active 1 and no raw-write counters")
	}
}

// beijingRoot finds the shared Beijing data beside the checkout (or beside the worktrees' folder).
func beijingRoot(t *testing.T) string {
	t.Helper()
	for _, up := range []string{"..", "../.."} {
		d := filepath.Join(testenv.RepoRoot(), up, "shared", "data", "beijing-multisite-prsa")
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	t.Fatal("the Beijing data (shared/data/beijing-multisite-prsa) is missing: it must not be skipped")
	return ""
}

// inflight reads lantian_mqtt_inflight_messages from a /metrics page (-1 when absent).
func inflight(metrics string) int {
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "lantian_mqtt_inflight") {
			var n float64
			fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &n)
			return int(n)
		}
	}
	return -1
}

const officeToken = "scale-out-test-token-0123456789"

// issueWarning issues an orange warning for changji through the office API of addr.
func issueWarning(t *testing.T, addr string) string {
	t.Helper()
	body := `{"level":"orange","areas":["changji"],"reason":"扩容测试：重污染天气","who":"王主任"}`
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/warnings", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+officeToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("issue warning: %s %s", resp.Status, b)
	}
	var out struct {
		Warning struct {
			ID string `json:"id"`
		} `json:"warning"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Warning.ID == "" {
		t.Fatalf("issue warning: %v %s", err, b)
	}
	return out.Warning.ID
}

type warningWithAudit struct {
	Warning struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"warning"`
	Audit []struct {
		Action string `json:"action"`
	} `json:"audit"`
}

func getWarning(t *testing.T, addr, id string) warningWithAudit {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/warnings/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+officeToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var w warningWithAudit
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &w) != nil {
		t.Fatalf("get warning %s: %s %s", id, resp.Status, b)
	}
	return w
}

// warningAlerts are the active HeavyPollutionWarning alerts in Alertmanager updated after since.
func warningAlerts(t *testing.T, amURL string, since time.Time) []map[string]string {
	t.Helper()
	resp, err := http.Get(amURL + "/api/v2/alerts?active=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var alerts []struct {
		Labels    map[string]string `json:"labels"`
		UpdatedAt time.Time         `json:"updatedAt"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, a := range alerts {
		if a.Labels["alertname"] == "HeavyPollutionWarning" && a.UpdatedAt.After(since) {
			out = append(out, a.Labels)
		}
	}
	return out
}
