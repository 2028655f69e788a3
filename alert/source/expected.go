package source

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"lantian/ingest/reading"
)

// ExpectedBasis says where the expected number of values of an hour comes from.
type ExpectedBasis string

// Bases of the expected number of values, as `lantian config check` prints them.
const (
	// ExpectedRecord: an hourly record (1h) is one value.
	ExpectedRecord ExpectedBasis = "record"
	// ExpectedOutlet: source_monitoring.outlet_expected_samples names the outlet.
	ExpectedOutlet ExpectedBasis = "outlet"
	// ExpectedSection: source_monitoring.expected_samples names the period.
	ExpectedSection ExpectedBasis = "section"
	// ExpectedPeriod: the period says it (1m: 60 minutes in an hour).
	ExpectedPeriod ExpectedBasis = "period"
	// ExpectedInterval: real-time data at the outlet's reporting interval (an hour divided by
	// expected_intervals / expected_interval).
	ExpectedInterval ExpectedBasis = "interval"
	// ExpectedReceived: no expectation is known (real-time data without a reporting interval
	// shorter than an hour); the share is taken of the values received, so a logger that
	// sends only some of its values is not caught.
	ExpectedReceived ExpectedBasis = "received"
)

// Expected returns how many values of period an hour of outlet k is expected to hold, for the
// min_valid_fraction (75 %) rule, and where the number comes from; 0 with ExpectedReceived
// means the share is taken of the values that arrived. The order: an hourly record is one
// value; then the outlet's override, the section's expected_samples, the period itself (60
// one-minute values), and for real-time data the outlet's reporting interval.
func (c Config) Expected(k OutletKey, p reading.Period) (int, ExpectedBasis) {
	if p == reading.Hour {
		return 1, ExpectedRecord
	}
	if n, ok := c.ExpectedByOutlet[k][string(p)]; ok {
		return n, ExpectedOutlet
	}
	if n, ok := c.ExpectedSamples[string(p)]; ok {
		return n, ExpectedSection
	}
	if p == reading.Minute {
		return int(time.Hour / time.Minute), ExpectedPeriod
	}
	iv := c.RTInterval
	if x, ok := c.RTIntervalByOutlet[k]; ok {
		iv = x
	}
	if iv > 0 && iv < time.Hour {
		return int(time.Hour / iv), ExpectedInterval
	}
	return 0, ExpectedReceived
}

// validateExpected checks the per-outlet expectations.
func (c Config) validateExpected() []error {
	var errs []error
	for _, k := range slices.SortedFunc(maps.Keys(c.ExpectedByOutlet), compareKeys) {
		for _, p := range slices.Sorted(maps.Keys(c.ExpectedByOutlet[k])) {
			if err := checkExpectedPeriod(p, c.ExpectedByOutlet[k][p]); err != nil {
				errs = append(errs, fmt.Errorf("expected samples of %s: %w", k, err))
			}
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(c.RTIntervalByOutlet), compareKeys) {
		if c.RTIntervalByOutlet[k] < 0 {
			errs = append(errs, fmt.Errorf("reporting interval of %s is negative", k))
		}
	}
	return errs
}

func checkExpectedPeriod(p string, n int) error {
	switch reading.Period(p) {
	case reading.RealTime, reading.Minute:
	default:
		return fmt.Errorf("period %q: only rt and 1m take an expected number (an hourly record is one value)", p)
	}
	if n <= 0 {
		return fmt.Errorf("%s: %d must be positive", p, n)
	}
	return nil
}
