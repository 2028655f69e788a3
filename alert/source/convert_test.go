package source

import (
	"errors"
	"math"
	"testing"
)

func TestCorrectO2(t *testing.T) {
	tests := []struct {
		name              string
		measured, o2, ref float64
		want              float64
		wantErr           error
		wantAnyErr        bool
	}{
		// Worked examples of docs/sources.md.
		{name: "coal power NOx 60 at 8.5 % → 72 at 6 %", measured: 60, o2: 8.5, ref: 6, want: 72},
		{name: "coal boiler SO2 150 at 12 % → 200 at 9 %", measured: 150, o2: 12, ref: 9, want: 200},
		{name: "O2 at reference: unchanged", measured: 35, o2: 6, ref: 6, want: 35},
		{name: "O2 below reference lowers the value", measured: 30, o2: 3, ref: 6, want: 25},
		{name: "zero stays zero", measured: 0, o2: 10, ref: 6, want: 0},
		{name: "O2 exactly 21 refused", measured: 10, o2: 21, ref: 6, wantErr: ErrO2Ambient},
		{name: "O2 above 21 refused", measured: 10, o2: 25, ref: 6, wantErr: ErrO2Ambient},
		{name: "negative O2 refused", measured: 10, o2: -1, ref: 6, wantErr: ErrO2Missing},
		{name: "NaN O2 refused", measured: 10, o2: math.NaN(), ref: 6, wantErr: ErrO2Missing},
		{name: "reference 21 refused", measured: 10, o2: 5, ref: 21, wantAnyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CorrectO2(tt.measured, tt.o2, tt.ref)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.wantAnyErr:
				if err == nil {
					t.Fatalf("no error, got %g", got)
				}
			case err != nil:
				t.Fatal(err)
			case !near(got, tt.want):
				t.Fatalf("got %g, want %g", got, tt.want)
			}
		})
	}
}

func TestDisagreement(t *testing.T) {
	tests := []struct {
		dev, calc, min, want float64
	}{
		{dev: 72, calc: 72, min: 1, want: 0},
		{dev: 80, calc: 72, min: 1, want: 0.1},
		{dev: 72, calc: 80, min: 1, want: 0.1},
		{dev: 0.3, calc: 0.1, min: 1, want: 0}, // both below the floor: not compared
		{dev: 0, calc: 0, min: 0, want: 0},
		{dev: 2, calc: 0, min: 1, want: 1},
	}
	for _, tt := range tests {
		if got := Disagreement(tt.dev, tt.calc, tt.min); !near(got, tt.want) {
			t.Errorf("Disagreement(%g, %g, %g) = %g, want %g", tt.dev, tt.calc, tt.min, got, tt.want)
		}
	}
}
