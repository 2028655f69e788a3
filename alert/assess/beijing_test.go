package assess

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lantian/alert/aqi"
)

// The real data set of shared/data/beijing-multisite-prsa (CC BY 4.0, UCI dataset 501).
const beijingDir = "../../../shared/data/beijing-multisite-prsa"

var beijingStations = []string{"Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng",
	"Huairou", "Nongzhanguan", "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong"}

func beijingFile(t testing.TB, winter, station string) string {
	t.Helper()
	span := map[string]string{"2015-16": "20151101-20160131", "2016-17": "20161101-20170131"}[winter]
	p := filepath.Join(beijingDir, "winter_"+winter, "PRSA_Data_"+station+"_"+span+".csv")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("real test data missing (must not be skipped): %v", err)
	}
	return string(b)
}

// concat joins CSV files of the same format, keeping the first header only.
func concat(files ...string) string {
	var b strings.Builder
	for i, f := range files {
		if i > 0 {
			_, f, _ = strings.Cut(f, "\n")
		}
		b.WriteString(f)
	}
	return b.String()
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}

func TestBeijingDaily(t *testing.T) {
	for _, st := range beijingStations {
		recs := run(t, Options{InputName: st}, beijingFile(t, "2016-17", st))
		if len(recs) != 93 {
			t.Fatalf("%s: %d daily rows, want 92", st, len(recs)-1)
		}
		published := 0
		for _, r := range recs[1:] {
			row := map[string]string{}
			for i, h := range dailyHeader {
				row[h] = r[i]
			}
			if row["station"] != st {
				t.Fatalf("station %q", row["station"])
			}
			// Recompute the AQI from the printed daily values: columns and AQI must agree.
			var d aqi.Day
			for i, p := range []aqi.Pollutant{aqi.PM25, aqi.PM10, aqi.SO2, aqi.NO2, aqi.CO, aqi.O3} {
				if s := r[5+i]; s != "" {
					c, err := aqi.ParseConc(s)
					if err != nil {
						t.Fatal(err)
					}
					d.Values[p] = aqi.Val(c)
				}
			}
			if s := row["o3_1h"]; s != "" {
				c, _ := aqi.ParseConc(s)
				d.O3_1h = aqi.Val(c)
			}
			res := aqi.Daily(aqi.Rules2012, d)
			gotAQI, gotLevel, gotPrimary := aqiFields(res)
			if gotAQI != row["aqi"] || gotLevel != row["level"] || gotPrimary != row["primary"] {
				t.Errorf("%s %s: row %v, recomputed %s %s %s", st, row["date"], r, gotAQI, gotLevel, gotPrimary)
			}
			if row["aqi"] == "" {
				if row["valid"] == "true" {
					t.Errorf("%s %s: complete day without AQI", st, row["date"])
				}
				continue
			}
			published++
			a := atoi(t, row["aqi"])
			if a < 0 || a > 500 || int(aqi.LevelOf(a)) != atoi(t, row["level"]) || (a > 50) != (row["primary"] != "") {
				t.Errorf("%s %s: inconsistent %v", st, row["date"], r)
			}
		}
		if published < 85 {
			t.Errorf("%s: only %d days with an AQI", st, published)
		}
	}
}

