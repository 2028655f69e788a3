package source

import (
	"slices"
	"testing"
	"time"

	"lantian/ingest/reading"
)

// cleanDay is 24 plausible hours of a running coal unit, every field moving a little.
func cleanDay() []Hour {
	var hs []Hour
	for i := range 24 {
		hs = append(hs, hour("p1", "u1", i, map[string]float64{
			Dust: 3 + 0.1*float64(i%5), SO2: 20 + float64(i), NOx: 40 + 0.5*float64(i),
			FieldO2: 8 + 0.1*float64(i%3), FieldFlow: 500000 + 1000*float64(i), FieldTemp: 50 + 0.2*float64(i%4),
		}))
	}
	return hs
}

// setVar sets a field to values near v that change every hour.
func setVar(hs []Hour, from, to int, field string, v float64) []Hour {
	for i := from; i < to; i++ {
		x := v * (1 + 0.01*float64(i%3))
		hs[i].Fields[field] = FieldStat{Mean: x, Min: x, Max: x, Valid: 1, Total: 1, Status: StatusValid}
	}
	return hs
}

var dayLimits = Limits{Values: map[string]float64{Dust: 10, SO2: 35, NOx: 50}}

func set(hs []Hour, from, to int, field string, v float64) []Hour {
	for i := from; i < to; i++ {
		hs[i].Fields[field] = FieldStat{Mean: v, Min: v, Max: v, Valid: 1, Total: 1, Status: StatusValid}
	}
	return hs
}

func TestDayRules(t *testing.T) {
	type want struct {
		rule  Rule
		field string
		hours int
	}
	tests := []struct {
		name    string
		mutate  func([]Hour) []Hour
		notices []Notice
		want    []want // exactly these rules fire
	}{
		{name: "clean day", mutate: func(h []Hour) []Hour { return h }},

		{name: "silent 3 hours", mutate: func(h []Hour) []Hour { return slices.Delete(h, 5, 8) },
			want: []want{{RuleSilent, "", 3}}},
		{name: "2 hours without data is not silent yet", mutate: func(h []Hour) []Hour { return slices.Delete(h, 5, 7) }},

		{name: "missing hours: 19 valid", mutate: func(h []Hour) []Hour {
			for i := 0; i < 10; i += 2 { // five scattered gaps of one hour
				delete(h[i].Fields, NOx)
			}
			return h
		}, want: []want{{RuleMissingHours, NOx, 24}}},
		{name: "missing hours: 20 valid is a valid day", mutate: func(h []Hour) []Hour {
			for i := 0; i < 8; i += 2 {
				delete(h[i].Fields, NOx)
			}
			return h
		}},

		{name: "flat line 4 hours", mutate: func(h []Hour) []Hour { return set(h, 10, 14, SO2, 21.3) },
			want: []want{{RuleFlatLine, SO2, 4}}},
		{name: "3 equal hours are not a flat line", mutate: func(h []Hour) []Hour { return set(h, 10, 13, SO2, 21.3) }},
		{name: "varying within the hour breaks a flat line", mutate: func(h []Hour) []Hour {
			h = set(h, 10, 14, SO2, 21.3)
			s := h[11].Fields[SO2]
			s.Max = 22
			h[11].Fields[SO2] = s
			return h
		}},

		{name: "stuck at zero while flow on", mutate: func(h []Hour) []Hour { return set(h, 3, 5, NOx, 0) },
			want: []want{{RuleStuckZero, NOx, 2}}},
		{name: "zero while the plant is off is fine", mutate: func(h []Hour) []Hour {
			h = set(h, 3, 5, NOx, 0)
			h = set(h, 3, 4, FieldFlow, 0)
			return set(h, 4, 5, FieldFlow, 200) // below the 1000 m³/h idle flow, above "zero"
		}, want: []want{{RuleFlowZeroConc, FieldFlow, 1}}}, // hour 3: zero flow with dust/SO2 above idle

		{name: "dilution: O2 20 % with flow on", mutate: func(h []Hour) []Hour { return set(h, 7, 9, FieldO2, 20.1) },
			want: []want{{RuleDilution, FieldO2, 2}}},
		{name: "O2 20 % with the plant off is not dilution", mutate: func(h []Hour) []Hour {
			h = set(h, 7, 8, FieldO2, 20.6)
			h = set(h, 7, 8, FieldFlow, 500)
			for _, p := range []string{Dust, SO2, NOx} {
				h = set(h, 7, 8, p, 0.5) // all at idle
			}
			return h
		}},

		{name: "flow zero with concentrations", mutate: func(h []Hour) []Hour { return set(h, 12, 15, FieldFlow, 0) },
			want: []want{{RuleFlowZeroConc, FieldFlow, 3}}},
		{name: "flow zero with idle concentrations is a stopped plant", mutate: func(h []Hour) []Hour {
			h = set(h, 12, 13, FieldFlow, 0)
			h = set(h, 12, 13, Dust, 0.2)
			h = set(h, 12, 13, SO2, 1)
			return set(h, 12, 13, NOx, 2)
		}},

		{name: "5 flagged hours are too many", mutate: func(h []Hour) []Hour {
			for i := 1; i < 20; i += 4 {
				h[i] = flagged(h[i], reading.FlagCalibration, FieldO2)
			}
			return h
		}, want: []want{{RuleTooManyFlags, "", 24}}},
		{name: "4 flagged hours are allowed", mutate: func(h []Hour) []Hour {
			for i := 1; i < 16; i += 4 {
				h[i] = flagged(h[i], reading.FlagCalibration, NOx)
			}
			return h
		}},

		{name: "drop right after an inspection notice", mutate: func(h []Hour) []Hour { return setVar(h, 12, 18, NOx, 15) },
			notices: []Notice{{Kind: NoticeInspection, Time: at(12)}},
			want:    []want{{RuleDropAfter, NOx, 6}}},
		{name: "drop after a warning with a production cut is explained", mutate: func(h []Hour) []Hour {
			h = setVar(h, 12, 18, NOx, 15)
			return setVar(h, 12, 18, FieldFlow, 250000)
		}, notices: []Notice{{Kind: NoticeWarning, Time: at(12)}}},
		{name: "no drop after a notice", mutate: func(h []Hour) []Hour { return h },
			notices: []Notice{{Kind: NoticeWarning, Time: at(12)}}},
		{name: "a notice for another source is ignored", mutate: func(h []Hour) []Hour { return setVar(h, 12, 18, NOx, 15) },
			notices: []Notice{{Kind: NoticeInspection, Time: at(12), Source: "other"}}},
	}
	chk := mustChecker(t, testConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dq := chk.Day(DayInput{Source: "p1", Outlet: "u1", Day: at(3), Hours: tt.mutate(cleanDay()),
				Limits: dayLimits, Notices: tt.notices})
			var got []want
			for _, f := range dq.Findings {
				got = append(got, want{f.Rule, f.Field, f.Hours})
				if f.Detail == "" || f.Source != "p1" || f.Outlet != "u1" {
					t.Errorf("finding without detail or outlet: %+v", f)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("findings\n got %+v\nwant %+v\n(%+v)", got, tt.want, dq.Findings)
			}
			if len(tt.want) == 0 && dq.Score != 100 {
				t.Fatalf("score %g on a clean day", dq.Score)
			}
			if len(tt.want) > 0 && dq.Score >= 100 {
				t.Fatalf("score %g despite findings", dq.Score)
			}
			if !dq.Day.Equal(day0()) {
				t.Fatalf("day %v", dq.Day)
			}
		})
	}
}

