package schema

import "testing"

// The full field lists begin with the pollutant lists, so that a reader of either sees the same
// names in the same order, and each source pollutant has its converted "_zs" twin.
func TestFieldListsExtendThePollutantLists(t *testing.T) {
	for i, p := range AirPollutants {
		if AirFields[i] != p {
			t.Errorf("AirFields[%d] = %q, want the pollutant %q", i, AirFields[i], p)
		}
	}
	n := len(SourcePollutants)
	for i, p := range SourcePollutants {
		if SourceFields[i] != p || SourceFields[n+i] != p+"_zs" {
			t.Errorf("SourceFields[%d], [%d] = %q, %q, want %q, %q", i, n+i, SourceFields[i], SourceFields[n+i], p, p+"_zs")
		}
	}
	for _, list := range [][]string{AirFields[:], SourceFields[:]} {
		seen := map[string]bool{}
		for _, f := range list {
			if seen[f] {
				t.Errorf("field %q listed twice", f)
			}
			seen[f] = true
		}
	}
}

// The per-pollutant fields of the AQI measurements follow AirPollutants: the writer indexes
// them by pollutant. A daily value is the pollutant's own name but for O3, whose daily value is
// the maximum 8-h mean.
func TestAQIFieldsFollowThePollutantList(t *testing.T) {
	for i, p := range AirPollutants {
		if IAQIFields[i] != "iaqi_"+p {
			t.Errorf("IAQIFields[%d] = %q, want %q", i, IAQIFields[i], "iaqi_"+p)
		}
		want := p
		if p == "o3" {
			want = FieldO3_8h
		}
		if DailyFields[i] != want {
			t.Errorf("DailyFields[%d] = %q, want %q", i, DailyFields[i], want)
		}
	}
}