// TestBeijingHandVerified checks days whose HJ 663 values were worked out independently (exact
// fractions in Python from the raw rows) and whose indices were computed by hand.
func TestBeijingHandVerified(t *testing.T) {
	tests := []struct {
		station, date string
		want          string // aqi,level,primary,pm25,pm10,so2,no2,co,o3_8h,o3_1h,valid
	}{
		// PM2.5 43.375, PM10 64.54, SO2 10.04, NO2 54.04 (23 h), CO 695.8 µg, O3 8h max 42.5
		// (half to even → 42), O3 1h 55. NO2 54 → 50 + ⌈50·14/40⌉ = 68 > PM2.5 60, PM10 58.
		{"Dongsi", "2016-11-01", "68,2,NO2,43,65,10,54,0.7,42,55,true"},
		// PM2.5 277.875 → 278 → 300 + ⌈100·28/100⌉ = 328.
		{"Dongsi", "2016-11-04", "328,6,PM2.5,278,298,9,128,3.6,8,17,true"},
		// Fireworks: PM2.5 368.29 → 400 + ⌈100·18/150⌉ = 412; PM10 (23 h) 425.74 → 426;
		// CO 2337.5 µg = 2.3375 mg → 2.3.
		{"Nongzhanguan", "2017-01-28", "412,6,PM2.5,368,426,99,61,2.3,20,80,true"},
		// PM2.5 309.92 → 310 → 360; PM10 366.5 → 366 (half to even); CO 6.7208 → 6.7.
		{"Huairou", "2016-12-20", "360,6,PM2.5,310,366,4,97,6.7,8,20,true"},
	}
	for _, tt := range tests {
		m := byKey(run(t, Options{}, beijingFile(t, "2016-17", tt.station)))
		row := m[tt.station+"|"+tt.date]
		var got []string
		for _, h := range dailyHeader[2:] {
			got = append(got, row[h])
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tt.station, tt.date, strings.Join(got, ","), tt.want)
		}
	}
}

func TestBeijingHourly(t *testing.T) {
	for _, st := range beijingStations {
		in := beijingFile(t, "2016-17", st)
		recs := run(t, Options{Report: ReportHourly}, in)
		if len(recs) != 2209 {
			t.Fatalf("%s: %d hourly rows", st, len(recs)-1)
		}
		lines := strings.Split(strings.TrimSpace(in), "\n")[1:]
		for i, r := range recs[1:] {
			f := strings.Split(lines[i], ",")
			pm25NA, anyNA := f[5] == "NA", false
			for _, v := range f[5:11] {
				anyNA = anyNA || v == "NA"
			}
			switch {
			case pm25NA && r[2] != "":
				t.Errorf("%s line %d: AQI %s without PM2.5", st, i+2, r[2])
			case !anyNA && r[2] == "":
				t.Errorf("%s line %d: complete hour without AQI", st, i+2)
			case anyNA && r[2] != "" && atoi(t, r[2]) <= 100:
				t.Errorf("%s line %d: partial AQI %s ≤ 100 published", st, i+2, r[2])
			}
		}
	}
	m := byKey(run(t, Options{Report: ReportHourly}, beijingFile(t, "2016-17", "Nongzhanguan")))
	// The extract's largest PM2.5 (835) with PM10 939: both capped at 500, a tie.
	if r := m["Nongzhanguan|2017-01-28T02:00:00+08:00"]; r["aqi"] != "500" || r["primary"] != "PM2.5+PM10" || r["level"] != "6" {
		t.Errorf("835 µg/m³ hour: %v", r)
	}
	// The hour before has PM10 NA; PM2.5 640 gives 500 > 100, so the partial AQI is published.
	if r := m["Nongzhanguan|2017-01-28T01:00:00+08:00"]; r["aqi"] != "500" || r["primary"] != "PM2.5" {
		t.Errorf("hour with PM10 NA: %v", r)
	}
}

var beijingAreas = map[string]string{
	"Dongsi": "urban", "Tiantan": "urban", "Guanyuan": "urban", "Wanshouxigong": "urban",
	"Aotizhongxin": "urban", "Nongzhanguan": "urban", "Wanliu": "urban", "Gucheng": "urban",
	"Dingling": "suburb", "Changping": "suburb", "Huairou": "suburb", "Shunyi": "suburb",
}

func allBeijing(t testing.TB, winter string) string {
	var files []string
	for _, st := range beijingStations {
		files = append(files, beijingFile(t, winter, st))
	}
	return concat(files...)
}

