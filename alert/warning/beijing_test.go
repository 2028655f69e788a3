package warning

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lantian/alert/aqi"
	"lantian/alert/assess"
)

var update = flag.Bool("update", false, "rewrite testdata/beijing_2016-17.csv")

// The real data set of shared/data/beijing-multisite-prsa (CC BY 4.0, UCI dataset 501).
const beijingDir = "../../../shared/data/beijing-multisite-prsa/winter_2016-17"

var beijingStations = []string{"Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng",
	"Huairou", "Nongzhanguan", "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong"}

// beijingCityAQI is the observed daily AQI of Beijing as one area: the daily AQI (HJ 633-2012)
// of the mean of the 12 stations' daily concentrations, as HJ 663 forms a city's daily values
// (assess's area rows, aqi.AreaDay), not the mean of the stations' AQIs.
func beijingCityAQI(t *testing.T) []DayAQI {
	t.Helper()
	var in bytes.Buffer
	areas := map[string]string{}
	for i, st := range beijingStations {
		p := filepath.Join(beijingDir, "PRSA_Data_"+st+"_20161101-20170131.csv")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("real test data missing (must not be skipped): %v", err)
		}
		if i > 0 {
			_, after, _ := bytes.Cut(b, []byte("\n"))
			b = after
		}
		in.Write(b)
		areas[st] = "beijing"
	}
	var out bytes.Buffer
	if err := assess.Run(assess.Options{Report: assess.ReportDaily, Areas: areas, InputName: "beijing"}, &in, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var days []DayAQI
	for _, r := range recs[1:] {
		if r[0] != assess.AreaPrefix+"beijing" {
			continue
		}
		d, err := aqi.ParseDate(r[1])
		if err != nil {
			t.Fatal(err)
		}
		v, err := strconv.Atoi(r[2])
		if err != nil {
			t.Fatalf("%s: no city AQI (%q)", r[1], r[2])
		}
		days = append(days, DayAQI{Date: d, AQI: v})
	}
	if len(days) != 92 {
		t.Fatalf("%d city days, want 92 (2016-11-01 … 2017-01-31)", len(days))
	}
	return days
}

// TestBeijingWinter uses the observed daily AQI of winter 2016-17 as a perfect 7-day forecast.
// Beijing's red warning of 2016-12-16 to 12-21 and the orange-to-red episode around the new year
// must give orange or red warnings; the clean weeks of mid-January none. The table is
// testdata/beijing_2016-17.csv (go test -run Beijing -update rewrites it) and docs/warnings.md.
func TestBeijingWinter(t *testing.T) {
	days := beijingCityAQI(t)
	var in strings.Builder
	for _, d := range days {
		fmt.Fprintf(&in, "beijing,%s,%d\n", d.Date, d.AQI)
	}
	levels := map[string][]string{}
	for _, name := range []string{"2024", "2018"} {
		s, _ := ParseScheme(name)
		out, err := recommendCSV(t, Options{Scheme: s}, in.String())
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := csv.NewReader(strings.NewReader(out)).ReadAll()
		for _, r := range recs[1:] {
			levels[name] = append(levels[name], r[2])
		}
	}

	// The office's decisions day by day under the 2024 scheme: the last 7 observed days, the
	// next 7 as forecast, and the level in force carried over.
	s := Scheme2024()
	var actions, inForce []string
	current := None
	for i := range days {
		obs := days[max(0, i-7):i]
		rec, err := s.Recommend(Input{Area: "beijing", Observed: obs, Days: days[i:min(len(days), i+WindowDays)]}, current)
		if err != nil {
			t.Fatal(err)
		}
		actions = append(actions, rec.Action.String())
		inForce = append(inForce, rec.Level.String())
		current = rec.Level
	}

	var table bytes.Buffer
	w := csv.NewWriter(&table)
	w.Write([]string{"date", "aqi", "level_2024", "level_2018", "action_2024", "in_force_2024"})
	for i, d := range days {
		w.Write([]string{d.Date.String(), strconv.Itoa(d.AQI), levels["2024"][i], levels["2018"][i], actions[i], inForce[i]})
	}
	w.Flush()
	golden := filepath.Join("testdata", "beijing_2016-17.csv")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, table.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("golden table: %v (run go test -run Beijing -update)", err)
	}
	if !bytes.Equal(table.Bytes(), want) {
		t.Errorf("table differs from %s; got:\n%s", golden, table.Bytes())
	}

	at := func(scheme, date string) Level {
		for i, d := range days {
			if d.Date.String() == date {
				l, _ := ParseLevel(levels[scheme][i])
				return l
			}
		}
		t.Fatalf("no %s", date)
		return None
	}
	// The known heavy episodes: 2016-12-16…21 (Beijing's red warning) and 2016-12-30…2017-01-04.
	for _, date := range []string{"2016-12-15", "2016-12-16", "2016-12-17", "2016-12-18",
		"2016-12-27", "2016-12-28", "2016-12-29", "2016-12-30", "2016-12-31", "2017-01-01", "2017-01-02", "2017-01-03"} {
		for _, scheme := range []string{"2024", "2018"} {
			if l := at(scheme, date); l != Red {
				t.Errorf("%s scheme %s: %s, want red", date, scheme, l)
			}
		}
	}
	for _, date := range []string{"2016-12-19", "2017-01-04", "2017-01-05"} {
		for _, scheme := range []string{"2024", "2018"} {
			if l := at(scheme, date); l < Orange {
				t.Errorf("%s scheme %s: %s, want orange or red", date, scheme, l)
			}
		}
	}
	// The clean weeks of mid-January: 2017-01-08 … 01-18 (AQI 38–183).
	for d := (aqi.Date{Year: 2017, Month: 1, Day: 8}); d.Before(aqi.Date{Year: 2017, Month: 1, Day: 19}); d = d.AddDays(1) {
		for _, scheme := range []string{"2024", "2018"} {
			if l := at(scheme, d.String()); l != None {
				t.Errorf("%s scheme %s: %s, want none", d, scheme, l)
			}
		}
	}
	// The day-by-day office simulation is in force through both episodes.
	for i, d := range days {
		ds := d.Date.String()
		if (ds >= "2016-12-16" && ds <= "2016-12-21") || (ds >= "2016-12-30" && ds <= "2017-01-06") {
			if l, _ := ParseLevel(inForce[i]); l < Orange {
				t.Errorf("%s: %s in force, want orange or red", ds, l)
			}
		}
	}
}
