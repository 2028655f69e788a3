package stream_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/alert/aqi"
	"lantian/alert/stream"
	"lantian/ingest/influx"
	"lantian/ingest/reading"
	"lantian/internal/devenv/testenv"
)

// render prints a snapshot's results in a comparable form (big.Rat internals need not be equal
// for equal values).
func render(s stream.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "watermark %s\n", s.Watermark.UTC().Format(time.RFC3339))
	for _, kind := range []map[string][]stream.DayResult{s.Stations, s.Counties} {
		for _, name := range slices.Sorted(mapsKeys(kind)) {
			for _, d := range kind[name] {
				fmt.Fprintf(&b, "%s %s %v final=%v\n", name, d.Date, row(d), d.Final)
			}
		}
	}
	for _, c := range slices.Sorted(mapsKeys(s.Progress)) {
		p := s.Progress[c]
		fmt.Fprintf(&b, "%s as of %s: days %d valid %d good %d heavy %d pm25 %s good %s", c, p.AsOf, p.Stats.Days,
			p.Stats.ValidDays, p.Stats.GoodDays, p.Stats.HeavyDays, aqi.FormatRat(p.Stats.Mean[aqi.PM25], 3), aqi.FormatRat(p.Stats.GoodRatio(), 3))
		for _, v := range []*float64{p.PM25, p.GoodRatio, p.PM25Target, p.GoodTarget, p.PM25Gap, p.GoodGap} {
			if v != nil {
				fmt.Fprintf(&b, " %v", *v)
			} else {
				b.WriteString(" -")
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestStreamRestartRebuildGivesSameState: an assessor that saw the readings live and one that
// rebuilt its state from the `air` points in a real InfluxDB (Flux query) hold the same days,
// finality and county progress.
func TestStreamRestartRebuildGivesSameState(t *testing.T) {
	db := testenv.StartInflux(t)
	data := synthetic(2, "2017-02-24", 9)
	now := hourAt("2017-03-05", 1).Add(20 * time.Minute)
	clock := func() time.Time { return now }

	live, _, _ := newAssessor(t, stream.Options{Now: clock})
	var body strings.Builder
	for i, d := range data {
		acc := accepted(d)
		if i%97 == 0 {
			// A value flagged as calibration is stored but excluded, live and after a rebuild.
			acc.Values[0].Flag = reading.FlagCalibration
		}
		live.Stored(acc)
		if i%50 == 0 {
			if err := live.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		body.Write(influx.EncodeLine(acc))
		body.WriteByte('\n')
	}
	sync1(t, live)
	resp, err := http.Post(db.URL+"/write?db=lantian", "text/plain", strings.NewReader(body.String()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write air points: %s", resp.Status)
	}

	client := influxdb2.NewClient(db.URL, "")
	defer client.Close()
	rebuilt, rec, _ := newAssessor(t, stream.Options{Now: clock,
		Source: influx.NewReader(client.QueryAPI(""), db.Bucket)})
	if err := rebuilt.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, got := render(live.Snapshot()), render(rebuilt.Snapshot())
	if want != got {
		t.Errorf("rebuilt state differs.\nlive:\n%s\nrebuilt:\n%s", want, got)
	}
	if !strings.Contains(got, "watermark 2017-03-04T17:00:00Z") || strings.Count(got, "final=false") != 5 {
		t.Errorf("the watermark follows the clock to 01:00 and only 2017-03-04 is open (3 stations, 2 counties):\n%s", got)
	}
	// The rebuild rewrites what is still open: the last 48 h of hours and their days.
	if n := len(rec.matching("aqi_hourly", "scope=station")); n < 3*40 || n > 3*50 {
		t.Errorf("%d station hours rewritten after the rebuild, want those of the last 48 h", n)
	}
	if n := len(rec.matching("aqi_daily", "2017-02-25")); n != 0 {
		t.Errorf("a day outside the lateness window was rewritten: %d points", n)
	}
}