// TestBeijingAreas: an area's daily concentration is the mean of its stations' daily values.
func TestBeijingAreas(t *testing.T) {
	recs := run(t, Options{Areas: beijingAreas}, allBeijing(t, "2016-17"))
	if len(recs) != 1+92*14 {
		t.Fatalf("%d rows, want %d", len(recs)-1, 92*14)
	}
	m := byKey(recs)
	for _, date := range []string{"2016-11-01", "2016-12-20", "2017-01-28"} {
		for _, area := range []string{"urban", "suburb"} {
			for ci, col := range []string{"pm25", "pm10", "so2", "no2", "co", "o3_8h"} {
				var sum float64
				n := 0
				for st, a := range beijingAreas {
					if a != area {
						continue
					}
					if s := m[st+"|"+date][col]; s != "" {
						v, _ := strconv.ParseFloat(s, 64)
						sum += v
						n++
					}
				}
				got, _ := strconv.ParseFloat(m[AreaPrefix+area+"|"+date][col], 64)
				tol := 0.5
				if ci == 4 {
					tol = 0.05
				}
				if math.Abs(got-sum/float64(n)) > tol+1e-9 {
					t.Errorf("%s %s %s: area %v, station mean %v", area, date, col, got, sum/float64(n))
				}
			}
		}
	}
}

// TestBeijingPeriod: monthly statistics and ranking of the 12 stations and 2 areas, and the
// change against the same month of the winter before.
func TestBeijingPeriod(t *testing.T) {
	in := concat(allBeijing(t, "2015-16"), allBeijing(t, "2016-17"))
	recs := run(t, Options{Report: ReportPeriod, Period: PeriodMonth, Areas: beijingAreas}, in)
	if strings.Join(recs[0], ",") != strings.Join(periodHeader, ",") {
		t.Fatalf("header %v", recs[0])
	}
	if len(recs) != 1+6*14 {
		t.Fatalf("%d rows, want %d", len(recs)-1, 6*14)
	}
	col := map[string]int{}
	for i, h := range periodHeader {
		col[h] = i
	}
	ranks := map[string][]int{}
	for _, r := range recs[1:] {
		get := func(h string) string { return r[col[h]] }
		days, valid, good, heavy := atoi(t, get("days")), atoi(t, get("valid_days")), atoi(t, get("good_days")), atoi(t, get("heavy_days"))
		if days < 28 || days > 31 || valid > days || good+heavy > valid {
			t.Errorf("counts %v", r)
		}
		gp, _ := strconv.ParseFloat(get("good_pct"), 64)
		if math.Abs(gp-100*float64(good)/float64(valid)) > 0.05 {
			t.Errorf("good_pct %v", r)
		}
		// The composite recomputed from the printed figures agrees to rounding.
		var sum float64
		for h, s := range map[string]float64{"so2": 60, "no2": 40, "pm10": 70, "pm25": 35, "co_p95": 4, "o3_8h_p90": 160} {
			v, _ := strconv.ParseFloat(get(h), 64)
			sum += v / s
		}
		comp, _ := strconv.ParseFloat(get("composite"), 64)
		if math.Abs(comp-sum) > 0.01 {
			t.Errorf("composite %v vs recomputed %.4f: %v", comp, sum, r)
		}
		key := get("kind") + get("period")
		ranks[key] = append(ranks[key], atoi(t, get("rank")))
		// The 2016-17 months compare with 2015-16.
		if strings.HasPrefix(get("period"), "2016-1") || get("period") == "2017-01" {
			last, _ := strconv.ParseFloat(get("composite_last_year"), 64)
			ch, err := strconv.ParseFloat(get("change_pct"), 64)
			if err != nil || math.Abs(ch-100*(comp-last)/last) > 0.5 {
				t.Errorf("change %v", r)
			}
		} else if get("composite_last_year") != "" {
			t.Errorf("2015-16 has no year before: %v", r)
		}
	}
	for key, rs := range ranks {
		want := 12
		if strings.HasPrefix(key, KindArea) {
			want = 2
		}
		if len(rs) != want {
			t.Errorf("%s: %d ranked", key, len(rs))
		}
		seen := map[int]bool{}
		for _, r := range rs {
			if r < 1 || r > want {
				t.Errorf("%s: rank %d", key, r)
			}
			seen[r] = true
		}
		if !seen[1] {
			t.Errorf("%s: no rank 1", key)
		}
	}
	// The all-period report over one winter: one row per station.
	var out bytes.Buffer
	if err := Run(Options{Report: ReportPeriod}, strings.NewReader(allBeijing(t, "2016-17")), &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 13 {
		t.Errorf("all-period rows %d", n-1)
	}
}
