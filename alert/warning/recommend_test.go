package warning

import (
	"strings"
	"testing"

	"lantian/ingest/registry"
)

// forecast is a daily forecast from day0 without padding.
func forecast(vals ...int) []DayAQI {
	out := make([]DayAQI, len(vals))
	for i, v := range vals {
		out[i] = DayAQI{Date: day0.AddDays(i), AQI: v}
	}
	return out
}

// observed are the days before day0, ending the day before it.
func observed(vals ...int) []DayAQI {
	out := make([]DayAQI, len(vals))
	for i, v := range vals {
		out[i] = DayAQI{Date: day0.AddDays(i - len(vals)), AQI: v}
	}
	return out
}

func TestRecommendActions(t *testing.T) {
	s := Scheme2024()
	cases := []struct {
		name      string
		in        Input
		current   Level
		action    Action
		level     Level
		reasonHas string
	}{
		{"nothing", Input{Days: forecast(80, 120, 140)}, None, NoAction, None, "no warning: no condition met"},
		{"issue", Input{Days: forecast(120, 210, 230, 140)}, None, Issue, Orange, "issue to orange: orange (AQI > 200 for ≥ 48 h)"},
		{"upgrade", Input{Days: forecast(230, 250, 320, 260)}, Yellow, Upgrade, Red, "upgrade to red"},
		{"keep", Input{Days: forecast(210, 220, 160, 160)}, Orange, Keep, Orange, "keep orange: orange"},
		{"downgrade", Input{Days: forecast(210, 140, 160, 120)}, Red, Downgrade, Yellow, "downgrade to yellow"},
		{"keep until lift rule met", Input{Days: forecast(160, 120, 180, 120)}, Orange, Keep, Orange,
			"lift rule AQI < 150 for ≥ 36 h not met: forecast starts at AQI 160 (2024-01-10)"},
		{"keep while only 24 h below", Input{Days: forecast(140, 160, 120)}, Orange, Keep, Orange,
			"not met: below 150 for only 24 h, AQI 160 at 2024-01-11"},
		{"lift", Input{Days: forecast(140, 120, 90)}, Orange, Lift, None, "lift: lift rule AQI < 150 for ≥ 36 h met: below 150 for 72 h from 2024-01-10"},
		{"lift before a later episode", Input{Days: forecast(140, 120, 90, 100, 230, 240, 120)}, Yellow, Lift, None,
			"; later: orange episode from 2024-01-14 (in 96 h, beyond the 72 h lead)"},
		{"carried over into an episode due within the lead", Input{Days: forecast(140, 120, 90, 230, 240, 120)}, Yellow, Upgrade, Orange,
			"but a new episode is due within 72 h: carried over instead of lifting"},
		{"not yet: episode beyond the lead", Input{Days: forecast(100, 100, 100, 100, 230, 240)}, None, NoAction, None,
			"no warning: no condition met (forecast peak AQI 100 on 2024-01-10); later: orange episode from 2024-01-14 (in 96 h"},
		{"blue in force, lifted", Input{Days: forecast(100, 100)}, Blue, Lift, None, "lift"},
	}
	for _, c := range cases {
		c.in.Area = "changji"
		r, err := s.Recommend(c.in, c.current)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Action != c.action || r.Level != c.level || r.Current != c.current {
			t.Errorf("%s: %s → %s %s, want %s %s (%s)", c.name, c.current, r.Action, r.Level, c.action, c.level, r.Reason)
		}
		if !strings.Contains(r.Reason, c.reasonHas) {
			t.Errorf("%s: reason %q lacks %q", c.name, r.Reason, c.reasonHas)
		}
		if r.Area != "changji" || r.Scheme != "2024" {
			t.Errorf("%s: area %q scheme %q", c.name, r.Area, r.Scheme)
		}
	}
	if _, err := s.Recommend(Input{Days: forecast(100)}, Level(7)); err == nil {
		t.Error("invalid current level: no error")
	}
}

