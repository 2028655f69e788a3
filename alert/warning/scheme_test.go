package warning

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"lantian/alert/aqi"
)

var day0 = aqi.Date{Year: 2024, Month: time.January, Day: 10}

// padded builds a daily forecast from day0, with a clean day (AQI 50) before and after the
// values so that runs never touch the ends of the window.
func padded(vals ...int) []DayAQI {
	all := append(append([]int{50}, vals...), 50)
	out := make([]DayAQI, len(all))
	for i, v := range all {
		out[i] = DayAQI{Date: day0.AddDays(i), AQI: v}
	}
	return out
}

// rep returns n copies of v.
func rep(v, n int) []int { return slices.Repeat([]int{v}, n) }

// cat joins value runs.
func cat(runs ...[]int) []int { return slices.Concat(runs...) }

type gradeCase struct {
	name string
	vals []int
	want Level
}

func checkGrades(t *testing.T, s Scheme, cases []gradeCase) {
	t.Helper()
	for _, c := range cases {
		a, err := s.Evaluate(Input{Area: "x", Days: padded(c.vals...)})
		if err != nil {
			t.Errorf("%s %s: %v", s.Name, c.name, err)
			continue
		}
		if a.Level != c.want {
			t.Errorf("%s %s %v: level %s, want %s (%s)", s.Name, c.name, c.vals, a.Level, c.want, a.Reason())
		}
		if (a.Level == None) != (len(a.Findings) == 0) {
			t.Errorf("%s %s: level %s with %d findings", s.Name, c.name, a.Level, len(a.Findings))
		}
	}
}

// TestScheme2024 checks every threshold and duration of 环大气〔2024〕6号 (released 2024-01-23):
// one below, at and one above each.
func TestScheme2024(t *testing.T) {
	checkGrades(t, Scheme2024(), []gradeCase{
		// yellow: > 200 (one day)
		{"yellow >200: 199", []int{199}, None},
		{"yellow >200: 200", []int{200}, None},
		{"yellow >200: 201", []int{201}, Yellow},
		// yellow: > 150 for ≥ 48 h — threshold
		{"yellow >150 48h: 149×2", rep(149, 2), None},
		{"yellow >150 48h: 150×2", rep(150, 2), None},
		{"yellow >150 48h: 151×2", rep(151, 2), Yellow},
		// … and duration (3 days is orange by > 150 for 72 h)
		{"yellow >150 48h: 1 day", rep(151, 1), None},
		{"yellow >150 48h: 2 days", rep(151, 2), Yellow},
		{"yellow >150 48h: 3 days", rep(151, 3), Orange},
		{"yellow >150 48h: broken run", []int{151, 100, 151}, None},
		// orange: > 200 for ≥ 48 h — threshold (200×2 is still > 150 for 48 h: yellow)
		{"orange >200 48h: 199×2", rep(199, 2), Yellow},
		{"orange >200 48h: 200×2", rep(200, 2), Yellow},
		{"orange >200 48h: 201×2", rep(201, 2), Orange},
		// … and duration
		{"orange >200 48h: 1 day", rep(201, 1), Yellow},
		{"orange >200 48h: 2 days", rep(201, 2), Orange},
		{"orange >200 48h: 3 days", rep(201, 3), Orange},
		// orange: > 150 for ≥ 72 h
		{"orange >150 72h: 150×3", rep(150, 3), None},
		{"orange >150 72h: 151×3", rep(151, 3), Orange},
		{"orange >150 72h: 2 days", rep(151, 2), Yellow},
		{"orange >150 72h: 4 days", rep(151, 4), Orange},
		// red: > 200 for ≥ 72 h and > 300 for ≥ 24 h — thresholds
		{"red: 200,200,301", []int{200, 200, 301}, Orange}, // > 150 for 72 h, but only 1 day > 200
		{"red: 201,201,300", []int{201, 201, 300}, Orange},
		{"red: 201,201,301", []int{201, 201, 301}, Red},
		{"red: 202,202,302", []int{202, 202, 302}, Red},
		// … durations of the > 200 part
		{"red: 2 days >200 with 301", []int{201, 301}, Orange},
		{"red: 3 days >200 with 301", []int{201, 301, 201}, Red},
		{"red: 4 days >200 with 301", []int{201, 301, 201, 201}, Red},
		// … the > 300 part: 0, 1, 2 days
		{"red: no day >300", rep(250, 5), Orange},
		{"red: 1 day >300", cat(rep(250, 2), []int{301}), Red},
		{"red: 2 days >300", cat(rep(250, 1), rep(301, 2)), Red},
		// both terms must hold in one episode
		{"red: separate episodes", []int{201, 201, 201, 100, 301}, Orange},
		{"no 500 clause in 2024", []int{500}, Yellow},
		{"clean", rep(100, 5), None},
	})
}