func TestDayHourFindingsMergedAndScore(t *testing.T) {
	hs := cleanDay()
	for i := 2; i < 6; i++ {
		hs[i].Findings = []Finding{{Rule: RuleZsMismatch, Source: "p1", Outlet: "u1", Field: NOx,
			Start: hs[i].Start, End: hs[i].End(), Hours: 1, Value: 0.1 + float64(i)/100, Detail: "x"}}
	}
	hs[20].Findings = []Finding{{Rule: RuleZsMismatch, Source: "p1", Outlet: "u1", Field: NOx,
		Start: hs[20].Start, End: hs[20].End(), Hours: 1, Value: 0.5, Detail: "y"}}
	hs = set(hs, 7, 8, FieldO2, 20) // dilution too
	dq := mustChecker(t, testConfig()).Day(DayInput{Source: "p1", Outlet: "u1", Day: day0(), Hours: hs, Limits: dayLimits})
	var zs []Finding
	for _, f := range dq.Findings {
		if f.Rule == RuleZsMismatch {
			zs = append(zs, f)
		}
	}
	if len(zs) != 2 || zs[0].Hours != 4 || !near(zs[0].Value, 0.15) || zs[1].Hours != 1 {
		t.Fatalf("merged = %+v", zs)
	}
	// Each rule deducts once: 100 − 5 (zs_mismatch) − 15 (dilution).
	if dq.Score != 80 {
		t.Fatalf("score %g, want 80", dq.Score)
	}
	if Score([]Finding{{Rule: RuleSilent}, {Rule: RuleMissingHours}, {Rule: RuleFlatLine}, {Rule: RuleStuckZero},
		{Rule: RuleDilution}, {Rule: RuleDropAfter}, {Rule: RuleFlowZeroConc}, {Rule: RuleTooManyFlags}}, DefaultWeights()) != 0 {
		t.Fatal("the score must floor at 0")
	}
}

func TestSilentStream(t *testing.T) {
	chk := mustChecker(t, testConfig())
	k := OutletKey{"p1", "u1"}
	last := at(10)
	if _, ok := chk.Silent(k, last, last.Add(89*time.Second), 30*time.Second); ok {
		t.Fatal("2.97 intervals is not silent")
	}
	f, ok := chk.Silent(k, last, last.Add(90*time.Second), 30*time.Second)
	if !ok || f.Rule != RuleSilent || f.Value != 3 {
		t.Fatalf("3 intervals: %+v %v", f, ok)
	}
	if _, ok := chk.Silent(k, last, last.Add(time.Hour), 0); ok {
		t.Fatal("interval 0 disables the check")
	}
}