// TestLead checks the lead time (DefaultLeadHours = 72) at its boundary, by days and hours.
func TestLead(t *testing.T) {
	s := Scheme2024()
	for _, c := range []struct {
		cleanDays int
		want      Action
	}{{2, Issue}, {3, Issue}, {4, NoAction}} {
		r, err := s.Recommend(Input{Area: "x", Days: forecast(cat(rep(100, c.cleanDays), rep(230, 2))...)}, None)
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != c.want || r.Assessment.Level != Orange {
			t.Errorf("episode in %d h: %s (window %s), want %s", c.cleanDays*24, r.Action, r.Assessment.Level, c.want)
		}
		if f := r.Assessment.Findings[0]; f.StartsIn != c.cleanDays*24 || f.Start != day0.AddDays(c.cleanDays).String() {
			t.Errorf("episode start %s in %d h", f.Start, f.StartsIn)
		}
	}
	for _, c := range []struct {
		cleanHours int
		want       Action
	}{{71, Issue}, {72, Issue}, {73, NoAction}} {
		hours := hourSeries(cat(rep(100, c.cleanHours-1), rep(201, 1))...) // the pad counts one clean hour
		r, err := s.Recommend(Input{Area: "x", Hours: hours}, None)
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != c.want {
			t.Errorf("episode in %d h: %s, want %s (%s)", c.cleanHours, r.Action, c.want, r.Reason)
		}
	}
	// An episode already running counts as starting now.
	r, _ := s.Recommend(Input{Area: "x", Observed: observed(230), Days: forecast(230, 100)}, None)
	if r.Action != Issue || r.Due.Findings[0].StartsIn != 0 || r.Due.Findings[0].Start != "2024-01-09" {
		t.Errorf("running episode: %s %+v", r.Action, r.Due.Findings)
	}
	lead := 0
	s0, err := Config{LeadHours: &lead}.Build()
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := s0.Recommend(Input{Area: "x", Days: forecast(100, 230, 230)}, None); r.Action != NoAction {
		t.Errorf("lead 0, episode tomorrow: %s", r.Action)
	}
}

// TestLift checks the Xinjiang lift rule, daily AQI < 150 for ≥ 36 h (自治区 notices 2024-03-02,
// 2025-01-08), at its threshold and duration boundaries, with days (36 h needs two days) and hours.
func TestLift(t *testing.T) {
	s := Scheme2024()
	daily := []struct {
		name string
		vals []int
		met  bool
	}{
		{"149,149", []int{149, 149}, true},
		{"150,149", []int{150, 149}, false},
		{"151,149", []int{151, 149}, false},
		{"149,150", []int{149, 150}, false},
		{"one day below (24 h < 36 h)", []int{149, 180}, false},
		{"two days below (48 h ≥ 36 h)", []int{149, 149, 180}, true},
		{"three days below", []int{149, 149, 149}, true},
		{"forecast of one day only", []int{100}, false},
	}
	for _, c := range daily {
		r, err := s.Recommend(Input{Area: "x", Days: forecast(c.vals...)}, Orange)
		if err != nil {
			t.Fatal(err)
		}
		if r.Lift.Met != c.met || (r.Action == Lift) != c.met {
			t.Errorf("daily %s: met %v action %s, want met %v (%s)", c.name, r.Lift.Met, r.Action, c.met, r.Lift.Text)
		}
		if r.Lift.Series != "daily" || r.Lift.Needed != 48 {
			t.Errorf("daily %s: series %s needed %d", c.name, r.Lift.Series, r.Lift.Needed)
		}
	}
	if r, _ := s.Recommend(Input{Area: "x", Days: forecast(100)}, Orange); !strings.Contains(r.Lift.Text, "covers only 24 h") {
		t.Errorf("short forecast text %q", r.Lift.Text)
	}

	hourly := []struct {
		n   int
		met bool
	}{{35, false}, {36, true}, {37, true}}
	for _, c := range hourly {
		hours := hourSeries(append(rep(149, c.n), 200)...)[1:] // drop the leading pad: start below
		r, err := s.Recommend(Input{Area: "x", Days: forecast(160, 160), Hours: hours}, Orange)
		if err != nil {
			t.Fatal(err)
		}
		if r.Lift.Met != c.met || r.Lift.Series != "hourly" || r.Lift.Hours != c.n {
			t.Errorf("hourly %d h below: %+v, want met %v", c.n, r.Lift, c.met)
		}
	}
	// A scheme that does not grade hours lifts by days.
	s.Hourly = false
	r, _ := s.Recommend(Input{Area: "x", Days: forecast(160, 160), Hours: hourSeries(rep(149, 40)...)[1:]}, Orange)
	if r.Lift.Met || r.Lift.Series != "daily" {
		t.Errorf("hourly off: %+v", r.Lift)
	}
}