// TestScheme2018 checks the three-level scheme of the 2019–2021 city plans.
func TestScheme2018(t *testing.T) {
	checkGrades(t, Scheme2018(), []gradeCase{
		// yellow: > 200 for ≥ 48 h
		{"yellow: 199×2", rep(199, 2), None},
		{"yellow: 200×2", rep(200, 2), None},
		{"yellow: 201×2", rep(201, 2), Yellow},
		{"yellow: 1 day", rep(201, 1), None},
		{"yellow: 2 days", rep(201, 2), Yellow},
		{"yellow: 2 days broken", []int{201, 200, 201}, None},
		// orange: > 200 for ≥ 72 h
		{"orange: 200×3", rep(200, 3), None},
		{"orange: 201×3", rep(201, 3), Orange},
		{"orange: 2 days", rep(201, 2), Yellow},
		{"orange: 3 days", rep(201, 3), Orange},
		{"orange: 4 days", rep(201, 4), Orange},
		// red: > 200 for ≥ 96 h and > 300 for ≥ 48 h
		{"red: 300×2 in 4 days", []int{201, 300, 300, 201}, Orange},
		{"red: 301×2 in 4 days", []int{201, 301, 301, 201}, Red},
		{"red: >200 3 days", []int{201, 301, 301}, Orange},
		{"red: >200 4 days", []int{201, 301, 301, 201}, Red},
		{"red: >200 5 days", []int{201, 301, 301, 201, 201}, Red},
		{"red: >300 1 day", []int{201, 201, 301, 201}, Orange},
		{"red: >300 2 days", []int{201, 201, 301, 301}, Red},
		{"red: >300 3 days", []int{201, 301, 301, 301}, Red},
		{"red: >300 2 days not consecutive", []int{201, 301, 201, 301}, Orange},
		// red: forecast AQI reaching 500
		{"red ≥500: 499", []int{499}, None},
		{"red ≥500: 500", []int{500}, Red},
		{"red ≥500: 499×2", rep(499, 2), Yellow},
	})
}

// TestScheme2017 checks the four-level scheme of 环大气〔2017〕86号.
func TestScheme2017(t *testing.T) {
	checkGrades(t, Scheme2017(), []gradeCase{
		{"blue: 200", []int{200}, None},
		{"blue: 201", []int{201}, Blue},
		{"yellow: 1 day", rep(201, 1), Blue},
		{"yellow: 2 days", rep(201, 2), Yellow},
		{"yellow: 3 days, none > 300", rep(201, 3), Yellow},
		{"orange: 3 days with 300", []int{201, 201, 300}, Yellow},
		{"orange: 3 days with 301", []int{201, 201, 301}, Orange},
		{"orange: 2 days with 301", []int{201, 301}, Yellow},
		{"orange: 4 days with 301", []int{201, 201, 201, 301}, Orange},
		{"red: 4 days with 2×301", []int{201, 201, 301, 301}, Red},
		{"red: 3 days with 2×301", []int{201, 301, 301}, Orange},
		{"red: 4 days with 2×300", []int{201, 201, 300, 300}, Yellow},
		{"red ≥500: 499", []int{499}, Blue},
		{"red ≥500: 500", []int{500}, Red},
	})
}

// hourSeries is an hourly rolling-24h forecast starting at midnight of day0 with 50s around.
func hourSeries(vals ...int) []HourAQI {
	all := append(append([]int{50}, vals...), 50)
	start := day0.Start(time.FixedZone("CST", 8*3600))
	out := make([]HourAQI, len(all))
	for i, v := range all {
		out[i] = HourAQI{Start: start.Add(time.Duration(i) * time.Hour), AQI: v}
	}
	return out
}

