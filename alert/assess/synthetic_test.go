package assess

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestSyntheticYears: two years of constant hourly values at three stations. Every figure is known
// by construction: daily means equal the hourly values, percentiles equal the constant, and
//
//	A 2017: 10/60 + 30/40 + 80/70 + 50/35 + 1/4 + 100/160 = 4.3631 → 4.36, AQI 69 (PM2.5) every day
//	B 2017: the same values → 4.36, rank shared with A
//	C 2017: PM2.5 120 (AQI 2012: 150 + ⌈50·5/35⌉ = 158) → 4.3631 + 70/35 = 6.36, rank 3
//	A 2018: PM2.5 70 → 4.3631 + 20/35 = 4.93, change (4.9345 − 4.3631)/4.3631 = +13.1 %
func TestSyntheticYears(t *testing.T) {
	var b strings.Builder
	b.WriteString(lantianHeader)
	from := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	to := time.Date(2019, 1, 1, 0, 0, 0, 0, shanghai)
	genHours(&b, []string{"A", "B", "C"}, from, to, func(st string, t time.Time) [6]string {
		pm := "50"
		switch {
		case st == "C":
			pm = "120"
		case st == "A" && t.Year() == 2018:
			pm = "70"
		}
		return [6]string{pm, "80", "10", "30", "1.0", "100"}
	})
	in := b.String()
	recs := run(t, Options{Report: ReportPeriod, Period: PeriodYear, Areas: map[string]string{"A": "east", "B": "east", "C": "west"}}, in)
	got := map[string]string{}
	for _, r := range recs[1:] {
		got[r[0]+"|"+r[1]+"|"+r[2]] = strings.Join(r[5:], ",")
	}
	// days,valid,good,good%,heavy,heavy%,pm25,p95,pm10,p95,so2,p98,no2,p98,co,p95,o3,p90,composite,primary,rank,last,change,complete,incomplete
	want := map[string]string{
		"station|A|2017": "365,365,365,100.0,0,0.0,50.0,50.0,80.0,80.0,10.0,10.0,30.0,30.0,1.00,1.00,100.0,100.0,4.36,PM2.5,1,,,true,0",
		"station|B|2017": "365,365,365,100.0,0,0.0,50.0,50.0,80.0,80.0,10.0,10.0,30.0,30.0,1.00,1.00,100.0,100.0,4.36,PM2.5,1,,,true,0",
		"station|C|2017": "365,365,0,0.0,0,0.0,120.0,120.0,80.0,80.0,10.0,10.0,30.0,30.0,1.00,1.00,100.0,100.0,6.36,PM2.5,3,,,true,0",
		"station|A|2018": "365,365,365,100.0,0,0.0,70.0,70.0,80.0,80.0,10.0,10.0,30.0,30.0,1.00,1.00,100.0,100.0,4.93,PM2.5,2,4.36,13.1,true,0",
		"station|B|2018": "365,365,365,100.0,0,0.0,50.0,50.0,80.0,80.0,10.0,10.0,30.0,30.0,1.00,1.00,100.0,100.0,4.36,PM2.5,1,4.36,0.0,true,0",
		// The area mean of A (70) and B (50) is 60.
		"area|east|2018": "365,365,365,100.0,0,0.0,60.0,60.0,80.0,80.0,10.0,10.0,30.0,30.0,1.00,1.00,100.0,100.0,4.65,PM2.5,1,4.36,6.5,true,0",
		"area|west|2018": "365,365,0,0.0,0,0.0,120.0,120.0,80.0,80.0,10.0,10.0,30.0,30.0,1.00,1.00,100.0,100.0,6.36,PM2.5,2,6.36,0.0,true,0",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], w)
		}
	}
	if len(recs) != 1+2*5 {
		t.Errorf("%d rows", len(recs)-1)
	}

	// Year to date: the input ends on 2018-03-31, so 2018 is Jan–Mar and compares with Jan–Mar
	// 2017; a partial year is complete when every month in it is.
	cut := in[:strings.Index(in, "A,2018-04-01 00:00")]
	recs = run(t, Options{Report: ReportPeriod, Period: PeriodYear}, cut)
	for _, r := range recs[1:] {
		if r[1] == "A" && r[2] == "2018" {
			if r[3] != "2018-01-01" || r[4] != "2018-03-31" || r[5] != "90" || r[len(r)-4] != "4.36" || r[len(r)-2] != "true" {
				t.Errorf("YTD row %v", r)
			}
		}
	}

	// Monthly ranking: 24 months × 3 stations.
	recs = run(t, Options{Report: ReportPeriod, Period: PeriodMonth}, in)
	if len(recs) != 1+24*3 {
		t.Errorf("monthly rows %d", len(recs)-1)
	}
	for _, r := range recs[1:] {
		if r[2] == "2017-02" && r[5] != "28" {
			t.Errorf("February days %v", r)
		}
	}
}

