package aqi

import "testing"

// TestHourlyMissingPM25 is the real-time report's rule for an hour whose PM2.5 is missing, in
// both editions. HJ 633-2026 §5.3: with a pollutant missing or invalid, the AQI of the others is
// published only when it is above 100 (otherwise "NA"); PM2.5 is no exception. HJ 633-2012 has no
// such rule; the national real-time release published nothing for an hour without PM2.5
// (docs/assessment.md "Hourly AQI").
func TestHourlyMissingPM25(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rules   Rules
		spec    string
		publish bool
		aqi     int
		primary string
	}{
		// PM10 150 µg/m³: 2026 Table 3 PM10 column 120 → 100, 250 → 150: 100 + 50·30/130 = 111.5 → 112.
		{"2026 PM10 150", Rules2026, "pm10=150 so2=10 no2=10 co=1 o3=10", true, 112, "PM10"},
		{"2012 PM10 150", Rules2012, "pm10=150 so2=10 no2=10 co=1 o3=10", false, 0, ""},
		// PM10 120: IAQI exactly 100, not above it: NA in both.
		{"2026 PM10 on 100", Rules2026, "pm10=120 so2=10 no2=10 co=1 o3=10", false, 0, ""},
		{"2026 PM10 121", Rules2026, "pm10=121 so2=10 no2=10 co=1 o3=10", true, 101, "PM10"},
		// NO2 1h 250: 200 → 100, 700 → 150: 100 + 50·50/500 = 105.
		{"2026 NO2 250", Rules2026, "pm10=50 so2=10 no2=250 co=1 o3=10", true, 105, "NO2"},
		{"2012 NO2 250", Rules2012, "pm10=50 so2=10 no2=250 co=1 o3=10", false, 0, ""},
		{"2026 PM10 600", Rules2026, "pm10=600 so2=10 no2=10 co=1 o3=10", true, 500, "PM10"},
		{"2012 PM10 600", Rules2012, "pm10=600 so2=10 no2=10 co=1 o3=10", false, 0, ""},
		// Clean air without PM2.5: NA in both.
		{"2026 clean", Rules2026, "pm10=30 so2=10 no2=10 co=1 o3=10", false, 0, ""},
		// Nothing but PM2.5 missing … and PM10 too: still the others' AQI above 100.
		{"2026 O3 only", Rules2026, "so2=10 no2=10 co=1 o3=250", true, 125, "O3"},
		// With PM2.5 present both editions publish as before.
		// PM2.5 40: 2026 35 → 50, 60 → 100: 50 + 50·5/25 = 60; 2012 35 → 50, 75 → 100: 56.25 → 57.
		{"2026 complete", Rules2026, "pm25=40 pm10=50 so2=10 no2=10 co=1 o3=10", true, 60, "PM2.5"},
		{"2012 complete", Rules2012, "pm25=40 pm10=50 so2=10 no2=10 co=1 o3=10", true, 57, "PM2.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Hourly(tc.rules, hour(t, tc.spec))
			if res.Published != tc.publish || res.AQI != tc.aqi || res.PrimaryString() != tc.primary {
				t.Errorf("published %v AQI %d primary %q, want %v %d %q", res.Published, res.AQI, res.PrimaryString(),
					tc.publish, tc.aqi, tc.primary)
			}
			if tc.publish && tc.spec[:4] != "pm25" && !res.Partial {
				t.Error("an AQI without PM2.5 must be marked partial")
			}
		})
	}
}