// TestHourly checks the durations in hours on a rolling-24h series ("lasting ≥ 48 h" is 48
// consecutive rolling values above the threshold; docs/warnings.md, "The schemes").
func TestHourly(t *testing.T) {
	s := Scheme2024()
	cases := []struct {
		name string
		vals []int
		want Level
	}{
		{"one value 200", []int{200}, None},
		{"one value 201", []int{201}, Yellow},
		{">150 47 h", rep(151, 47), None},
		{">150 48 h", rep(151, 48), Yellow},
		{">150 49 h", rep(151, 49), Yellow},
		{">150 71 h", rep(151, 71), Yellow},
		{">150 72 h", rep(151, 72), Orange},
		{">200 47 h", rep(201, 47), Yellow},
		{">200 48 h", rep(201, 48), Orange},
		{"red: >300 23 h", cat(rep(201, 49), rep(301, 23)), Orange},
		{"red: >300 24 h", cat(rep(201, 48), rep(301, 24)), Red},
		{"red: >300 25 h", cat(rep(201, 47), rep(301, 25)), Red},
		{"red: >200 71 h", cat(rep(201, 47), rep(301, 24)), Orange},
	}
	for _, c := range cases {
		a, err := s.Evaluate(Input{Area: "x", Hours: hourSeries(c.vals...)})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if a.Level != c.want {
			t.Errorf("%s: %s, want %s (%s)", c.name, a.Level, c.want, a.Reason())
		}
	}

	// Hourly and daily together: the higher level wins, and the reason says which series.
	a, err := s.Evaluate(Input{Area: "x", Days: padded(120, 140), Hours: hourSeries(rep(201, 48)...)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Level != Orange || a.Findings[0].Spans[0].Series != "hourly" || a.Findings[0].Spans[0].Hours != 48 {
		t.Errorf("daily+hourly: %s %+v", a.Level, a.Findings)
	}
	if !strings.Contains(a.Reason(), "for 48 h 2024-01-10T01:00..2024-01-12T00:00 (rolling 24 h)") {
		t.Errorf("reason %q", a.Reason())
	}

	// A scheme that does not grade hourly values ignores them.
	s.Hourly = false
	a, err = s.Evaluate(Input{Area: "x", Days: padded(120, 140), Hours: hourSeries(rep(201, 48)...)})
	if err != nil || a.Level != None {
		t.Errorf("hourly off: %s, %v", a.Level, err)
	}
	if _, err := s.Evaluate(Input{Area: "x", Hours: hourSeries(201)}); err == nil {
		t.Error("hourly-only forecast with an hourly-off scheme: no error")
	}
}

// TestFindings checks that the reason names the clause and where each term was met.
func TestFindings(t *testing.T) {
	a, err := Scheme2024().Evaluate(Input{Area: "changji", Days: padded(180, 240, 320, 260, 120)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Level != Red || len(a.Findings) != 3 {
		t.Fatalf("level %s, %d findings", a.Level, len(a.Findings))
	}
	want := []Span{
		{Term: Term{AQI: 200, Hours: 72}, Series: "daily", First: "2024-01-12", Last: "2024-01-14", Values: 3, Hours: 72, Peak: 320},
		{Term: Term{AQI: 300, Hours: 24}, Series: "daily", First: "2024-01-13", Last: "2024-01-13", Values: 1, Hours: 24, Peak: 320},
	}
	if !reflect.DeepEqual(a.Findings[0].Spans, want) {
		t.Errorf("red spans\n got %+v\nwant %+v", a.Findings[0].Spans, want)
	}
	if got := []Level{a.Findings[0].Level, a.Findings[1].Level, a.Findings[2].Level}; !slices.Equal(got, []Level{Red, Orange, Yellow}) {
		t.Errorf("finding levels %v", got)
	}
	const reason = "red (AQI > 200 for ≥ 72 h and AQI > 300 for ≥ 24 h): AQI > 200 on 3 days 2024-01-12..2024-01-14, peak 320; AQI > 300 on 2024-01-13, peak 320"
	if a.Reason() != reason {
		t.Errorf("reason\n got %s\nwant %s", a.Reason(), reason)
	}
	if !strings.Contains(a.Findings[0].Source, "环大气〔2024〕6号") {
		t.Errorf("source %q", a.Findings[0].Source)
	}
	n, _ := Scheme2024().Evaluate(Input{Area: "x", Days: padded(120, 180)})
	if n.Reason() != "no condition met (forecast peak AQI 180 on 2024-01-12)" {
		t.Errorf("none reason %q", n.Reason())
	}
}

// TestBlue checks the optional blue tiers.
func TestBlue(t *testing.T) {
	b24, err := Config{Scheme: "2024", Blue: true}.Build()
	if err != nil {
		t.Fatal(err)
	}
	checkGrades(t, b24, []gradeCase{
		{"blue >150: 150", []int{150}, None},
		{"blue >150: 151", []int{151}, Blue},
		{"blue >100 48h: 100×2", rep(100, 2), None},
		{"blue >100 48h: 101×1", rep(101, 1), None},
		{"blue >100 48h: 101×2", rep(101, 2), Blue},
		{"blue >100 48h: 101×3", rep(101, 3), Blue},
		{"yellow above blue", []int{201}, Yellow},
	})
	b18, err := Config{Scheme: "2018", Blue: true}.Build()
	if err != nil {
		t.Fatal(err)
	}
	checkGrades(t, b18, []gradeCase{
		{"blue: 200", []int{200}, None},
		{"blue: 201", []int{201}, Blue},
		{"yellow: 201×2", rep(201, 2), Yellow},
	})
	// Without blue, the 2024 scheme never says blue.
	checkGrades(t, Scheme2024(), []gradeCase{{"no blue", []int{151}, None}})
	// The built-in constructors are independent values.
	if _, ok := Scheme2024().Rule(Blue); ok {
		t.Error("building a blue config changed Scheme2024")
	}
	if r, _ := b24.Reduction(Blue); r.VOCs != 0 || r.SO2 != 0 {
		t.Errorf("blue requires reductions: %+v", r)
	}
	// Custom blue clauses.
	bc, err := Config{Scheme: "2018", BlueClauses: []Clause{{{AQI: 180}}}}.Build()
	if err != nil {
		t.Fatal(err)
	}
	checkGrades(t, bc, []gradeCase{{"custom blue 180", []int{180}, None}, {"custom blue 181", []int{181}, Blue}})
}

// TestOverrides checks that local rules, lift rule and ratios are config data.
func TestOverrides(t *testing.T) {
	const cfgJSON = `{
		"scheme": "2024", "name": "changji-local",
		"rules": [{"level": "yellow", "any_of": [[{"aqi": 180, "hours": 48}]]}],
		"lift": {"below": 100, "hours": 24},
		"reductions": [{"level": "orange", "so2": 25, "nox": 25, "pm": 25, "vocs": 20}]
	}`
	var c Config
	if err := json.Unmarshal([]byte(cfgJSON), &c); err != nil {
		t.Fatal(err)
	}
	s, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "changji-local" {
		t.Errorf("name %q", s.Name)
	}
	checkGrades(t, s, []gradeCase{
		{"override yellow: 180×2", rep(180, 2), None},
		{"override yellow: 181×1", rep(181, 1), None},
		{"override yellow: 181×2", rep(181, 2), Yellow},
		{"2024 yellow >200 replaced", []int{201}, None},
		{"orange kept", rep(201, 2), Orange},
	})
	if r, _ := s.Reduction(Orange); r.SO2 != 25 || r.VOCs != 20 {
		t.Errorf("orange ratios %+v", r)
	}
	if r, _ := s.Reduction(Yellow); r.SO2 != 10 {
		t.Errorf("yellow ratios %+v", r)
	}
	rec, err := s.Recommend(Input{Area: "x", Days: []DayAQI{{Date: day0, AQI: 99}}}, Yellow)
	if err != nil || rec.Action != Lift {
		t.Errorf("override lift 24 h below 100: %s %v", rec.Action, err)
	}
	hourlyOff := false
	if s2, _ := (Config{Hourly: &hourlyOff}).Build(); s2.Hourly {
		t.Error("hourly override ignored")
	}

	bad := []struct {
		c    Config
		want string
	}{
		{Config{Scheme: "2019"}, `unknown scheme "2019"`},
		{Config{Rules: []Rule{{Level: Yellow}}}, "needs 1–8 clauses"},
		{Config{Rules: []Rule{{Level: None, AnyOf: []Clause{{{AQI: 1}}}}}}, "level must be blue, yellow, orange or red"},
		{Config{Rules: []Rule{{Level: Red, AnyOf: []Clause{{}}}}}, "needs 1–8 terms"},
		{Config{Rules: []Rule{{Level: Red, AnyOf: []Clause{{{AQI: 600}}}}}}, "AQI 600 outside 0–500"},
		{Config{Rules: []Rule{{Level: Red, AnyOf: []Clause{{{AQI: 300, Hours: -1}}}}}}, "hours -1 outside"},
		{Config{Lift: &LiftRule{Below: 0, Hours: 36}}, "lift: below 0"},
		{Config{Lift: &LiftRule{Below: 150, Hours: 0}}, "lift: hours 0"},
		{Config{Reductions: []Reduction{{Level: Red, SO2: 130}}}, "so2 130% outside 0–100"},
		{Config{ReductionSet: "beijing"}, `unknown reduction_set "beijing"`},
	}
	for _, b := range bad {
		_, err := b.c.Build()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: error %v, want %q", b.c, err, b.want)
		}
	}
	if err := (Scheme{Name: "empty", Lift: XinjiangLift()}).Validate(); err == nil || !strings.Contains(err.Error(), "no rule for yellow") {
		t.Errorf("empty scheme: %v", err)
	}
	for _, name := range []string{"2024", "2018", "2017"} {
		s, err := ParseScheme(name)
		if err != nil || s.Validate() != nil {
			t.Errorf("built-in %s: %v %v", name, err, s.Validate())
		}
	}
}

// TestReductions checks the ratios against 昌州环发〔2019〕30号 item 23 and the Xinjiang warnings.
func TestReductions(t *testing.T) {
	type ratios struct{ so2, nox, pm, vocs int }
	cases := []struct {
		set   []Reduction
		level Level
		want  ratios
	}{
		{XinjiangReductions(), Yellow, ratios{10, 10, 10, 10}},
		{XinjiangReductions(), Orange, ratios{20, 20, 20, 15}}, // 2019-12-02, 2021-02-16 notices
		{XinjiangReductions(), Red, ratios{30, 30, 30, 30}},
		{PlanReductions(), Yellow, ratios{10, 10, 10, 10}}, // 昌州环发〔2019〕30号 item 23
		{PlanReductions(), Orange, ratios{20, 20, 20, 20}},
		{PlanReductions(), Red, ratios{30, 30, 30, 30}},
	}
	for _, c := range cases {
		s := Scheme{Reductions: c.set}
		r, ok := s.Reduction(c.level)
		if !ok || (ratios{r.SO2, r.NOx, r.PM, r.VOCs}) != c.want {
			t.Errorf("%s: %+v, want %+v", c.level, r, c.want)
		}
	}
	if r, _ := (Scheme{Reductions: XinjiangReductions()}).Reduction(Orange); !r.PooledSO2NOx {
		t.Error("Xinjiang orange: SO2 and NOx pooled")
	}
	if _, ok := Scheme2024().Reduction(None); ok {
		t.Error("none requires reductions")
	}
	for _, name := range []string{"", "plan"} {
		s, err := Config{ReductionSet: name}.Build()
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := s.Reduction(Orange); r.VOCs != 20 || r.PooledSO2NOx {
			t.Errorf("reduction_set %q: orange %+v, want the plan's 20 %% VOCs, not pooled", name, r)
		}
	}
	for _, name := range []string{"wcs-regional", "xinjiang"} {
		s, err := Config{ReductionSet: name}.Build()
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := s.Reduction(Orange); r.VOCs != 15 || !r.PooledSO2NOx {
			t.Errorf("reduction_set %q: orange %+v, want the announcements' 15 %% VOCs, pooled", name, r)
		}
	}
	if _, err := (Config{ReductionSet: "beijing"}).Build(); err == nil || !strings.Contains(err.Error(), "wcs-regional") {
		t.Errorf("unknown set: %v", err)
	}
	rec, err := Scheme2024().Recommend(Input{Area: "x", Days: padded(201, 201)}, None)
	if err != nil || rec.Level != Orange || rec.Reduction.VOCs != 20 || rec.Reduction.SO2 != 20 {
		t.Errorf("recommendation ratios: %+v %v", rec.Reduction, err)
	}
}

func TestLevelNames(t *testing.T) {
	for _, c := range []struct {
		l            Level
		en, zh, resp string
	}{
		{None, "none", "无预警", ""},
		{Blue, "blue", "蓝色预警", "Ⅳ级"},
		{Yellow, "yellow", "黄色预警", "Ⅲ级"},
		{Orange, "orange", "橙色预警", "Ⅱ级"},
		{Red, "red", "红色预警", "Ⅰ级"},
	} {
		if c.l.String() != c.en || c.l.Chinese() != c.zh || c.l.Response() != c.resp {
			t.Errorf("%d: %s %s %s", c.l, c.l, c.l.Chinese(), c.l.Response())
		}
		for _, s := range []string{c.en, strings.ToUpper(c.en), c.zh} {
			if got, err := ParseLevel(s); err != nil || got != c.l {
				t.Errorf("ParseLevel(%q) = %s, %v", s, got, err)
			}
		}
		b, err := json.Marshal(c.l)
		var back Level
		if err != nil || json.Unmarshal(b, &back) != nil || back != c.l {
			t.Errorf("JSON round trip of %s: %s %v", c.l, b, err)
		}
	}
	if got, err := ParseLevel("橙色"); err != nil || got != Orange {
		t.Errorf("ParseLevel(橙色) = %s, %v", got, err)
	}
	if _, err := ParseLevel("purple"); err == nil {
		t.Error("ParseLevel(purple): no error")
	}
	if Level(9).String() != "level(9)" || Level(9).Chinese() != "" || Level(-1).Valid() {
		t.Error("invalid level names")
	}
	if _, err := json.Marshal(Level(9)); err == nil {
		t.Error("marshal invalid level: no error")
	}
	if Lift.String() != "lift" || Action(42).String() != "action(42)" {
		t.Error("action names")
	}
}
