package office

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

func testRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	reg := &registry.Registry{Areas: registry.DefaultAreas()}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	return reg
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestForecastDecodeValid(t *testing.T) {
	loc := shanghai(t)
	c := ForecastChecker{Registry: testRegistry(t), Location: loc, MaxFuture: 10 * time.Minute}
	now := time.Date(2024, 1, 2, 17, 0, 0, 0, loc)
	f, err := c.Decode("changji", []byte(`{"issued":"2024-01-02T16:00:00+08:00","source":"自治区环境监测总站",
		"days":[{"date":"2024-01-03","aqi":210,"primary":"pm25"},{"date":"2024-01-04","aqi":320,"primary":"PM2.5"},{"date":"2024-01-05","aqi":45,"primary":""}],
		"hours":[{"start":"2024-01-03T00:00","aqi":180},{"start":"2024-01-03T01:00:00+08:00","aqi":190}]}`), now)
	if err != nil {
		t.Fatal(err)
	}
	if f.Area != "changji" || len(f.Days) != 3 || f.Days[0].Primary != "PM2.5" || f.Days[2].Primary != "" || f.Days[1].AQI != 320 {
		t.Errorf("decoded %+v", f)
	}
	if f.Days[0].Date != (aqi.Date{Year: 2024, Month: 1, Day: 3}) || !f.Issued.Equal(time.Date(2024, 1, 2, 16, 0, 0, 0, loc)) {
		t.Errorf("dates: %+v", f)
	}
	if len(f.Hours) != 2 || !f.Hours[0].Start.Equal(time.Date(2024, 1, 3, 0, 0, 0, 0, loc)) {
		t.Errorf("hours without offset are in the configured zone: %+v", f.Hours)
	}
	lines := f.lines(loc)
	if len(lines) != 5 {
		t.Fatalf("%d lines", len(lines))
	}
	want := "forecast,area=changji,kind=daily,lead=1,source=自治区环境监测总站 aqi=210i,issued=1704182400i,primary=\"PM2.5\" 1704211200000000000"
	if string(lines[0]) != want {
		t.Errorf("line\n%s\nwant\n%s", lines[0], want)
	}

	// The HTTP API names the area in the body.
	if _, err := c.Decode("", []byte(`{"area":"fukang","issued":"2024-01-02T16:00:00+08:00","source":"x","days":[{"date":"2024-01-02","aqi":100}]}`), now); err != nil {
		t.Errorf("body area: %v", err)
	}
}

