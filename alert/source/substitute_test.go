package source

import (
	"math"
	"testing"

	"lantian/ingest/reading"
)

// rateHour is an hour of outlet p1/u1 with a valid NOx rate of kg kg/h (NOx 100 mg/m³ at a
// flow of kg × 10⁴ m³/h).
func rateHour(h int, kg float64) Hour {
	return hour("p1", "u1", h, map[string]float64{NOx: 100, FieldFlow: kg * 1e4, NOx + SuffixRate: kg})
}

func TestSubstitutedMasses(t *testing.T) {
	k := OutletKey{"p1", "u1"}
	var hs []Hour
	// Day 0: hours 0–3 measured 10, 20, 30, 40 kg; 4–6 missing; 7 measured 60; 8 stopped (F);
	// 9–10 flagged as maintenance (invalid); 11 measured 20.
	for h, kg := range []float64{10, 20, 30, 40} {
		hs = append(hs, rateHour(h, kg))
	}
	hs = append(hs, rateHour(7, 60))
	stopped := hour("p1", "u1", 8, nil)
	stopped.Fields[FieldFlow] = FieldStat{Total: 1, Status: StatusFlagged, Flag: reading.FlagStopped}
	hs = append(hs, stopped)
	hs = append(hs, flagged(hour("p1", "u1", 9, nil), reading.FlagMaintenance, FieldFlow), flagged(hour("p1", "u1", 10, nil), reading.FlagMaintenance, FieldFlow))
	hs = append(hs, rateHour(11, 20))
	got := SubstitutedMasses(hs, k, at(0), at(12))[NOx]
	want := []struct {
		kg    float64
		basis MassBasis
	}{{10, MassMeasured}, {20, MassMeasured}, {30, MassMeasured}, {40, MassMeasured},
		{50, MassShortGap}, {50, MassShortGap}, {50, MassShortGap}, // (40 + 60) / 2
		{60, MassMeasured}, {0, MassStopped},
		{20, MassShortGap}, {20, MassShortGap}, // after a stop, only the hour after is a neighbour
		{20, MassMeasured}}
	if len(got) != len(want) {
		t.Fatalf("%d hours, want %d: %+v", len(got), len(want), got)
	}
	var tot MassTotal
	for i, w := range want {
		if math.Abs(got[i].Kg-w.kg) > 1e-9 || got[i].Basis != w.basis {
			t.Errorf("hour %d: %g %s, want %g %s", i, got[i].Kg, got[i].Basis, w.kg, w.basis)
		}
		tot.Add(got[i])
	}
	if tot.MeasuredKg != 180 || tot.SubstitutedKg != 180+150+40 || tot.MeasuredHours != 6 || tot.SubstitutedHours != 5 || tot.StoppedHours != 1 {
		t.Errorf("total %+v", tot)
	}

	// A 30-hour outage takes the largest of the valid hours before it (40), not the neighbours.
	long := []Hour{rateHour(0, 10), rateHour(1, 40), rateHour(2, 15), rateHour(33, 5)}
	got = SubstitutedMasses(long, k, at(3), at(33))[NOx]
	if len(got) != 30 || got[0].Basis != MassLongGap || got[0].Kg != 40 || got[29].Kg != 40 {
		t.Fatalf("long gap: %d hours, first %+v", len(got), got[0])
	}
	// Hours 0–4 before the first measurement: a short run with only the hour after.
	got = SubstitutedMasses([]Hour{rateHour(5, 10)}, k, at(0), at(5))[NOx]
	tot = MassTotal{}
	for _, m := range got {
		tot.Add(m)
	}
	if tot.SubstitutedHours != 5 || tot.SubstitutedKg != 50 {
		t.Errorf("leading gap: %+v", tot)
	}
	// Nothing to substitute from: unknown, counted apart.
	stop := hour("p1", "u1", 3, nil)
	stop.Fields[FieldFlow] = FieldStat{Total: 1, Status: StatusFlagged, Flag: reading.FlagStopped}
	got = SubstitutedMasses([]Hour{stop, rateHour(6, 1)}, k, at(4), at(5))[NOx]
	if len(got) != 1 || got[0].Basis != MassShortGap {
		t.Errorf("gap after a stop with a later measurement: %+v", got)
	}
}
