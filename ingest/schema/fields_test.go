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