func TestForecastDecodeRejections(t *testing.T) {
	loc := shanghai(t)
	c := ForecastChecker{Registry: testRegistry(t), Location: loc, MaxFuture: 10 * time.Minute}
	now := time.Date(2024, 1, 2, 17, 0, 0, 0, loc)
	const ok = `"issued":"2024-01-02T16:00:00+08:00","source":"s"`
	cases := []struct {
		name, area, body, reason, text string
	}{
		{"malformed", "changji", `{"issued":`, reading.ReasonMalformed, "forecast"},
		{"trailing", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":1}]} {}`, reading.ReasonMalformed, "data after"},
		{"unknown field", "changji", `{` + ok + `,"days":[],"aqi":3}`, reading.ReasonUnknownField, `unknown field "aqi"`},
		{"unknown area", "nowhere", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":1}]}`, ReasonUnknownArea, `unknown area "nowhere"`},
		{"no area", "", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":1}]}`, ReasonUnknownArea, "area is missing"},
		{"region", "wcs", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":1}]}`, ReasonBadArea, "is a region"},
		{"topic mismatch", "changji", `{"area":"fukang",` + ok + `,"days":[{"date":"2024-01-03","aqi":1}]}`, reading.ReasonTopicMismatch, "differs"},
		{"no issued", "changji", `{"source":"s","days":[{"date":"2024-01-03","aqi":1}]}`, reading.ReasonBadTime, "issued is missing"},
		{"bad issued", "changji", `{"issued":"yesterday","source":"s","days":[{"date":"2024-01-03","aqi":1}]}`, reading.ReasonBadTime, `"yesterday" is not a time`},
		{"future", "changji", `{"issued":"2024-01-03T16:00:00+08:00","source":"s","days":[{"date":"2024-01-03","aqi":1}]}`, reading.ReasonFuture, "in the future"},
		{"old", "changji", `{"issued":"2023-12-01T16:00:00+08:00","source":"s","days":[{"date":"2023-12-02","aqi":1}]}`, reading.ReasonTooOld, "ago"},
		{"no source", "changji", `{"issued":"2024-01-02T16:00:00+08:00","days":[{"date":"2024-01-03","aqi":1}]}`, reading.ReasonBadValue, "source is missing"},
		{"no days", "changji", `{` + ok + `,"days":[]}`, ReasonBadForecast, "days is empty"},
		{"bad date", "changji", `{` + ok + `,"days":[{"date":"2024-13-01","aqi":1}]}`, ReasonBadDate, `"2024-13-01": want YYYY-MM-DD`},
		{"gap", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":1},{"date":"2024-01-05","aqi":1}]}`, ReasonBadDate, "2024-01-05 does not follow 2024-01-03: days must be consecutive"},
		{"backwards", "changji", `{` + ok + `,"days":[{"date":"2024-01-04","aqi":1},{"date":"2024-01-03","aqi":1}]}`, ReasonBadDate, "must be consecutive"},
		{"past days", "changji", `{` + ok + `,"days":[{"date":"2024-01-01","aqi":1}]}`, ReasonBadDate, "before the issue date"},
		{"far start", "changji", `{` + ok + `,"days":[{"date":"2024-01-05","aqi":1}]}`, ReasonBadDate, "more than a day after"},
		{"aqi high", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":501}]}`, reading.ReasonOutOfRange, "days[0].aqi 501 outside 0–500"},
		{"aqi negative", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":-1}]}`, reading.ReasonOutOfRange, "outside 0–500"},
		{"aqi decimal", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":120.5}]}`, reading.ReasonBadValue, "120.5 is not an integer AQI"},
		{"aqi missing", "changji", `{` + ok + `,"days":[{"date":"2024-01-03"}]}`, reading.ReasonBadValue, "days[0].aqi is missing"},
		{"pollutant", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":80,"primary":"dust"}]}`, reading.ReasonBadValue, `unknown pollutant "dust"`},
		{"hour gap", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":80}],"hours":[{"start":"2024-01-03T00:00:00+08:00","aqi":1},{"start":"2024-01-03T02:00:00+08:00","aqi":1}]}`, reading.ReasonBadTime, "hours must be consecutive"},
		{"hour not on hour", "changji", `{` + ok + `,"days":[{"date":"2024-01-03","aqi":80}],"hours":[{"start":"2024-01-03T00:30:00+08:00","aqi":1}]}`, reading.ReasonBadTime, "not on the hour"},
		{"too many days", "changji", `{` + ok + `,"days":[` + strings.Repeat(`{"date":"2024-01-03","aqi":1},`, 15) + `{"date":"2024-01-03","aqi":1}]}`, ReasonBadForecast, "16 days, more than 15"},
	}
	for _, tc := range cases {
		_, err := c.Decode(tc.area, []byte(tc.body), now)
		var rej *reading.Rejection
		if !errors.As(err, &rej) {
			t.Errorf("%s: %v is not a rejection", tc.name, err)
			continue
		}
		if rej.Reason != tc.reason || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: %s %q\nwant reason %s containing %q", tc.name, rej.Reason, err, tc.reason, tc.text)
		}
	}
	// Several problems are reported at once, under the first one's reason.
	_, err := c.Decode("changji", []byte(`{"issued":"2024-01-02T16:00:00+08:00","source":"s","days":[{"date":"2024-01-03","aqi":900},{"date":"2024-01-09","aqi":1}]}`), now)
	if err == nil || !strings.Contains(err.Error(), "900 outside") || !strings.Contains(err.Error(), "consecutive") {
		t.Errorf("all problems: %v", err)
	}
}

func FuzzForecastDecode(f *testing.F) {
	f.Add(`{"issued":"2024-01-02T16:00:00+08:00","source":"s","days":[{"date":"2024-01-03","aqi":210,"primary":"pm25"}],"hours":[{"start":"2024-01-03T00:00","aqi":1}]}`)
	f.Add(`{"days":[{"date":"2024-02-30","aqi":1e99}]}`)
	f.Add(`{"issued":"2024-04-10T16:00:00+08:00","source":"总站","days":[{"date":"2024-04-11","aqi":500,"primary":"PM10","sand_dust":true},{"date":"2024-04-12","aqi":120,"sand_dust":"yes"}]}`)
	reg := testRegistry(f)
	loc := shanghai(f)
	c := ForecastChecker{Registry: reg, Location: loc}
	now := time.Date(2024, 1, 2, 17, 0, 0, 0, loc)
	f.Fuzz(func(t *testing.T, body string) {
		fc, err := c.Decode("changji", []byte(body), now)
		if err != nil {
			var rej *reading.Rejection
			if !errors.As(err, &rej) {
				t.Fatalf("not a rejection: %v", err)
			}
			return
		}
		if len(fc.Days) == 0 {
			t.Fatal("accepted a forecast without days")
		}
		_ = fc.lines(loc)
	})
}
