package source

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPresetWorkedExamples judges examples against presets. The first two are the worked
// examples of the standards' oxygen correction published with the project's reference
// (air-quality-standards.md §6.1); the others are computed here with the same formula.
func TestPresetWorkedExamples(t *testing.T) {
	ps := Presets()
	for _, c := range []struct {
		preset, pollutant string
		measured, o2      float64
		want              float64 // converted value, rounded to 0.01
		pass              bool
	}{
		{"ultra-low-coal-power", NOx, 60, 8.5, 72, false},         // published: 60 × 15/12.5 = 72 > 50
		{"gb13271-2014-coal-special", SO2, 150, 12, 200, true},    // published: 150 × 12/9 = 200 ≤ 200
		{"gb13223-2011-gas-turbine", NOx, 30, 16.5, 40, true},     // 30 × 6/4.5 = 40 ≤ 50
		{"gb13223-2011-gas-turbine", NOx, 40, 16.5, 53.33, false}, // 40 × 6/4.5 = 53.3 > 50
		{"gb13223-2011-gas-boiler", NOx, 80, 6, 96, true},         // 80 × 18/15 = 96 ≤ 100
		{"gb13223-2011-oil-turbine-special", NOx, 100, 15, 100, true},
		{"gb4915-2013-cement-kiln", NOx, 350, 12, 427.78, false},     // 350 × 11/9 > 400
		{"gb16171-2012-coke-oven-special", SO2, 25, 10, 29.55, true}, // 25 × 13/11 ≤ 30
		{"gb31571-2015-heater-special", NOx, 90, 5, 101.25, false},   // 90 × 18/16
		{"gb37822-2019-site-nmhc", NMHC, 12, 20.9, 12, false},        // measured: no correction
		{"gb37822-2019-site-nmhc-special", NMHC, 6, 0, 6, true},      // equal to the limit passes
	} {
		p, ok := ps[c.preset]
		if !ok {
			t.Fatalf("preset %s missing", c.preset)
		}
		got := c.measured
		if p.ReferenceO2Pct > 0 {
			var err error
			if got, err = CorrectO2(c.measured, c.o2, p.ReferenceO2Pct); err != nil {
				t.Fatalf("%s: %v", c.preset, err)
			}
		}
		if math.Abs(got-c.want) > 0.005 {
			t.Errorf("%s %s %g at %g %% O2: converted %.4g, want %g", c.preset, c.pollutant, c.measured, c.o2, got, c.want)
		}
		if pass := got <= p.Values[c.pollutant]; pass != c.pass {
			t.Errorf("%s %s %.4g against %g: pass %v, want %v", c.preset, c.pollutant, got, p.Values[c.pollutant], pass, c.pass)
		}
	}
}

// TestPresetTableInDocs checks docs/sources.md's preset table against Presets(): every preset
// documented with its reference O2, values and confidence marks, and nothing else.
func TestPresetTableInDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/sources.md")
	if err != nil {
		t.Fatal(err)
	}
	ps := Presets()
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		name := strings.Trim(cells[0], "`")
		p, ok := ps[name]
		if !ok {
			continue // another table's row
		}
		if len(cells) != 8 {
			t.Fatalf("%s: %d cells, want 8 (preset what O2 dust SO2 NOx NMHC citation)", name, len(cells))
		}
		seen[name] = true
		if want := strconv.FormatFloat(p.ReferenceO2Pct, 'f', -1, 64) + " % " + string(p.O2Confidence); p.ReferenceO2Pct > 0 && cells[2] != want {
			t.Errorf("%s: O2 %q, want %q", name, cells[2], want)
		}
		if p.ReferenceO2Pct == 0 && !strings.HasPrefix(cells[2], "none") {
			t.Errorf("%s: O2 %q, want none (measured values)", name, cells[2])
		}
		for i, f := range []string{Dust, SO2, NOx, NMHC} {
			want := "–"
			if v, ok := p.Values[f]; ok {
				want = strconv.FormatFloat(v, 'f', -1, 64) + " " + string(p.Confidence[f])
			}
			if cells[3+i] != want {
				t.Errorf("%s %s: %q, want %q", name, f, cells[3+i], want)
			}
		}
	}
	for name := range ps {
		if !seen[name] {
			t.Errorf("preset %s is not in docs/sources.md", name)
		}
	}
}