// TestSyntheticIncompleteMonth: removing 5 days of January leaves 26 < 27 daily values.
func TestSyntheticIncompleteMonth(t *testing.T) {
	var b strings.Builder
	b.WriteString(lantianHeader)
	from := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	genHours(&b, []string{"A"}, from, from.AddDate(0, 2, 0), func(_ string, t time.Time) [6]string {
		if t.Month() == time.January && t.Day() <= 5 {
			return [6]string{}
		}
		return [6]string{"50", "80", "10", "30", "1.0", "100"}
	})
	recs := run(t, Options{Report: ReportPeriod, Period: PeriodMonth}, b.String())
	if recs[1][2] != "2017-01" || recs[1][len(recs[1])-2] != "false" || recs[1][5] != "31" || recs[1][6] != "26" || recs[1][len(recs[1])-1] != "5" {
		t.Errorf("January %v", recs[1])
	}
	if recs[2][2] != "2017-02" || recs[2][len(recs[2])-2] != "true" || recs[2][len(recs[2])-1] != "0" {
		t.Errorf("February %v", recs[2])
	}
}

// synthInput is n station-days of varied hourly values for the benchmark and fuzz seeds.
func synthInput(stations, days int) string {
	var b strings.Builder
	b.WriteString(lantianHeader)
	names := make([]string, stations)
	for i := range names {
		names[i] = "S" + string(rune('A'+i%26)) + string(rune('a'+i/26%26))
	}
	from := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	i := 0
	genHours(&b, names, from, from.AddDate(0, 0, days), func(_ string, t time.Time) [6]string {
		i++
		return [6]string{
			itoa3(20 + i%180), itoa3(40 + i%250), itoa3(5 + i%40), itoa3(20 + i%90),
			"1." + itoa3(i%10), itoa3(10 + (i*7)%200),
		}
	})
	return b.String()
}

func itoa3(n int) string {
	return strings.TrimLeft(string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)}), "0")
}

// BenchmarkDaily measures the daily report end to end (CSV in, CSV out): 12 stations × 365 days.
func BenchmarkDaily(b *testing.B) {
	in := synthInput(12, 365)
	rows := strings.Count(in, "\n") - 1
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for range b.N {
		if err := Run(Options{Report: ReportDaily}, strings.NewReader(in), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(12*365)*float64(b.N)/b.Elapsed().Seconds(), "station-days/s")
}

// FuzzReadCSV feeds arbitrary input through the reader and every report. It must never panic,
// and bad input must come back as an error.
func FuzzReadCSV(f *testing.F) {
	f.Add(lantianHeader + "S,2017-01-01 00:00,1,2,3,4,0.5,6\nS,2017-01-01 01:00,,NA,3,4,0.5,6\n")
	f.Add(lantianHeader + "S,2017-01-01T00:00:00+08:00,35,50,50,40,2,100\n")
	f.Add("station,time,pm25,pm10,so2,no2,co,o3,pm25_flag\nS,2017-01-01 00:00,1,2,3,4,0.5,6,M\n")
	f.Add(`"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"` + "\n" +
		`32185,2016,11,1,0,14,22,2,42,500,24,1.8,1033.2,-11.7,0,"WNW",1.1,"Dongsi"` + "\n" +
		`34298,2017,1,28,1,640,NA,186,73,2100,80,-0.525,1020,-15.7,0,"NW",0.8,"Nongzhanguan"` + "\n")
	f.Add(synthInput(2, 2))
	f.Fuzz(func(t *testing.T, in string) {
		for _, rep := range []Report{ReportHourly, ReportDaily, ReportPeriod} {
			var out bytes.Buffer
			err := Run(Options{Report: rep, Areas: map[string]string{"S": "x"}}, strings.NewReader(in), &out)
			if err == nil && !strings.HasPrefix(out.String(), "station,") && !strings.HasPrefix(out.String(), "kind,") {
				t.Fatalf("no header in output %q", out.String())
			}
			// Output never grows beyond a bounded multiple of the input (no runaway buffering).
			if out.Len() > 64*len(in)+4096 {
				t.Fatalf("output %d bytes for %d input bytes", out.Len(), len(in))
			}
		}
	})
}
