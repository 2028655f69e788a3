package aqi

import (
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

func c(t testing.TB, s string) Conc {
	t.Helper()
	v, err := ParseConc(s)
	if err != nil {
		t.Fatalf("ParseConc(%q): %v", s, err)
	}
	return v
}

// day builds a Day from "pollutant=value" pairs; keys pm25 pm10 so2 no2 co o3_8h o3_1h.
func day(t testing.TB, spec string) Day {
	t.Helper()
	var d Day
	for _, kv := range strings.Fields(spec) {
		k, v, _ := strings.Cut(kv, "=")
		s := Val(c(t, v))
		switch k {
		case "pm25":
			d.Values[PM25] = s
		case "pm10":
			d.Values[PM10] = s
		case "so2":
			d.Values[SO2] = s
		case "no2":
			d.Values[NO2] = s
		case "co":
			d.Values[CO] = s
		case "o3_8h":
			d.Values[O3] = s
		case "o3_1h":
			d.O3_1h = s
		default:
			t.Fatalf("bad key %q", k)
		}
	}
	return d
}

func hour(t testing.TB, spec string) Hour {
	t.Helper()
	var h Hour
	for _, kv := range strings.Fields(spec) {
		k, v, _ := strings.Cut(kv, "=")
		s := Val(c(t, v))
		switch k {
		case "pm25":
			h.Values[PM25] = s
		case "pm10":
			h.Values[PM10] = s
		case "so2":
			h.Values[SO2] = s
		case "no2":
			h.Values[NO2] = s
		case "co":
			h.Values[CO] = s
		case "o3":
			h.Values[O3] = s
		case "so2_24h":
			h.SO2_24h = s
		default:
			t.Fatalf("bad key %q", k)
		}
	}
	return h
}

// subs renders the valid sub-indices as "label=iaqi ..." in report order.
func subs(r Result) string {
	var b []string
	for _, s := range r.Sub {
		if s.Valid {
			b = append(b, s.Label+"="+itoa(s.IAQI))
		}
	}
	return strings.Join(b, " ")
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// TestWorkedExamples checks ten worked examples (E1–E10, computed independently in exact
// arithmetic and cross-checked with caiyunapp/aqi-hub) and the two aqi-hub documentation checks,
// for both editions.
func TestWorkedExamples(t *testing.T) {
	type want struct {
		subs    string
		aqi     int
		level   Level
		cat     string
		primary string
		over100 string
	}
	tests := []struct {
		name   string
		hourly bool
		in     string
		w2012  *want
		w2026  *want
	}{
		{"E1 all on IAQI 50", false,
			"pm25=35 pm10=50 so2=50 no2=40 co=2 o3_8h=100 o3_1h=160",
			&want{"PM2.5=50 PM10=50 SO2=50 NO2=50 CO=50 O3_8h=50 O3_1h=50", 50, 1, "优", "", ""},
			&want{"PM2.5=50 PM10=50 SO2=50 NO2=50 CO=50 O3=50", 50, 1, "优", "", ""}},
		{"E2 winter smog", false,
			"pm25=180 pm10=240 so2=30 no2=70 co=2.6 o3_8h=40 o3_1h=55",
			&want{"PM2.5=230 PM10=145 SO2=30 NO2=88 CO=65 O3_8h=20 O3_1h=18", 230, 5, "重度污染", "PM2.5", "PM2.5+PM10"},
			&want{"PM2.5=230 PM10=147 SO2=30 NO2=88 CO=65 O3=20", 230, 5, "重度污染", "PM2.5", "PM2.5+PM10"}},
		{"E3 PM2.5 75", false,
			"pm25=75 pm10=100 so2=12 no2=35 co=0.8 o3_8h=60 o3_1h=80",
			&want{"PM2.5=100 PM10=75 SO2=12 NO2=44 CO=20 O3_8h=30 O3_1h=25", 100, 2, "良", "PM2.5", ""},
			&want{"PM2.5=114 PM10=86 SO2=12 NO2=44 CO=20 O3=30", 114, 3, "轻度污染", "PM2.5", "PM2.5"}},
		{"E4 ozone", false,
			"pm25=30 pm10=70 so2=8 no2=90 co=0.6 o3_8h=180 o3_1h=230",
			&want{"PM2.5=43 PM10=60 SO2=8 NO2=105 CO=15 O3_8h=119 O3_1h=115", 119, 3, "轻度污染", "O3_8h", "NO2+O3_8h+O3_1h"},
			&want{"PM2.5=43 PM10=65 SO2=8 NO2=105 CO=15 O3=119", 119, 3, "轻度污染", "O3", "NO2+O3"}},
		{"E5 CO 2.2 rounding trap", false,
			"pm25=20 pm10=40 so2=10 no2=30 co=2.2 o3_8h=60 o3_1h=75",
			&want{"PM2.5=29 PM10=40 SO2=10 NO2=38 CO=55 O3_8h=30 O3_1h=24", 55, 2, "良", "CO", ""},
			&want{"PM2.5=29 PM10=40 SO2=10 NO2=38 CO=55 O3=30", 55, 2, "良", "CO", ""}},
		{"E6 tie", false,
			"pm25=115 pm10=250 so2=20 no2=60 co=1.5 o3_8h=30 o3_1h=45",
			&want{"PM2.5=150 PM10=150 SO2=20 NO2=75 CO=38 O3_8h=15 O3_1h=15", 150, 3, "轻度污染", "PM2.5+PM10", "PM2.5+PM10"},
			&want{"PM2.5=150 PM10=150 SO2=20 NO2=75 CO=38 O3=15", 150, 3, "轻度污染", "PM2.5+PM10", "PM2.5+PM10"}},
		{"E7 dust", false,
			"pm25=400 pm10=550 so2=25 no2=50 co=1.8 o3_8h=50 o3_1h=70",
			&want{"PM2.5=434 PM10=450 SO2=25 NO2=63 CO=45 O3_8h=25 O3_1h=22", 450, 6, "严重污染", "PM10", "PM2.5+PM10"},
			&want{"PM2.5=434 PM10=450 SO2=25 NO2=63 CO=45 O3=25", 450, 6, "严重污染", "PM10", "PM2.5+PM10"}},
		{"E8 O3 8h above 800", false,
			"pm25=40 pm10=80 so2=20 no2=50 co=1.0 o3_8h=850 o3_1h=1100",
			&want{"PM2.5=57 PM10=65 SO2=20 NO2=63 CO=25 O3_1h=450", 450, 6, "严重污染", "O3_1h", "O3_1h"},
			&want{"PM2.5=60 PM10=72 SO2=20 NO2=63 CO=25 O3=300", 300, 5, "重度污染", "O3", "O3"}},
		{"E9 SO2 1h above 800", true,
			"so2=900 so2_24h=400 no2=150 co=3 o3=40 pm25=50 pm10=90",
			&want{"PM2.5=69 PM10=70 SO2=139 NO2=75 CO=30 O3=13", 139, 3, "轻度污染", "SO2", "SO2"},
			&want{"PM2.5=80 PM10=79 SO2=200 NO2=75 CO=30 O3=13", 200, 4, "中度污染", "SO2", "SO2"}},
		{"E10 real-time 2026", true,
			"pm25=90 pm10=130 so2=20 no2=210 co=1.2 o3=50",
			nil,
			&want{"PM2.5=128 PM10=104 SO2=7 NO2=101 CO=12 O3=16", 128, 3, "轻度污染", "PM2.5", "PM2.5+PM10+NO2"}},
		{"aqi-hub unit test hourly", true,
			"pm25=35 pm10=50 so2=150 no2=100 co=5 o3=160",
			&want{"PM2.5=50 PM10=50 SO2=50 NO2=50 CO=50 O3=50", 50, 1, "优", "", ""},
			&want{"PM2.5=50 PM10=50 SO2=50 NO2=50 CO=50 O3=50", 50, 1, "优", "", ""}},
	}
	for _, tt := range tests {
		for _, rw := range []struct {
			r Rules
			w *want
		}{{Rules2012, tt.w2012}, {Rules2026, tt.w2026}} {
			if rw.w == nil {
				continue
			}
			t.Run(tt.name+"/"+rw.r.String(), func(t *testing.T) {
				var res Result
				if tt.hourly {
					res = Hourly(rw.r, hour(t, tt.in))
				} else {
					res = Daily(rw.r, day(t, tt.in))
				}
				w := rw.w
				if got := subs(res); got != w.subs {
					t.Errorf("sub-indices\n got %s\nwant %s", got, w.subs)
				}
				if !res.Published || res.Partial || res.AQI != w.aqi || res.Level != w.level ||
					res.Level.Category() != w.cat || res.PrimaryString() != w.primary ||
					strings.Join(res.Over100, "+") != w.over100 {
					t.Errorf("got AQI %d published %v partial %v level %d %s primary %q over100 %v; want %d %d %s %q %q",
						res.AQI, res.Published, res.Partial, res.Level, res.Level.Category(), res.PrimaryString(), res.Over100,
						w.aqi, w.level, w.cat, w.primary, w.over100)
				}
			})
		}
	}
}

// TestReadmeExample is aqi-hub's README daily example (its README says 155, its code gives 158):
// 158 in both editions. The 2012 daily report also needs O3_1h, which the example lacks, so its AQI is
// partial but published because it is above 100.
func TestReadmeExample(t *testing.T) {
	d := day(t, "pm25=120 pm10=180 so2=65 no2=150 co=1.0 o3_8h=200")
	r26 := Daily(Rules2026, d)
	if got := subs(r26); got != "PM2.5=158 PM10=124 SO2=58 NO2=135 CO=25 O3=137" || r26.AQI != 158 || r26.Partial {
		t.Errorf("2026: %s AQI %d partial %v", got, r26.AQI, r26.Partial)
	}
	r12 := Daily(Rules2012, d)
	if got := subs(r12); got != "PM2.5=158 PM10=115 SO2=58 NO2=135 CO=25 O3_8h=137" || r12.AQI != 158 || !r12.Partial || !r12.Published {
		t.Errorf("2012: %s AQI %d partial %v published %v", got, r12.AQI, r12.Partial, r12.Published)
	}
}

// TestMissingPollutant: HJ 633-2026 §5.3. aqi-hub's daily unit test lacks SO2; its sub-indices
// are all 50, but with a pollutant missing an AQI ≤ 100 is not published.
func TestMissingPollutant(t *testing.T) {
	d := day(t, "pm25=35 pm10=50 no2=40 co=2 o3_8h=100")
	for _, r := range []Rules{Rules2012, Rules2026} {
		res := Daily(r, d)
		if res.Published || !res.Partial || res.Level != 0 || len(res.Primary) != 0 {
			t.Errorf("%v: got published %v partial %v level %d", r, res.Published, res.Partial, res.Level)
		}
		for _, s := range res.Sub {
			if s.Valid && s.IAQI != 50 {
				t.Errorf("%v: %s = %d, want 50", r, s.Label, s.IAQI)
			}
		}
	}
	// Above 100 the partial AQI is published.
	d = day(t, "pm25=150 pm10=50 no2=40 co=2")
	if res := Daily(Rules2026, d); !res.Published || res.AQI != 200 || !res.Partial || res.PrimaryString() != "PM2.5" {
		t.Errorf("partial > 100: %+v", res)
	}
	// Real-time report (2012): no AQI without the hour's PM2.5, however high the rest
	// (TestHourlyMissingPM25 has both editions).
	h := hour(t, "pm10=600 so2=10 no2=10 co=1 o3=10")
	if res := Hourly(Rules2012, h); res.Published {
		t.Errorf("hourly without PM2.5 published AQI %d", res.AQI)
	}
	// 2012 SO2 1h > 800 without a valid 24-h mean: SO2 counts as missing.
	h = hour(t, "pm25=10 pm10=10 so2=900 no2=10 co=1 o3=10")
	if res := Hourly(Rules2012, h); res.Published || !res.Partial {
		t.Errorf("SO2 > 800 without 24-h fallback: %+v", res)
	}
	// 2012 O3 8h > 800 without O3 1h: O3 counts as missing; the rest is ≤ 100.
	d = day(t, "pm25=10 pm10=10 so2=10 no2=10 co=1 o3_8h=900")
	if res := Daily(Rules2012, d); res.Published || !res.Partial {
		t.Errorf("O3 8h > 800 without O3 1h: %+v", res)
	}
	// Nothing valid: nothing published.
	if res := Daily(Rules2026, Day{}); res.Published {
		t.Errorf("empty day published")
	}
}

// refIAQI is an independent big.Rat implementation of HJ 633 §6.2 on an already rounded value.
func refIAQI(bp []int64, c *big.Rat) int {
	for k := 1; k < len(bp); k++ {
		hi := new(big.Rat).SetInt64(bp[k])
		if c.Cmp(hi) > 0 {
			continue
		}
		lo := new(big.Rat).SetInt64(bp[k-1])
		x := new(big.Rat).Sub(c, lo)
		x.Mul(x, big.NewRat(int64(iaqiSteps[k]-iaqiSteps[k-1]), 1))
		x.Quo(x, new(big.Rat).Sub(hi, lo))
		x.Add(x, big.NewRat(int64(iaqiSteps[k-1]), 1))
		q := new(big.Int).Quo(x.Num(), x.Denom())
		if !x.IsInt() {
			q.Add(q, big.NewInt(1))
		}
		return int(q.Int64())
	}
	return -1
}

// TestBreakpoints checks every breakpoint of every column of both tables, the values one rounding
// step either side, and a sweep of every reportable concentration against the big.Rat reference.
func TestBreakpoints(t *testing.T) {
	for _, r := range []Rules{Rules2012, Rules2026} {
		for ind := range numIndicators {
			bp, steps := Breakpoints(r, ind)
			step := RoundingStep(ind.Pollutant())
			for k, b := range bp {
				at := Conc(b) * Unit
				if got, ok := IAQI(r, ind, at); !ok || got != steps[k] {
					t.Errorf("%v %v at breakpoint %d: got %d %v, want %d", r, ind, b, got, ok, steps[k])
				}
				if k > 0 {
					if got, _ := IAQI(r, ind, at-step); got > steps[k] || got <= steps[k-1] && at-step > Conc(bp[k-1])*Unit {
						t.Errorf("%v %v just below %d: got %d", r, ind, b, got)
					}
				}
				if k < len(bp)-1 {
					if got, _ := IAQI(r, ind, at+step); got <= steps[k] || got > steps[k+1] {
						t.Errorf("%v %v just above %d: got %d", r, ind, b, got)
					}
				}
			}
			top := Conc(bp[len(bp)-1]) * Unit
			prev := 0
			for v := Conc(0); v <= top; v += step {
				got, ok := IAQI(r, ind, v)
				want := refIAQI(bp, v.Rat())
				if !ok || got != want {
					t.Fatalf("%v %v at %s: got %d, want %d", r, ind, v, got, want)
				}
				if got < prev {
					t.Fatalf("%v %v not monotonic at %s", r, ind, v)
				}
				prev = got
			}
		}
	}
}

func TestBreakpointTablesDiffer(t *testing.T) {
	for ind := range numIndicators {
		a, _ := Breakpoints(Rules2012, ind)
		b, _ := Breakpoints(Rules2026, ind)
		same := slices.Equal(a, b)
		switch ind {
		case PM10_24h:
			if same || a[2] != 150 || b[2] != 120 {
				t.Errorf("PM10 IAQI-100: %d / %d", a[2], b[2])
			}
		case PM25_24h:
			if same || a[2] != 75 || b[2] != 60 {
				t.Errorf("PM2.5 IAQI-100: %d / %d", a[2], b[2])
			}
		default:
			if !same {
				t.Errorf("%v differs between editions", ind)
			}
		}
	}
	if so2, _ := Breakpoints(Rules2012, SO2_24h); !slices.Equal(so2, []int64{0, 50, 150, 475, 800, 1600, 2100, 2620}) {
		t.Errorf("SO2 24h column is %v (not the primary text's)", so2)
	}
}

// TestSpecialCases: the ">800" rules of each edition and the cap above the top breakpoint.
func TestSpecialCases(t *testing.T) {
	tests := []struct {
		r    Rules
		ind  Indicator
		c    string
		want int
		ok   bool
	}{
		{Rules2012, SO2_1h, "800", 200, true},
		{Rules2012, SO2_1h, "800.4", 200, true}, // rounds to 800 first
		{Rules2012, SO2_1h, "800.6", 0, false},  // rounds to 801: no 1h index in 2012
		{Rules2012, SO2_1h, "900", 0, false},
		{Rules2026, SO2_1h, "801", 200, true},
		{Rules2026, SO2_1h, "5000", 200, true},
		{Rules2012, O3_8h, "800", 300, true},
		{Rules2012, O3_8h, "801", 0, false},
		{Rules2026, O3_8h, "801", 300, true},
		{Rules2026, O3_8h, "2000", 300, true},
		{Rules2012, PM25_24h, "501", 500, true},
		{Rules2026, PM25_24h, "835", 500, true},
		{Rules2012, CO_24h, "60.1", 500, true},
		{Rules2012, O3_1h, "1201", 500, true},
		{Rules(1999), PM25_24h, "10", 0, false},
	}
	if _, ok := IAQI(Rules2012, PM25_24h, -1); ok {
		t.Error("negative concentration has an index")
	}
	for _, tt := range tests {
		got, ok := IAQI(tt.r, tt.ind, c(t, tt.c))
		if got != tt.want || ok != tt.ok {
			t.Errorf("IAQI(%v, %v, %s) = %d %v, want %d %v", tt.r, tt.ind, tt.c, got, ok, tt.want, tt.ok)
		}
	}
	// 2026 AQI range starts at 1.
	zero := day(t, "pm25=0 pm10=0 so2=0 no2=0 co=0 o3_8h=0")
	if r := Daily(Rules2026, zero); r.AQI != 1 || r.Level != 1 {
		t.Errorf("2026 all-zero day: AQI %d", r.AQI)
	}
	zero.O3_1h = Val(0)
	if r := Daily(Rules2012, zero); r.AQI != 0 || !r.Published {
		t.Errorf("2012 all-zero day: AQI %d", r.AQI)
	}
}

// TestRoundingTrap: CO 2.2 mg/m³ is IAQI 55. Float64 arithmetic gives 55.000000000000007 and a
// ceiling of 56 (the aqi-hub result).
func TestRoundingTrap(t *testing.T) {
	x := 2.2
	if f := 25*(x-2) + 50; math.Ceil(f) != 56 {
		t.Logf("float path gives %v (the trap this test guards against did not reproduce)", math.Ceil(f))
	}
	co, err := FromFloat(x)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := IAQI(Rules2012, CO_24h, co); got != 55 {
		t.Errorf("CO 2.2 from float: IAQI %d, want 55", got)
	}
	if got, _ := IAQI(Rules2026, CO_24h, c(t, "2.2")); got != 55 {
		t.Errorf("CO 2.2: IAQI %d, want 55", got)
	}
	// GB/T 8170 half to even before indexing.
	for _, tt := range []struct {
		p    Pollutant
		in   string
		want string
	}{
		{CO, "2.25", "2.2"}, {CO, "2.35", "2.4"}, {CO, "2.251", "2.3"}, {CO, "0.05", "0.0"},
		{PM25, "74.5", "74"}, {PM25, "75.5", "76"}, {PM25, "74.500001", "75"}, {PM25, "0.5", "0"},
	} {
		if got := Round(tt.p, c(t, tt.in)).Format(Decimals(tt.p)); got != tt.want {
			t.Errorf("Round(%v, %s) = %s, want %s", tt.p, tt.in, got, tt.want)
		}
	}
	// 74.5 rounds to 74 (IAQI 99 in 2012), 75.5 to 76 (100 + ⌈1.25⌉ = 102).
	if got, _ := IAQI(Rules2012, PM25_24h, c(t, "74.5")); got != 99 {
		t.Errorf("PM2.5 74.5: %d", got)
	}
	if got, _ := IAQI(Rules2012, PM25_24h, c(t, "75.5")); got != 102 {
		t.Errorf("PM2.5 75.5: %d", got)
	}
}

func TestParseConc(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Conc
		err  bool
	}{
		{"35", 35 * Unit, false},
		{"2.2", 2_200_000, false},
		{" 0.0000005", 0, false},
		{"0.0000015", 2, false},
		{"1e3", 1000 * Unit, false},
		{"+4.", 4 * Unit, false},
		{".5", Unit / 2, false},
		{"-0", 0, false},
		{"-1", 0, true},
		{"", 0, true},
		{".", 0, true},
		{"1.2.3", 0, true},
		{"abc", 0, true},
		{"NaN", 0, true},
		{"1e400", 0, true},
		{"99999999999999", 0, true},
		{"10000001", 0, true},
		{"10000000", MaxConc, false},
	} {
		got, err := ParseConc(tt.in)
		if (err != nil) != tt.err || !tt.err && got != tt.want {
			t.Errorf("ParseConc(%q) = %d, %v; want %d err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if got, err := ParseConcMilli("2200"); err != nil || got != 2_200_000 {
		t.Errorf("ParseConcMilli(2200) = %d %v", got, err)
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		aqi            int
		level          Level
		name, cat, hex string
	}{
		{0, 1, "一级", "优", "#00E400"}, {50, 1, "一级", "优", "#00E400"},
		{51, 2, "二级", "良", "#FFFF00"}, {100, 2, "二级", "良", "#FFFF00"},
		{101, 3, "三级", "轻度污染", "#FF7E00"}, {150, 3, "三级", "轻度污染", "#FF7E00"},
		{151, 4, "四级", "中度污染", "#FF0000"}, {200, 4, "四级", "中度污染", "#FF0000"},
		{201, 5, "五级", "重度污染", "#99004C"}, {300, 5, "五级", "重度污染", "#99004C"},
		{301, 6, "六级", "严重污染", "#7E0023"}, {500, 6, "六级", "严重污染", "#7E0023"},
	}
	for _, tt := range tests {
		l := LevelOf(tt.aqi)
		if l != tt.level || l.Name() != tt.name || l.Category() != tt.cat || l.Hex() != tt.hex {
			t.Errorf("AQI %d: %d %s %s %s", tt.aqi, l, l.Name(), l.Category(), l.Hex())
		}
		if l.Heavy() != (tt.aqi > 200) {
			t.Errorf("AQI %d heavy = %v", tt.aqi, l.Heavy())
		}
	}
	if r, g, b := Level(5).RGB(); r != 153 || g != 0 || b != 76 || Level(5).ColourName() != "紫色" {
		t.Errorf("level 5 colour %d,%d,%d", r, g, b)
	}
	if Level(0).Category() != "" || Level(7).Hex() != "" {
		t.Error("out-of-range level has a name")
	}
}

func TestRulesFor(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		t    time.Time
		want Rules
	}{
		{time.Date(2026, 2, 28, 23, 0, 0, 0, sh), Rules2012},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, sh), Rules2026},
		{time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC), Rules2026}, // 2026-03-01 00:00 Beijing
		{time.Date(2017, 1, 1, 0, 0, 0, 0, sh), Rules2012},
	} {
		if got := RulesForTime(tt.t); got != tt.want {
			t.Errorf("RulesForTime(%v) = %v", tt.t, got)
		}
	}
	if RulesForDate(Date{2026, 2, 28}) != Rules2012 || RulesForDate(Date{2026, 3, 1}) != Rules2026 {
		t.Error("RulesForDate cut-over")
	}
	if _, err := ParseRules("2019"); err == nil {
		t.Error("ParseRules accepted 2019")
	}
}