// TestObserved: observed days extend an episode running into the forecast, and do not count
// when the episode ended before the forecast.
func TestObserved(t *testing.T) {
	s := Scheme2018()
	r, err := s.Recommend(Input{Area: "x", Observed: observed(250, 260), Days: forecast(240, 120)}, Yellow)
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != Upgrade || r.Level != Orange {
		t.Errorf("running episode: %s %s (%s)", r.Action, r.Level, r.Reason)
	}
	if sp := r.Assessment.Findings[0].Spans[0]; sp.Observed != 2 || sp.Values != 3 || sp.First != "2024-01-08" {
		t.Errorf("span %+v", sp)
	}
	if !strings.Contains(r.Reason, "2 observed") {
		t.Errorf("reason %q", r.Reason)
	}
	// Without the observations the forecast alone is one day > 200: nothing in 2018.
	a, _ := s.Evaluate(Input{Area: "x", Days: forecast(240, 120)})
	if a.Level != None {
		t.Errorf("forecast alone: %s", a.Level)
	}
	// An episode that ended yesterday does not count.
	a, _ = s.Evaluate(Input{Area: "x", Observed: observed(250, 260, 270), Days: forecast(120, 120)})
	if a.Level != None {
		t.Errorf("past episode: %s", a.Level)
	}
	// Observed red days keep a running episode red instead of downgrading it.
	r, _ = Scheme2024().Recommend(Input{Area: "x", Observed: observed(320, 330), Days: forecast(250, 160, 120)}, Red)
	if r.Action != Keep || r.Level != Red {
		t.Errorf("running red: %s %s", r.Action, r.Level)
	}
}

