package stream_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/alert/aqi"
	"lantian/alert/assess"
	"lantian/alert/stream"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

var shanghai = assess.DefaultLocation()

// testRegistry: two stations in changji, one in fukang, with the plan's targets.
func testRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	r := &registry.Registry{Areas: registry.DefaultAreas(), Targets: registry.DefaultTargets(),
		Stations: []registry.Station{
			{ID: "cj-01", Area: "changji", Class: registry.National},
			{ID: "cj-02", Area: "changji", Class: registry.National},
			{ID: "fk-01", Area: "fukang", Class: registry.National},
		}}
	if err := r.Index(); err != nil {
		t.Fatal(err)
	}
	return r
}

var areaOf = map[string]string{"cj-01": "changji", "cj-02": "changji", "fk-01": "fukang"}

// recorder is a Sink that keeps the last line written per series and timestamp, as InfluxDB
// would (fields merge on overwrite).
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Submit(_ context.Context, line []byte, done func(error)) {
	r.mu.Lock()
	r.lines = append(r.lines, string(line))
	r.mu.Unlock()
	done(nil)
}

func (r *recorder) matching(parts ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
next:
	for _, l := range r.lines {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

type hourData struct {
	station string
	start   time.Time
	vals    [aqi.NumPollutants]float64 // negative: missing
}

func accepted(h hourData) *reading.Accepted {
	r := reading.Reading{Kind: reading.Air, Station: h.station, Time: h.start, Period: reading.Hour}
	for p, v := range h.vals {
		if v >= 0 {
			r.Values = append(r.Values, reading.Value{Name: []string{"pm25", "pm10", "so2", "no2", "co", "o3"}[p], Value: v})
		}
	}
	return &reading.Accepted{Reading: r, County: areaOf[h.station], Area: areaOf[h.station]}
}

func newAssessor(t *testing.T, o stream.Options) (*stream.Assessor, *recorder, *prometheus.Registry) {
	t.Helper()
	rec := &recorder{}
	reg := prometheus.NewRegistry()
	if o.Registry == nil {
		o.Registry = testRegistry(t)
	}
	o.Sink, o.Registerer = rec, reg
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.Now == nil {
		// Far from the data: the watermark never follows the wall clock in these tests.
		o.Now = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	}
	a, err := stream.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a, rec, reg
}

func hourAt(d string, h int) time.Time {
	t, err := time.ParseInLocation("2006-01-02", d, shanghai)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(h) * time.Hour)
}

func sync1(t *testing.T, a *stream.Assessor) {
	t.Helper()
	if err := a.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStreamHourlyAQIAsHoursArrive(t *testing.T) {
	a, rec, reg := newAssessor(t, stream.Options{})
	// PM2.5 50 → 2012 IAQI 50 + ⌈50·15/40⌉ = 69; NO2 1-h 150 → 50 + ⌈50·50/100⌉ = 75.
	a.Stored(accepted(hourData{"cj-01", hourAt("2017-03-01", 8), [6]float64{50, 60, 10, 40, 0.5, 30}}))
	sync1(t, a)
	got := rec.matching("aqi_hourly", "station=cj-01")
	if len(got) != 1 || !strings.Contains(got[0], "published=true,aqi=69i,level=2i,category=\"良\",primary=\"PM2.5\"") ||
		!strings.Contains(got[0], "iaqi_pm25=69i") || !strings.HasSuffix(got[0], strconv.FormatInt(hourAt("2017-03-01", 8).UnixNano(), 10)) {
		t.Fatalf("first hour: %q", got)
	}
	if v := mustGauge(t, reg, "lantian_aqi_station", "cj-01"); v != 69 {
		t.Errorf("station gauge %v, want 69", v)
	}
	a.Stored(accepted(hourData{"cj-01", hourAt("2017-03-01", 9), [6]float64{50, 60, 10, 150, 0.5, 30}}))
	// Without PM2.5 no hourly AQI is published (HJ 633 real-time rule).
	a.Stored(accepted(hourData{"cj-02", hourAt("2017-03-01", 9), [6]float64{-1, 60, 10, 350, 0.5, 30}}))
	sync1(t, a)
	if got := rec.matching("aqi_hourly", "station=cj-01", "aqi=75i", `primary="NO2"`); len(got) != 1 {
		t.Errorf("second hour: %q", rec.matching("aqi_hourly", "station=cj-01"))
	}
	if got := rec.matching("aqi_hourly", "station=cj-02", "published=false"); len(got) != 1 {
		t.Errorf("hour without PM2.5: %q", rec.matching("aqi_hourly", "station=cj-02"))
	}
	if v := mustGauge(t, reg, "lantian_aqi_station", "cj-01"); v != 75 {
		t.Errorf("station gauge follows the latest hour: %v, want 75", v)
	}
	// The county hour is the mean of its stations' values: PM2.5 only from cj-01 (50), NO2
	// (150+350)/2 = 250 → 100 + ⌈50·50/500⌉ = 105.
	if got := rec.matching("aqi_hourly", "scope=county", "county=changji", "aqi=105i", `primary="NO2"`); len(got) != 1 {
		t.Errorf("county hour: %q", rec.matching("aqi_hourly", "scope=county"))
	}
	if v := mustGauge(t, reg, "lantian_aqi_county", "changji"); v != 105 {
		t.Errorf("county gauge %v, want 105", v)
	}
	// Real-time readings are not assessed.
	rt := accepted(hourData{"cj-01", hourAt("2017-03-01", 10), [6]float64{50, 60, 10, 40, 0.5, 30}})
	rt.Period = reading.RealTime
	a.Stored(rt)
	sync1(t, a)
	if n := len(rec.matching("aqi_hourly", "station=cj-01")); n != 2 {
		t.Errorf("a real-time reading produced hourly points: %d", n)
	}
}

func mustGauge(t *testing.T, reg *prometheus.Registry, name string, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s}", name, label)
	return 0
}

// synthetic makes hourly data for the three test stations over days, with a few missing
// values and some hours left out, deterministic from the seed.
func synthetic(seed uint64, first string, days int) []hourData {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []hourData
	start := hourAt(first, 0)
	for h := 0; h < days*24; h++ {
		for _, st := range []string{"cj-01", "cj-02", "fk-01"} {
			if rng.IntN(30) == 0 {
				continue // the station sent nothing this hour
			}
			d := hourData{station: st, start: start.Add(time.Duration(h) * time.Hour)}
			base := 20 + 200*rng.Float64()*rng.Float64()
			d.vals = [6]float64{
				float64(int(base)), float64(int(base*1.6 + 10)), float64(rng.IntN(40) + 2),
				float64(rng.IntN(90) + 5), float64(rng.IntN(40)+2) / 10, float64(rng.IntN(190) + 1),
			}
			if rng.IntN(25) == 0 {
				d.vals[rng.IntN(6)] = -1
			}
			out = append(out, d)
		}
	}
	return out
}

// offlineDaily runs `lantian assess --report daily` with areas over the same data.
func offlineDaily(t *testing.T, data []hourData) map[string][]string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("station,time,pm25,pm10,so2,no2,co,o3\n")
	for _, d := range data {
		b.WriteString(d.station + "," + d.start.Format(time.RFC3339))
		for _, v := range d.vals {
			b.WriteByte(',')
			if v >= 0 {
				b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
		b.WriteByte('\n')
	}
	var out bytes.Buffer
	if err := assess.Run(assess.Options{Report: assess.ReportDaily, Areas: areaOf}, &b, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for _, r := range recs[1:] {
		m[r[0]+"|"+r[1]] = r[2:]
	}
	return m
}

// row formats a streamed day like the offline daily report's columns aqi … valid.
func row(d stream.DayResult) []string {
	r := make([]string, 0, 11)
	if d.Result.Published {
		r = append(r, strconv.Itoa(d.Result.AQI), strconv.Itoa(int(d.Result.Level)), d.Result.PrimaryString())
	} else {
		r = append(r, "", "", "")
	}
	for p, s := range d.Day.Values {
		if s.Valid {
			r = append(r, s.C.Format(aqi.Decimals(aqi.Pollutant(p))))
		} else {
			r = append(r, "")
		}
	}
	if d.Day.O3_1h.Valid {
		r = append(r, d.Day.O3_1h.C.Format(0))
	} else {
		r = append(r, "")
	}
	return append(r, strconv.FormatBool(d.Valid))
}

func TestStreamDaysCompletedMatchOffline(t *testing.T) {
	data := synthetic(1, "2017-01-10", 6)
	want := offlineDaily(t, data)
	a, rec, _ := newAssessor(t, stream.Options{})
	for i, d := range data {
		a.Stored(accepted(d))
		if i%17 == 0 {
			sync1(t, a)
		}
	}
	sync1(t, a)
	snap := a.Snapshot()
	n := 0
	check := func(name string, days []stream.DayResult) {
		for _, d := range days {
			n++
			w, ok := want[name+"|"+d.Date.String()]
			if !ok {
				t.Errorf("%s %s: not in the offline report", name, d.Date)
				continue
			}
			if g := row(d); strings.Join(g, ",") != strings.Join(w, ",") {
				t.Errorf("%s %s: stream %v, offline %v", name, d.Date, g, w)
			}
		}
	}
	for st, days := range snap.Stations {
		check(st, days)
	}
	for c, days := range snap.Counties {
		check(assess.AreaPrefix+c, days)
	}
	if n != len(want) || n != 6*5 {
		t.Errorf("%d streamed days, offline %d, want 30", n, len(want))
	}
	// Days end 2 h after midnight: with the last hour 2017-01-15 23:00 seen, the first five days
	// are final and the last is provisional, and the points say so.
	for _, d := range snap.Stations["cj-01"] {
		if wantFinal := d.Date.Day < 15; d.Final != wantFinal {
			t.Errorf("%s final=%v", d.Date, d.Final)
		}
	}
	last := rec.matching("aqi_daily", "station=cj-01", strconv.FormatInt(hourAt("2017-01-11", 0).UnixNano(), 10))
	if len(last) == 0 || !strings.Contains(last[len(last)-1], "final=true") {
		t.Errorf("daily points of a final day: %q", last)
	}
}

func TestStreamLateHourUpdatesDay(t *testing.T) {
	// No wall-clock grace: the window counts from the watermark itself.
	a, rec, reg := newAssessor(t, stream.Options{Grace: -1})
	var late hourData
	// 19 valid hours: no 24-h mean, no daily AQI.
	for h := 0; h < 24; h++ {
		d := hourData{"cj-01", hourAt("2017-05-02", h), [6]float64{40, 70, 10, 30, 0.6, 60}}
		if h < 5 {
			if h == 3 {
				late = d
			}
			continue
		}
		a.Stored(accepted(d))
	}
	// The next day's hours move the watermark past the day's end plus the lateness.
	for h := 0; h < 6; h++ {
		a.Stored(accepted(hourData{"cj-01", hourAt("2017-05-03", h), [6]float64{40, 70, 10, 30, 0.6, 60}}))
	}
	sync1(t, a)
	day := a.Snapshot().Stations["cj-01"][0]
	if day.Result.Published || !day.Final {
		t.Fatalf("19-hour day: %+v", day)
	}
	a.Stored(accepted(late)) // 20th hour, 27 h late: inside the 48 h window
	sync1(t, a)
	day = a.Snapshot().Stations["cj-01"][0]
	// PM2.5 40 → 50 + ⌈50·5/40⌉ = 57; PM10 70 → 50 + ⌈50·20/100⌉ = 60.
	if !day.Result.Published || day.Result.AQI != 60 || day.Result.PrimaryString() != "PM10" || !day.Final {
		t.Fatalf("day after the late hour: %+v", day)
	}
	stamp := strconv.FormatInt(hourAt("2017-05-02", 0).UnixNano(), 10)
	lines := rec.matching("aqi_daily", "station=cj-01", stamp)
	if len(lines) < 2 || !strings.Contains(lines[len(lines)-1], "aqi=60i") || !strings.Contains(lines[len(lines)-1], "pm25=40") {
		t.Errorf("the day's point was not overwritten: %q", lines)
	}
	if got := rec.matching("county_progress", "county=changji", stamp); len(got) < 2 || !strings.Contains(got[len(got)-1], "valid_days=1i") {
		t.Errorf("county progress as of the day: %q", got)
	}
	// An hour more than 48 h older than the watermark is refused and changes nothing.
	a.Stored(accepted(hourData{"cj-01", hourAt("2017-04-30", 12), [6]float64{400, 70, 10, 30, 0.6, 60}}))
	sync1(t, a)
	if n := len(a.Snapshot().Stations["cj-01"]); n != 2 {
		t.Errorf("too-late hour created a day: %d days", n)
	}
	if v := mustCounter(t, reg, "lantian_assess_readings_total", "too_late"); v != 1 {
		t.Errorf("too_late count %v", v)
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s}", name, label)
	return 0
}

// TestStreamCountyProgressConstantYear: a year whose answer is known by construction. Every
// hour of 2017 has PM2.5 50 in changji and 80 in fukang, with low other pollutants. Daily
// PM2.5 is then 50 and 80; the 2012 daily AQI 69 (good) and 100 + ⌈50·5/40⌉ = 107 (not good).
func TestStreamCountyProgressConstantYear(t *testing.T) {
	a, rec, reg := newAssessor(t, stream.Options{})
	start := hourAt("2017-01-01", 0)
	for h := 0; h < 365*24; h++ {
		ts := start.Add(time.Duration(h) * time.Hour)
		for _, st := range []string{"cj-01", "cj-02", "fk-01"} {
			pm := 50.0
			if st == "fk-01" {
				pm = 80
			}
			a.Stored(accepted(hourData{st, ts, [6]float64{pm, pm, 10, 20, 0.4, 50}}))
		}
		if h%(24*7) == 0 {
			sync1(t, a)
		}
	}
	sync1(t, a)
	p := a.Snapshot().Progress
	check := func(county string, pm25, good, pmTarget, goodTarget, pmGap, goodGap float64) {
		t.Helper()
		g := p[county]
		if g.AsOf != (aqi.Date{Year: 2017, Month: time.December, Day: 31}) || g.Stats.ValidDays != 365 || g.Stats.HeavyDays != 0 ||
			*g.PM25 != pm25 || *g.GoodRatio != good || *g.PM25Target != pmTarget || *g.GoodTarget != goodTarget ||
			*g.PM25Gap != pmGap || *g.GoodGap != goodGap {
			t.Errorf("%s: as of %s valid %d heavy %d pm25 %v good %v targets %v %v gaps %v %v", county, g.AsOf, g.Stats.ValidDays,
				g.Stats.HeavyDays, *g.PM25, *g.GoodRatio, *g.PM25Target, *g.GoodTarget, *g.PM25Gap, *g.GoodGap)
		}
	}
	// changji targets 36 µg/m³ and 83.5 %; fukang 39 and 80 % (the plan's table).
	check("changji", 50, 100, 36, 83.5, 14, 16.5)
	check("fukang", 80, 0, 39, 80, 41, -80)
	for name, want := range map[string]float64{"lantian_county_pm25_ytd": 50, "lantian_county_good_ratio_ytd": 100,
		"lantian_county_pm25_target": 36, "lantian_county_good_ratio_target": 83.5} {
		if v := mustGauge(t, reg, name, "changji"); v != want {
			t.Errorf("%s{changji} = %v, want %v", name, v, want)
		}
	}
	stamp := strconv.FormatInt(hourAt("2017-12-31", 0).UnixNano(), 10)
	// Without sand-dust periods the deducted figures equal the others. The budget: 365 valid
	// days, none good, target 80 %: 73 non-good days allowed, 365 used.
	for _, ded := range []string{"deducted=false", "deducted=true"} {
		got := rec.matching("county_progress", "county=fukang,"+ded, stamp)
		if len(got) == 0 || !strings.Contains(got[len(got)-1],
			"days=365i,valid_days=365i,good_days=0i,heavy_days=0i,incomplete_days=0i,good_budget=-292i,pm25_ytd=80,good_ratio_ytd=0,pm25_target=39,good_target=80,pm25_gap=41,good_gap=-80") {
			t.Errorf("fukang progress point: %q", got)
		}
	}
	// The year's first day: 24 hourly points per station, one daily point per final day.
	if n := len(rec.matching("aqi_hourly", "station=cj-01")); n != 365*24 {
		t.Errorf("%d hourly points of cj-01, want %d", n, 365*24)
	}
}

func TestStreamOptionsNeedRegistry(t *testing.T) {
	if _, err := stream.New(stream.Options{}); err == nil {
		t.Error("New without a registry succeeded")
	}
	if _, err := stream.New(stream.Options{Registry: testRegistry(t), Rules: 2013}); err == nil {
		t.Error("New with rules 2013 succeeded")
	}
}

// A backlog drained faster than Grace (here the wall clock stands still) keeps only the hours
// the lateness window can still need, not the whole backlog: memory is bounded by data time,
// whatever the drain speed. Three stations over 40 days would be 2,880 hours.
func TestStreamFastDrainHoldsOnlyTheWindow(t *testing.T) {
	data := synthetic(3, "2017-01-10", 40)
	a, _, reg := newAssessor(t, stream.Options{})
	peak := 0.0
	for i, d := range data {
		a.Stored(accepted(d))
		if i%50 == 0 {
			sync1(t, a)
			peak = max(peak, hoursHeld(t, reg))
		}
	}
	sync1(t, a)
	// Window 48 h behind the watermark at most, the window before that, and the day before
	// (SO2 24-h means): under a week per station.
	if limit := 3.0 * 7 * 24; peak == 0 || peak > limit {
		t.Fatalf("held up to %v station-hours, want at most %v", peak, limit)
	}
}

func hoursHeld(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "lantian_assess_hours_held" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no lantian_assess_hours_held")
	return 0
}

// Wait holds the pipeline back while PaceAt readings wait, and lets it go once Sync takes them.
func TestStreamWaitPacesThePipeline(t *testing.T) {
	a, _, _ := newAssessor(t, stream.Options{PaceAt: 10})
	data := synthetic(5, "2017-01-10", 1)
	for _, d := range data[:10] {
		a.Stored(accepted(d))
	}
	waited := make(chan error, 1)
	go func() { waited <- a.Wait(context.Background()) }()
	select {
	case err := <-waited:
		t.Fatalf("Wait returned %v with the queue at PaceAt", err)
	case <-time.After(50 * time.Millisecond):
	}
	sync1(t, a)
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, d := range data[10:20] {
		a.Stored(accepted(d))
	}
	if err := a.Wait(ctx); err == nil {
		t.Fatal("Wait returned nil for an ended context with the queue full")
	}
}
