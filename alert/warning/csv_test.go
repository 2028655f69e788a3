package warning

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"

	"lantian/alert/aqi"
)

func recommendCSV(t testing.TB, opts Options, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := RecommendCSV(opts, strings.NewReader(in), &out)
	return out.String(), err
}

const handInput = `area,date,aqi
changji,2024-01-01,120
changji,2024-01-02,160
changji,2024-01-03,210
changji,2024-01-04,230
changji,2024-01-05,320
changji,2024-01-06,180
changji,2024-01-07,140
changji,2024-01-08,100
changji,2024-01-09,90
fukang,2024-01-01,151
fukang,2024-01-02, 151
fukang,2024-01-03,100
`

// TestRecommendCSVHand is checked by hand. changji's windows (up to 7 days from each date):
// 01-01..01-07, 01-02..01-08 and 01-03..01-09 contain 210,230,320 (3 days > 200, one > 300: red
// in 2024, orange in 2018); from 01-04 only 230,320 remain (2 days > 200: orange / yellow);
// from 01-05 only 320 (one day > 200: yellow / none); then nothing. fukang: 151,151 is > 150
// for 48 h (yellow in 2024, nothing in 2018).
func TestRecommendCSVHand(t *testing.T) {
	const red = `"red (AQI > 200 for ≥ 72 h and AQI > 300 for ≥ 24 h): AQI > 200 on 3 days 2024-01-03..2024-01-05, peak 320; AQI > 300 on 2024-01-05, peak 320"`
	want2024 := `area,date,level,reason
changji,2024-01-01,red,` + red + `
changji,2024-01-02,red,` + red + `
changji,2024-01-03,red,` + red + `
changji,2024-01-04,orange,"orange (AQI > 200 for ≥ 48 h): AQI > 200 on 2 days 2024-01-04..2024-01-05, peak 320"
changji,2024-01-05,yellow,"yellow (AQI > 200): AQI > 200 on 2024-01-05, peak 320"
changji,2024-01-06,none,no condition met (forecast peak AQI 180 on 2024-01-06)
changji,2024-01-07,none,no condition met (forecast peak AQI 140 on 2024-01-07)
changji,2024-01-08,none,no condition met (forecast peak AQI 100 on 2024-01-08)
changji,2024-01-09,none,no condition met (forecast peak AQI 90 on 2024-01-09)
fukang,2024-01-01,yellow,"yellow (AQI > 150 for ≥ 48 h): AQI > 150 on 2 days 2024-01-01..2024-01-02, peak 151"
fukang,2024-01-02,none,no condition met (forecast peak AQI 151 on 2024-01-02)
fukang,2024-01-03,none,no condition met (forecast peak AQI 100 on 2024-01-03)
`
	got, err := recommendCSV(t, Options{}, handInput)
	if err != nil {
		t.Fatal(err)
	}
	if got != want2024 {
		t.Errorf("2024:\n%s\nwant:\n%s", got, want2024)
	}

	got, err = recommendCSV(t, Options{Scheme: Scheme2018()}, handInput)
	if err != nil {
		t.Fatal(err)
	}
	var levels []string
	recs, _ := csv.NewReader(strings.NewReader(got)).ReadAll()
	for _, r := range recs[1:] {
		levels = append(levels, r[2])
	}
	want := "orange orange orange yellow none none none none none none none none"
	if strings.Join(levels, " ") != want {
		t.Errorf("2018 levels %v, want %s", levels, want)
	}

	// No header, CRLF line ends, and an empty input (header only in the output).
	got, err = recommendCSV(t, Options{}, "a,2024-01-01,201\r\n")
	if err != nil || !strings.Contains(got, "a,2024-01-01,yellow,") {
		t.Errorf("no header: %q %v", got, err)
	}
	got, err = recommendCSV(t, Options{}, "")
	if err != nil || got != "area,date,level,reason\n" {
		t.Errorf("empty input: %q %v", got, err)
	}
}

// TestRecommendCSVWindow: the window is 7 days, the row's date included.
func TestRecommendCSVWindow(t *testing.T) {
	// Build rows 2024-03-01 … 2024-03-10 with two days > 200 on 03-08 and 03-09.
	var b strings.Builder
	for d := 1; d <= 10; d++ {
		v := 80
		if d == 8 || d == 9 {
			v = 210
		}
		fmt.Fprintf(&b, "x,2024-03-%02d,%d\n", d, v)
	}
	got, err := recommendCSV(t, Options{}, b.String())
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(strings.NewReader(got)).ReadAll()
	// 03-01's window ends 03-07: none. 03-02's ends 03-08: one day > 200, yellow. 03-03's ends
	// 03-09: two days, orange.
	want := map[string]string{"2024-03-01": "none", "2024-03-02": "yellow", "2024-03-03": "orange", "2024-03-09": "yellow", "2024-03-10": "none"}
	for _, r := range recs[1:] {
		if w, ok := want[r[1]]; ok && r[2] != w {
			t.Errorf("%s: %s, want %s", r[1], r[2], w)
		}
	}
}

func TestRecommendCSVErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"gap", "a,2024-01-01,100\na,2024-01-03,100\n",
			"in.csv:2:3: column date: date 2024-01-03 does not follow 2024-01-01, the previous date of area a: dates must be consecutive"},
		{"repeat", "a,2024-01-01,100\na,2024-01-01,100\n", "in.csv:2:3: column date: date 2024-01-01 does not follow 2024-01-01"},
		{"backwards", "a,2024-01-02,100\na,2024-01-01,100\n", "in.csv:2:3: column date"},
		{"bad number", "area,date,aqi\na,2024-01-01,1x0\n", `in.csv:2:14: column aqi: "1x0" is not an integer AQI`},
		{"decimal", "a,2024-01-01,120.5\n", `in.csv:1:14: column aqi: "120.5" is not an integer AQI`},
		{"empty aqi", "a,2024-01-01,\n", "in.csv:1:14: column aqi: empty AQI"},
		{"negative", "a,2024-01-01,-5\n", "in.csv:1:14: column aqi: AQI -5 outside 0–500"},
		{"too high", "a,2024-01-01,501\n", "in.csv:1:14: column aqi: AQI 501 outside 0–500"},
		{"bad date", "a,2024-13-01,100\n", "in.csv:1:3: column date: want YYYY-MM-DD"},
		{"empty area", ",2024-01-01,100\n", "in.csv:1:1: column area: id is empty"},
		{"area with slash", "a/b,2024-01-01,100\n", "in.csv:1:1: column area: id \"a/b\" contains"},
		{"fields", "a,2024-01-01\n", "in.csv:1: want 3 fields area,date,aqi"},
		{"fields later", "a,2024-01-01,100\na,2024-01-02,100,7\n", "in.csv:2: want 3 fields"},
		{"quote", "a,\"2024-01-01,100\n", "in.csv:1:"},
		{"area again", "a,2024-01-01,100\nb,2024-01-01,100\na,2024-01-02,100\n",
			"in.csv:3:1: column area: area a appears again after other areas (its rows ended at line 1)"},
	}
	for _, c := range cases {
		_, err := recommendCSV(t, Options{InputName: "in.csv"}, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v\nwant %q", c.name, err, c.want)
		}
		var ie *aqi.InputError
		if err != nil && !errors.As(err, &ie) {
			t.Errorf("%s: %T is not an InputError", c.name, err)
		}
	}
	bad := Scheme2024()
	bad.Lift.Hours = 0
	if _, err := recommendCSV(t, Options{Scheme: bad}, "a,2024-01-01,100\n"); err == nil {
		t.Error("invalid scheme: no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRecommendCSVWriteError(t *testing.T) {
	err := RecommendCSV(Options{}, strings.NewReader(handInput), failWriter{})
	if err == nil || !strings.Contains(err.Error(), "write recommendations: disk full") {
		t.Errorf("write error: %v", err)
	}
}

// FuzzRecommendCSV: any input gives either an InputError-or-wrapped error or one output row per
// input row, in order, with a valid level; never a panic. Memory stays bounded by the window.
func FuzzRecommendCSV(f *testing.F) {
	f.Add(handInput)
	f.Add("area,date,aqi\nwcs,2019-12-01,180\nwcs,2019-12-02,230\nwcs,2019-12-03,260\nwcs,2019-12-04,310\nwcs,2019-12-05,290\nwcs,2019-12-06,140\n")
	f.Add("beijing,2016-12-30,254\nbeijing,2016-12-31,336\nbeijing,2017-01-01,462\nbeijing,2017-01-02,246\n")
	f.Add("a,2024-02-28,500\na,2024-02-29,500\na,2024-03-01,0\n")
	f.Add("a,2024-01-01,100\na,2024-01-03,100\n")
	f.Add("\"a\nb\",2024-01-01,1\n")
	f.Add("area,date,aqi\r\n x , 2024-01-01 , 201 \r\n")
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		err := RecommendCSV(Options{InputName: "fuzz"}, strings.NewReader(in), &out)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		cr := csv.NewReader(strings.NewReader(in))
		cr.FieldsPerRecord = 3
		cr.TrimLeadingSpace = true
		inRecs, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("engine accepted input the csv package rejects: %v", err)
		}
		if len(inRecs) > 0 && isHeader(inRecs[0]) {
			inRecs = inRecs[1:]
		}
		outRecs, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatalf("output is not CSV: %v", err)
		}
		if len(outRecs) != len(inRecs)+1 {
			t.Fatalf("%d output rows for %d input rows", len(outRecs)-1, len(inRecs))
		}
		for i, r := range outRecs[1:] {
			if r[0] != strings.TrimSpace(inRecs[i][0]) {
				t.Fatalf("row %d: area %q for input %q", i+1, r[0], inRecs[i][0])
			}
			if _, err := ParseLevel(r[2]); err != nil || r[2] == "" || r[3] == "" {
				t.Fatalf("row %d: level %q reason %q", i+1, r[2], r[3])
			}
		}
	})
}
