package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"lantian/ingest/jsonreading"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/validate"

	"gopkg.in/yaml.v3"
)

// sample is the registry and zone of deploy/lantian.yaml. The file's other sections belong to
// the service and are ignored here, so the simulator is tested without the service's config.
type sample struct {
	registry.Registry `yaml:",inline"`
	Timezone          string `yaml:"timezone"`
	loc               *time.Location
}

func (s *sample) Location() *time.Location { return s.loc }

func sampleConfig(t testing.TB) *sample {
	t.Helper()
	data, err := os.ReadFile("../../deploy/lantian.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &sample{Registry: registry.Registry{Areas: registry.DefaultAreas(), Targets: registry.DefaultTargets()}}
	if err := yaml.Unmarshal(data, cfg); err != nil {
		t.Fatalf("deploy/lantian.yaml: %v", err)
	}
	if err := cfg.Index(); err != nil {
		t.Fatalf("deploy/lantian.yaml registry: %v", err)
	}
	if cfg.loc, err = time.LoadLocation(cfg.Timezone); err != nil {
		t.Fatalf("deploy/lantian.yaml timezone: %v", err)
	}
	return cfg
}

func newSim(t testing.TB, cfg *sample, o Options) *Simulator {
	t.Helper()
	o.Registry = &cfg.Registry
	o.Location = cfg.Location()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var allPeriods = []reading.Period{reading.RealTime, reading.Minute, reading.Hour, reading.Day}

func TestDeterministic(t *testing.T) {
	cfg := sampleConfig(t)
	loc := cfg.Location()
	ep := time.Date(2024, 1, 10, 8, 0, 0, 0, loc)
	o := Options{Seed: 42, EpisodeStart: ep, ExtraStations: 5, Faults: DefaultFaults(&cfg.Registry, ep)}
	a, b := newSim(t, cfg, o), newSim(t, cfg, o)
	o.Seed = 43
	other := newSim(t, cfg, o)
	times := []time.Time{
		time.Date(2024, 1, 12, 7, 13, 21, 500e6, loc),
		time.Date(2023, 7, 1, 15, 0, 0, 0, loc),
		ep.Add(5 * time.Hour),
	}
	// b generates the times in reverse: the output must not depend on what came before.
	for i := range times {
		for _, p := range allPeriods {
			ma := a.Messages(times[i], p)
			b.Messages(times[len(times)-1-i], p) // advance b's state out of order first
			mb := b.Messages(times[i], p)
			if len(ma) != len(mb) {
				t.Fatalf("%s %s: %d vs %d messages", times[i], p, len(ma), len(mb))
			}
			for j := range ma {
				if ma[j].Topic != mb[j].Topic || !bytes.Equal(ma[j].Payload, mb[j].Payload) {
					t.Fatalf("same seed, different output:\n%s %s\n%s %s", ma[j].Topic, ma[j].Payload, mb[j].Topic, mb[j].Payload)
				}
			}
			mo := other.Messages(times[i], p)
			if bytes.Equal(ma[0].Payload, mo[0].Payload) {
				t.Errorf("%s %s: seeds 42 and 43 gave the same reading %s", times[i], p, ma[0].Payload)
			}
		}
	}
}

// TestPayloadsValidate runs every payload through the collector's decoder and checker.
func TestPayloadsValidate(t *testing.T) {
	cfg := sampleConfig(t)
	loc := cfg.Location()
	ep := time.Date(2024, 1, 10, 8, 0, 0, 0, loc)
	const extra = 3
	s := newSim(t, cfg, Options{Seed: 7, EpisodeStart: ep, ExtraStations: extra, Faults: DefaultFaults(&cfg.Registry, ep)})
	outlets := 0
	for _, src := range cfg.Sources {
		outlets += len(src.Outlets)
	}
	var times []time.Time
	for d := 0; d < 365; d += 17 {
		times = append(times, time.Date(2023, 1, 1, 0, 0, 0, 0, loc).Add(time.Duration(d)*24*time.Hour+time.Duration(d%24)*time.Hour+1234*time.Millisecond))
	}
	for h := -6; h < 100; h += 3 { // the episode and every fault window
		times = append(times, ep.Add(time.Duration(h)*time.Hour+17*time.Second))
	}
	times = append(times, time.Date(2023, 3, 5, 3, 20, 0, 0, loc)) // a calibration hour
	seen := map[string]int{}
	checked := 0
	for _, tm := range times {
		for _, p := range allPeriods {
			msgs := s.Messages(tm, p)
			stamp := s.PeriodStart(tm, p)
			chk := validate.Checker{Registry: &cfg.Registry, AcceptUnknown: true, MaxFuture: 10 * time.Minute,
				MaxAge: 90 * 24 * time.Hour, Now: func() time.Time { return stamp.Add(48 * time.Hour) }}
			silent := 0
			for _, f := range s.outlets {
				if f.silent(s.evalMid(stamp, p)) {
					silent++
				}
			}
			if want := len(cfg.Stations) + extra + outlets - silent; len(msgs) != want {
				t.Fatalf("%s %s: %d messages, want %d", tm, p, len(msgs), want)
			}
			topics := map[string]bool{}
			for _, m := range msgs {
				if topics[m.Topic] {
					t.Fatalf("%s %s: topic %s twice in one tick", tm, p, m.Topic)
				}
				topics[m.Topic] = true
				var r reading.Reading
				var err error
				parts := strings.Split(m.Topic, "/")
				switch {
				case parts[0] == "air" && len(parts) == 2:
					r, err = jsonreading.DecodeAir(parts[1], m.Payload)
				case parts[0] == "source" && len(parts) == 3:
					r, err = jsonreading.DecodeSource(parts[1], parts[2], m.Payload)
				default:
					t.Fatalf("bad topic %q", m.Topic)
				}
				if err != nil {
					t.Fatalf("%s: %v\n%s", m.Topic, err, m.Payload)
				}
				acc, err := chk.Check(r)
				if err != nil {
					t.Fatalf("%s: %v\n%s", m.Topic, err, m.Payload)
				}
				if !r.Time.Equal(stamp) || r.Period != p {
					t.Fatalf("%s: time %s period %s, want %s %s", m.Topic, r.Time, r.Period, stamp, p)
				}
				if acc.Unregistered != strings.HasPrefix(m.Topic, "air/sim-") {
					t.Fatalf("%s: unregistered = %v", m.Topic, acc.Unregistered)
				}
				for _, v := range r.Values {
					if v.Flag != reading.FlagNone {
						seen["flag "+v.Flag.String()]++
					}
				}
				seen[parts[0]]++
				checked++
			}
		}
	}
	if seen["flag C"] == 0 {
		t.Error("no calibration flags were generated")
	}
	t.Logf("%d payloads decoded and accepted: %v", checked, seen)
}

// evalMid is the instant whose fault state decides a reading of period p starting at t.
func (s *Simulator) evalMid(t time.Time, p reading.Period) time.Time {
	pts, _ := s.evalPoints(t, p)
	return pts[len(pts)/2]
}

// yearOfPM25 returns the mean PM2.5 per area, the heating-season and summer means of
// changji, and the mean PM10/PM2.5 ratio, over 2023 sampled every 5 hours (all hours of day).
func yearOfPM25(s *Simulator) (means map[string]float64, heating, summer, ratio float64) {
	loc := s.loc
	start := time.Date(2023, 1, 1, 0, 30, 0, 0, loc)
	sum, n := map[string]float64{}, map[string]float64{}
	var hs, hn, ss, sn, rs, rn float64
	for h := 0; h < 8760; h += 5 {
		c := s.clockAt(start.Add(time.Duration(h) * time.Hour))
		states := map[*areaModel]areaState{}
		for _, st := range s.stations {
			as, ok := states[st.area]
			if !ok {
				as = s.areaAt(st.area, c)
				states[st.area] = as
			}
			v := s.stationAt(st, as, 0)
			sum[st.area.id] += v.pm25
			n[st.area.id]++
			rs += v.pm10 / v.pm25
			rn++
			if st.area.id == "changji" {
				switch {
				case c.heat > 0.99:
					hs, hn = hs+v.pm25, hn+1
				case c.heat < 0.01:
					ss, sn = ss+v.pm25, sn+1
				}
			}
		}
	}
	means = map[string]float64{}
	for id := range sum {
		means[id] = sum[id] / n[id]
	}
	return means, hs / hn, ss / sn, rs / rn
}

func TestAnnualMeansNearPlan(t *testing.T) {
	cfg := sampleConfig(t)
	for _, seed := range []int64{1, 2} {
		s := newSim(t, cfg, Options{Seed: seed})
		means, heating, summer, ratio := yearOfPM25(s)
		for _, tg := range cfg.Targets {
			got := means[tg.Area]
			if math.Abs(got-tg.PM25In17) > 0.2*tg.PM25In17 {
				t.Errorf("seed %d: %s annual PM2.5 %.1f, plan's 2017 figure %.0f (want within ±20%%)", seed, tg.Area, got, tg.PM25In17)
			}
		}
		for park, host := range map[string]string{"changji-hitech": "changji", "changji-agri": "changji", "zhundong": "jimsar"} {
			if r := means[park] / means[host]; r < 0.75 || r > 1.3 {
				t.Errorf("seed %d: park %s %.1f vs host %s %.1f", seed, park, means[park], host, means[host])
			}
		}
		if heating < 3*summer {
			t.Errorf("seed %d: changji heating-season PM2.5 %.0f is not well above the summer's %.0f", seed, heating, summer)
		}
		if ratio < 1.55 || ratio > 2.05 {
			t.Errorf("seed %d: mean PM10/PM2.5 ratio %.2f, want 1.6-2", seed, ratio)
		}
		t.Logf("seed %d: %v; changji heating %.0f summer %.0f; PM10/PM2.5 %.2f", seed, means, heating, summer, ratio)
	}
}

func TestDiurnalShapes(t *testing.T) {
	cfg := sampleConfig(t)
	s := newSim(t, cfg, Options{Seed: 3})
	meanAt := func(month time.Month, hour int, field func(airValues) float64) float64 {
		sum, n := 0.0, 0.0
		for d := 1; d <= 28; d++ {
			c := s.clockAt(time.Date(2023, month, d, hour, 30, 0, 0, s.loc))
			for _, st := range s.stations {
				if st.area.id == "changji" {
					sum += field(s.stationAt(st, s.areaAt(st.area, c), 0))
					n++
				}
			}
		}
		return sum / n
	}
	pm := func(v airValues) float64 { return v.pm25 }
	o3 := func(v airValues) float64 { return v.o3 }
	night, noon, evening := meanAt(time.January, 0, pm), meanAt(time.January, 11, pm), meanAt(time.January, 17, pm)
	if !(night > evening*1.3 && noon > evening*1.3) {
		t.Errorf("winter PM2.5 by hour 00:%.0f 11:%.0f 17:%.0f: want night and late-morning peaks over the afternoon", night, noon, evening)
	}
	if a, m := meanAt(time.July, 17, o3), meanAt(time.July, 6, o3); a < 1.5*m {
		t.Errorf("summer O3 17:00 %.0f vs 06:00 %.0f: want an afternoon peak", a, m)
	}
	if s, w := meanAt(time.July, 17, o3), meanAt(time.January, 17, o3); s < 1.8*w {
		t.Errorf("O3 July %.0f vs January %.0f: want a summer maximum", s, w)
	}
}

func TestEpisodeBuildsUpInKeyArea(t *testing.T) {
	cfg := sampleConfig(t)
	for _, start := range []time.Time{
		time.Date(2024, 1, 10, 8, 0, 0, 0, cfg.Location()),
		time.Date(2023, 11, 20, 0, 0, 0, 0, cfg.Location()),
		time.Date(2023, 7, 1, 12, 0, 0, 0, cfg.Location()), // even in summer, when the demo may run
	} {
		s := newSim(t, cfg, Options{Seed: 11, EpisodeStart: start})
		// Daily means of the wcs stations' PM2.5 through the episode.
		keyArea := func(from time.Time, hours int) (wcs, east float64) {
			var ws, wn, es, en float64
			for h := 0; h < hours; h++ {
				c := s.clockAt(from.Add(time.Duration(h)*time.Hour + 30*time.Minute))
				for _, st := range s.stations {
					v := s.stationAt(st, s.areaAt(st.area, c), 0)
					if len(cfg.RegionsOf(st.area.id)) > 0 {
						ws, wn = ws+v.pm25, wn+1
					} else {
						es, en = es+v.pm25, en+1
					}
				}
			}
			return ws / wn, es / en
		}
		before, _ := keyArea(start.Add(-24*time.Hour), 24)
		day1, _ := keyArea(start, 24)
		day2, _ := keyArea(start.Add(24*time.Hour), 24)
		day3, _ := keyArea(start.Add(48*time.Hour), 24)
		peak, eastPeak := keyArea(EpisodePeak(start).Add(-6*time.Hour), 12)
		after, _ := keyArea(start.Add(episodeBuild+episodePeak+episodeClear+6*time.Hour), 12)
		t.Logf("%s: before %.0f, days 1-3 %.0f %.0f %.0f, peak %.0f (east %.0f), after %.0f", start.Format("2006-01-02"), before, day1, day2, day3, peak, eastPeak, after)
		if !(day1 < day2 && day2 < day3 && day3 < peak) {
			t.Errorf("%s: the episode does not build up: %.0f %.0f %.0f %.0f", start, day1, day2, day3, peak)
		}
		if peak < 250 || peak > 350 {
			t.Errorf("%s: key-area PM2.5 at the peak %.0f, want 250-350", start, peak)
		}
		if after > peak/2 {
			t.Errorf("%s: PM2.5 %.0f after the cold front, peak %.0f", start, after, peak)
		}
		if eastPeak > peak*0.6 {
			t.Errorf("%s: the eastern counties (%.0f) are hit as hard as the key area (%.0f)", start, eastPeak, peak)
		}
	}
}

func decodeSource(t *testing.T, msgs []Message, topic string) map[string]float64 {
	t.Helper()
	for _, m := range msgs {
		if m.Topic == topic {
			var v map[string]any
			if err := json.Unmarshal(m.Payload, &v); err != nil {
				t.Fatal(err)
			}
			out := map[string]float64{}
			for k, x := range v {
				if f, ok := x.(float64); ok {
					out[k] = f
				}
			}
			return out
		}
	}
	return nil
}

func TestFaults(t *testing.T) {
	cfg := sampleConfig(t)
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, cfg.Location())
	plan := DefaultFaults(&cfg.Registry, start)
	if len(plan) != 4 {
		t.Fatalf("default plan %+v, want 4 faults", plan)
	}
	kinds := map[FaultKind]Fault{}
	for _, f := range plan {
		kinds[f.Kind] = f
	}
	s := newSim(t, cfg, Options{Seed: 5, Faults: plan})
	clean := newSim(t, cfg, Options{Seed: 5})
	topic := func(f Fault) string { return "source/" + f.Source + "/" + f.Outlet }
	limit := func(f Fault, field string) float64 {
		ref, _ := cfg.Outlet(f.Source, f.Outlet)
		return ref.Outlet.Limits[field]
	}

	ex := kinds[FaultExceedance]
	for h := 0; h < 10; h++ {
		tm := start.Add(time.Duration(h) * time.Hour)
		v := decodeSource(t, s.Messages(tm, reading.Hour), topic(ex))
		over := v["nox_zs"] > limit(ex, "nox")
		if want := h >= 2 && h < 6; over != want {
			t.Errorf("exceedance at +%dh: nox_zs %.1f (limit %.0f), want over the limit: %v", h, v["nox_zs"], limit(ex, "nox"), want)
		}
	}
	si := kinds[FaultSilent]
	if decodeSource(t, s.Messages(start, reading.RealTime), topic(si)) == nil {
		t.Error("silent outlet silent before its fault")
	}
	if decodeSource(t, s.Messages(start.Add(90*time.Minute), reading.RealTime), topic(si)) != nil {
		t.Error("silent outlet still publishing")
	}
	fl := kinds[FaultFlatLine]
	var flat []float64
	for m := 60; m < 300; m += 7 {
		v := decodeSource(t, s.Messages(start.Add(time.Duration(m)*time.Minute), reading.RealTime), topic(fl))
		flat = append(flat, v[fl.Field])
	}
	for _, x := range flat {
		if x != flat[0] {
			t.Fatalf("flat-lined %s varies: %v", fl.Field, flat)
		}
	}
	di := kinds[FaultDilution]
	for _, h := range []int{4, 8, 30} {
		tm := start.Add(time.Duration(h) * time.Hour)
		v := decodeSource(t, s.Messages(tm, reading.Hour), topic(di))
		n := decodeSource(t, clean.Messages(tm, reading.Hour), topic(di))
		if v["o2"] < 19 || v["o2"] > 20.5 || v["nox"] > n["nox"]/3 {
			t.Errorf("diluted stack at +%dh: o2 %.2f nox %.2f (undiluted o2 %.2f nox %.2f)", h, v["o2"], v["nox"], n["o2"], n["nox"])
		}
	}
	// Every other outlet stays below its limits all day.
	for h := 0; h < 48; h++ {
		for _, m := range clean.Messages(start.Add(time.Duration(h)*time.Hour), reading.Hour) {
			if !strings.HasPrefix(m.Topic, "source/") {
				continue
			}
			parts := strings.Split(m.Topic, "/")
			ref, _ := cfg.Outlet(parts[1], parts[2])
			v := decodeSource(t, []Message{m}, m.Topic)
			for field, lim := range ref.Outlet.Limits {
				got := v[field+"_zs"]
				if ref.Outlet.ReferenceO2Pct == 0 {
					got = v[field]
				}
				if got >= lim {
					t.Errorf("%s %s = %.2f at or above its limit %.0f without a fault", m.Topic, field, got, lim)
				}
			}
			if ref.Outlet.ReferenceO2Pct > 0 && (v["o2"] < 2.5 || v["o2"] > 14) {
				t.Errorf("%s o2 %.2f", m.Topic, v["o2"])
			}
		}
	}
}

func TestNewRejectsBadFaults(t *testing.T) {
	cfg := sampleConfig(t)
	for _, f := range []Fault{
		{Kind: FaultSilent, Source: "nope", Outlet: "x"},
		{Kind: "melt", Source: "cj-power-1", Outlet: "unit-1"},
		{Kind: FaultExceedance, Source: "gx-chem-1", Outlet: "voc-1", Field: "nox"},
	} {
		if _, err := New(Options{Registry: &cfg.Registry, Faults: []Fault{f}}); err == nil {
			t.Errorf("fault %+v accepted", f)
		}
	}
	if _, err := New(Options{}); err == nil {
		t.Error("no registry accepted")
	}
	// A registry without sources simulates its stations only.
	reg := &registry.Registry{Areas: registry.DefaultAreas(), Targets: registry.DefaultTargets()}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Registry: reg, ExtraStations: 2, Faults: DefaultFaults(reg, time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Messages(time.Now(), reading.RealTime)); n != 2 {
		t.Errorf("%d messages from 2 synthetic stations", n)
	}
}
