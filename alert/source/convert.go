package source

import (
	"errors"
	"fmt"
	"math"
)

// ambientO2Pct is the O2 content of dry air that the correction formula uses.
const ambientO2Pct = 21

// Errors of CorrectO2. Callers count them as "conversion skipped" rather than dropping data.
var (
	ErrO2Missing = errors.New("no usable O2 value")
	ErrO2Ambient = errors.New("measured O2 at or above 21 %")
)

// CorrectO2 converts a measured concentration to the reference O2 (折算):
//
//	C_ref = C_measured × (21 − O2_ref) / (21 − O2_measured)
//
// (the correction of GB 13223, GB 13271, GB 4915, GB 16171 and the other emission standards that
// set a reference O2). A measured O2 of 21 % or more has no meaning for flue gas and would
// divide by zero or flip the sign, so it is refused; the caller keeps the measured value and
// reports the skip instead of guessing.
func CorrectO2(measured, o2Measured, o2Ref float64) (float64, error) {
	switch {
	case math.IsNaN(o2Measured) || math.IsInf(o2Measured, 0):
		return 0, fmt.Errorf("O2 %v: %w", o2Measured, ErrO2Missing)
	case o2Measured >= ambientO2Pct:
		return 0, fmt.Errorf("O2 %g %%: %w", o2Measured, ErrO2Ambient)
	case o2Measured < 0:
		return 0, fmt.Errorf("O2 %g %% is negative: %w", o2Measured, ErrO2Missing)
	case o2Ref < 0 || o2Ref >= ambientO2Pct:
		return 0, fmt.Errorf("reference O2 %g %% is outside [0, 21)", o2Ref)
	}
	return measured * (ambientO2Pct - o2Ref) / (ambientO2Pct - o2Measured), nil
}

// Disagreement is the relative difference between the analyser's converted value and
// Lantian's, |device − calc| / max(|device|, |calc|). It is 0 when both are below minConc,
// because near zero a tiny absolute difference is a huge relative one and means nothing.
func Disagreement(device, calc, minConc float64) float64 {
	m := math.Max(math.Abs(device), math.Abs(calc))
	if m < minConc || m == 0 {
		return 0
	}
	return math.Abs(device-calc) / m
}
