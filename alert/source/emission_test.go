package source

import "testing"

func TestEmissionRate(t *testing.T) {
	tests := []struct{ conc, flow, want float64 }{
		{35, 500000, 17.5},                       // SO2 at the ultra-low limit from a 500 000 m³/h stack
		{10, 1_200_000, 12},                      // dust from a large unit
		{0, 500000, 0},                           //
		{100, 0, 0},                              // no flow, no mass
		{72.5, 18.4 * 3600, 72.5 * 66240 * 1e-6}, // flow sent in m³/s and converted upstream
	}
	for _, tt := range tests {
		if got := EmissionRateKgPerH(tt.conc, tt.flow); !near(got, tt.want) {
			t.Errorf("EmissionRateKgPerH(%g, %g) = %g, want %g", tt.conc, tt.flow, got, tt.want)
		}
	}
}

func TestDailyTotals(t *testing.T) {
	hs := []Hour{
		hour("a", "u1", 0, map[string]float64{SO2 + SuffixRate: 2, NOx + SuffixRate: 3}),
		hour("a", "u1", 1, map[string]float64{SO2 + SuffixRate: 4}),
		hour("a", "u2", 1, map[string]float64{SO2 + SuffixRate: 1}),
		hour("b", "u1", 5, map[string]float64{SO2 + SuffixRate: 10}),
		hour("a", "u1", 24, map[string]float64{SO2 + SuffixRate: 7}), // next day
		flagged(hour("a", "u1", 2, nil), 'M', SO2+SuffixRate),        // flagged: not summed
	}
	bySrc, byCounty := DailyTotals(hs, map[string]string{"a": "changji", "b": "changji"}, testConfig())
	type k struct {
		day    int
		who, p string
	}
	got := map[k]Total{}
	for _, x := range bySrc {
		got[k{int(x.Day.Sub(day0()).Hours() / 24), x.Source, x.Pollutant}] = x
	}
	for _, x := range byCounty {
		got[k{int(x.Day.Sub(day0()).Hours() / 24), "county:" + x.County, x.Pollutant}] = x
	}
	want := map[k][2]float64{ // kg, hours
		{0, "a", SO2}: {7, 3}, {0, "a", NOx}: {3, 1}, {0, "b", SO2}: {10, 1}, {1, "a", SO2}: {7, 1},
		{0, "county:changji", SO2}: {17, 4}, {0, "county:changji", NOx}: {3, 1}, {1, "county:changji", SO2}: {7, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d totals, want %d: %+v", len(got), len(want), got)
	}
	for key, w := range want {
		if g := got[key]; !near(g.Kg, w[0]) || g.Hours != int(w[1]) {
			t.Errorf("%v: got %g kg over %d h, want %g over %g", key, g.Kg, g.Hours, w[0], w[1])
		}
	}
	if !bySrc[0].Day.Equal(day0()) || bySrc[0].County != "changji" {
		t.Fatalf("first total %+v", bySrc[0])
	}
}
