package jsonreading

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
)

// beijingSeeds turns the first rows of a real station file (shared/data, CC BY 4.0) into
// payloads of the data contract, so the fuzzer starts from what stations really send.
func beijingSeeds(t testing.TB, n int) []string {
	t.Helper()
	f, err := os.Open("../../../shared/data/beijing-multisite-prsa/winter_2016-17/PRSA_Data_Dongsi_20161101-20170131.csv")
	if err != nil {
		t.Fatalf("real data for fuzz seeds: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	loc := time.FixedZone("CST", 8*3600)
	var out []string
	for sc.Scan() && len(out) < n {
		c := strings.Split(sc.Text(), ",")
		var y, mo, d, h int
		fmt.Sscan(c[1], &y)
		fmt.Sscan(c[2], &mo)
		fmt.Sscan(c[3], &d)
		fmt.Sscan(c[4], &h)
		ts := time.Date(y, time.Month(mo), d, h, 0, 0, 0, loc)
		val := func(s string) string {
			if s == "NA" {
				return "null"
			}
			return s
		}
		co := "null"
		var coUg float64
		if _, err := fmt.Sscan(c[9], &coUg); err == nil {
			co = fmt.Sprint(coUg / 1000)
		}
		out = append(out, fmt.Sprintf(`{"station":"cj-01","time":%q,"period":"1h","pm25":%s,"pm10":%s,"so2":%s,"no2":%s,"co":%s,"o3":%s,"temp":%s,"flags":{"pm25":"N"}}`,
			ts.Format(time.RFC3339), val(c[5]), val(c[6]), val(c[7]), val(c[8]), co, val(c[10]), val(c[11])))
	}
	return out
}

func FuzzDecodeAir(f *testing.F) {
	for _, s := range beijingSeeds(f, 20) {
		f.Add(s)
	}
	f.Add(`{"time":1768039200,"pm25":"35.2","flags":{"so2":"D"}}`)
	f.Add(`{"time":"1768039200500","pm25":1e999}`)
	c := checker(f, true)
	f.Fuzz(func(t *testing.T, payload string) {
		r, err := DecodeAir("cj-01", []byte(payload))
		if err != nil {
			if reading.ReasonOf(err) == "internal" {
				t.Fatalf("decode error without a reason: %v", err)
			}
			return
		}
		a, err := c.Check(r)
		if err != nil {
			if reading.ReasonOf(err) == "internal" {
				t.Fatalf("check error without a reason: %v", err)
			}
			return
		}
		for _, v := range a.Values {
			if !v.NoValue && (math.IsNaN(v.Value) || math.IsInf(v.Value, 0)) {
				t.Fatalf("accepted a non-finite %s", v.Name)
			}
		}
		if len(a.Values) > 11 {
			t.Fatalf("accepted %d values from one payload", len(a.Values))
		}
	})
}

func FuzzDecodeSource(f *testing.F) {
	f.Add(`{"time":1768039200,"period":"1h","dust":3.1,"so2":21,"nox":38.5,"o2":7.2,"flow":512000,"temp":49.5,"so2_zs":"20.1","flags":{"so2":"N","nox":"C"}}`)
	f.Add(`{"source":"px-power","outlet":"DA001","time":"2026-01-10T10:00:00+08:00","nox":"","flow":"1e5"}`)
	c := checker(f, false)
	f.Fuzz(func(t *testing.T, payload string) {
		r, err := DecodeSource("px-power", "DA001", []byte(payload))
		if err != nil {
			if reading.ReasonOf(err) == "internal" {
				t.Fatalf("decode error without a reason: %v", err)
			}
			return
		}
		if _, err := c.Check(r); err != nil && reading.ReasonOf(err) == "internal" {
			t.Fatalf("check error without a reason: %v", err)
		}
	})
}