func TestInputErrors(t *testing.T) {
	s := Scheme2024()
	gap := forecast(100, 100, 100)
	gap[2].Date = day0.AddDays(3)
	cases := []struct {
		name string
		in   Input
		want string
	}{
		{"empty", Input{Area: "x"}, "no forecast"},
		{"gap", Input{Area: "x", Days: gap}, "forecast 2024-01-13 follows 2024-01-11: dates must be consecutive"},
		{"negative", Input{Area: "x", Days: forecast(-1)}, "AQI -1 outside 0–500"},
		{"too high", Input{Area: "x", Days: forecast(501)}, "AQI 501 outside 0–500"},
		{"observed not adjacent", Input{Area: "x", Observed: observed(100, 100)[:1], Days: forecast(100)}, "must be consecutive"},
		{"hour gap", Input{Area: "x", Hours: append(hourSeries(100)[:1], hourSeries(100, 100)[2])}, "hours must be consecutive"},
		{"too long", Input{Area: "x", Days: forecast(rep(100, maxDays+1)...)}, "more than 400"},
	}
	for _, c := range cases {
		_, err := s.Recommend(c.in, None)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "area x") {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func wcs(t *testing.T) Region {
	t.Helper()
	reg := &registry.Registry{Areas: registry.DefaultAreas()}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	r, err := RegionFromRegistry(reg, "wcs")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"changji", "nowhere"} {
		if _, err := RegionFromRegistry(reg, id); err == nil {
			t.Errorf("RegionFromRegistry(%s): no error", id)
		}
	}
	return r
}

// TestRegion checks the unified regional warning of the 乌-昌-石 region (昌州环发〔2019〕30号 item 22).
func TestRegion(t *testing.T) {
	r := wcs(t)
	if len(r.Members) != 6 || r.Members[0] != "changji" {
		t.Fatalf("members %v", r.Members)
	}
	s := Scheme2024()
	orange, yellow, clean := forecast(210, 230, 140), forecast(210, 140, 120), forecast(100, 120, 90)
	in := func(vals map[string][]DayAQI) []Input {
		var out []Input
		for _, m := range r.Members {
			if v, ok := vals[m]; ok {
				out = append(out, Input{Area: m, Days: v})
			}
		}
		return out
	}
	levels := func(rr RegionRecommendation) map[string]Level {
		m := map[string]Level{}
		for _, rec := range rr.Members {
			m[rec.Area] = rec.Level
		}
		return m
	}

	// 3 members orange (at the MinAreas boundary): regional orange, applied to every member.
	rr, err := s.RecommendRegion(r, in(map[string][]DayAQI{
		"changji": orange, "fukang": orange, "manas": orange, "hutubi": yellow, "changji-hitech": clean, "changji-agri": clean,
	}), None)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Region.Action != Issue || rr.Region.Level != Orange || rr.Region.Area != "wcs" {
		t.Errorf("regional: %s %s (%s)", rr.Region.Action, rr.Region.Level, rr.Region.Reason)
	}
	if !strings.Contains(rr.Region.Reason, "3 of 6 members meet orange or higher (need 3)") {
		t.Errorf("regional reason %q", rr.Region.Reason)
	}
	if rr.Region.Reduction.VOCs != 20 || rr.Region.Reduction.PooledSO2NOx {
		t.Errorf("regional ratios %+v, want the plan's 20 %% for all four, not pooled", rr.Region.Reduction)
	}
	for _, rec := range rr.Members {
		if rec.Level != Orange || rec.Action != Issue || rec.Reduction.SO2 != 20 {
			t.Errorf("member %s: %s %s %+v", rec.Area, rec.Action, rec.Level, rec.Reduction)
		}
	}
	for _, m := range []string{"hutubi", "changji-agri"} {
		for _, rec := range rr.Members {
			if rec.Area == m && (rec.Region != "wcs" || !strings.Contains(rec.Reason, "regional orange warning for wcs applies")) {
				t.Errorf("%s: region %q reason %q", m, rec.Region, rec.Reason)
			}
		}
	}

	// 2 orange + 1 yellow (one below the boundary for orange): regional yellow; the orange
	// members keep their stricter level.
	rr, err = s.RecommendRegion(r, in(map[string][]DayAQI{
		"changji": orange, "fukang": orange, "manas": yellow, "hutubi": clean, "changji-hitech": clean,
	}), None)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Region.Level != Yellow {
		t.Errorf("regional %s, want yellow", rr.Region.Level)
	}
	got := levels(rr)
	want := map[string]Level{"changji": Orange, "fukang": Orange, "manas": Yellow, "hutubi": Yellow, "changji-hitech": Yellow}
	for m, l := range want {
		if got[m] != l {
			t.Errorf("member %s: %s, want %s", m, got[m], l)
		}
	}
	if len(rr.Missing) != 1 || rr.Missing[0] != "changji-agri" || !strings.Contains(rr.Region.Reason, "no forecast for changji-agri") {
		t.Errorf("missing %v, reason %q", rr.Missing, rr.Region.Reason)
	}

	// 2 members at a level (below the boundary): no regional warning; members warn on their own.
	rr, _ = s.RecommendRegion(r, in(map[string][]DayAQI{"changji": orange, "fukang": orange, "manas": clean}), None)
	if rr.Region.Action != NoAction || levels(rr)["changji"] != Orange || levels(rr)["manas"] != None {
		t.Errorf("below boundary: %s, members %v", rr.Region.Action, levels(rr))
	}
	// MinAreas configurable: all members.
	all := r
	all.MinAreas = 6
	rr, _ = s.RecommendRegion(all, in(map[string][]DayAQI{"changji": orange, "fukang": orange, "manas": orange, "hutubi": orange, "changji-hitech": orange}), None)
	if rr.Region.Level != None {
		t.Errorf("min_areas 6 with 5 orange: %s", rr.Region.Level)
	}

	// Lifting: 3 members meet the lift rule → regional lift; members whose own forecast meets no
	// level lift with it; a member still meeting a level keeps its own.
	lifting, lingering := forecast(140, 120, 90), forecast(160, 140, 160)
	rr, err = s.RecommendRegion(r, in(map[string][]DayAQI{
		"changji": lifting, "fukang": lifting, "manas": lifting, "hutubi": lingering, "changji-hitech": yellow,
	}), Orange)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Region.Action != Lift || !strings.Contains(rr.Region.Reason, "3 of 6 members meet the lift rule") {
		t.Errorf("regional lift: %s (%s)", rr.Region.Action, rr.Region.Reason)
	}
	acts := map[string]Action{}
	for _, rec := range rr.Members {
		acts[rec.Area] = rec.Action
	}
	if acts["changji"] != Lift || acts["hutubi"] != Lift || acts["changji-hitech"] != Downgrade {
		t.Errorf("member actions after regional lift: %v", acts)
	}
	// Only 2 members meet it → keep.
	rr, _ = s.RecommendRegion(r, in(map[string][]DayAQI{
		"changji": lifting, "fukang": lifting, "manas": lingering, "hutubi": lingering,
	}), Orange)
	if rr.Region.Action != Keep || rr.Region.Level != Orange {
		t.Errorf("2 of 6 lifting: %s %s (%s)", rr.Region.Action, rr.Region.Level, rr.Region.Reason)
	}
	for _, rec := range rr.Members {
		if rec.Level != Orange {
			t.Errorf("member %s under a kept regional orange: %s", rec.Area, rec.Level)
		}
	}

	// Bad input.
	if _, err := s.RecommendRegion(r, []Input{{Area: "qitai", Days: clean}}, None); err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Errorf("non-member: %v", err)
	}
	if _, err := s.RecommendRegion(r, []Input{{Area: "fukang", Days: clean}, {Area: "fukang", Days: clean}}, None); err == nil {
		t.Error("duplicate member: no error")
	}
	if _, err := s.RecommendRegion(r, []Input{{Area: "fukang"}}, None); err == nil || !strings.Contains(err.Error(), "region wcs: area fukang") {
		t.Errorf("empty member forecast: %v", err)
	}
	if _, err := s.RecommendRegion(Region{}, nil, None); err == nil {
		t.Error("empty region: no error")
	}
}
