package assess

import (
	"fmt"
	"time"

	"lantian/alert/aqi"
)

// Season is a yearly period from a month-day to a month-day, crossing the new year when End is
// before Start (the heating season, 采暖季). The days are inclusive.
type Season struct {
	Start string `yaml:"start"` // MM-DD
	End   string `yaml:"end"`   // MM-DD
}

// DefaultHeatingSeason is 15 October to 15 April. The plan makes the heating season its focus
// period without dates; this is the span northern Xinjiang's cities commonly heat in, not
// confirmed for 昌吉州's own ordinance — set assessment.heating_season to the prefecture's dates
// (docs/assessment.md "Heating season").
func DefaultHeatingSeason() Season { return Season{Start: "10-15", End: "04-15"} }

func parseMonthDay(s string) (time.Month, int, error) {
	t, err := time.Parse("01-02", s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not MM-DD", s)
	}
	return t.Month(), t.Day(), nil
}

// Validate checks both ends.
func (s Season) Validate() error {
	if _, _, err := parseMonthDay(s.Start); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if _, _, err := parseMonthDay(s.End); err != nil {
		return fmt.Errorf("end: %w", err)
	}
	return nil
}

// In returns the season that starts in year y.
func (s Season) In(y int) (from, to aqi.Date, err error) {
	sm, sd, err := parseMonthDay(s.Start)
	if err != nil {
		return from, to, err
	}
	em, ed, err := parseMonthDay(s.End)
	if err != nil {
		return from, to, err
	}
	from = aqi.Date{Year: y, Month: sm, Day: sd}
	to = aqi.Date{Year: y, Month: em, Day: ed}
	if to.Before(from) {
		to.Year++
	}
	return from, to, nil
}

// Around is the season containing d, or else the latest one that began before d.
func (s Season) Around(d aqi.Date) (from, to aqi.Date) {
	from, to, err := s.In(d.Year)
	if err != nil {
		return d, d
	}
	if d.Before(from) {
		from, to, _ = s.In(d.Year - 1)
	}
	return from, to
}

// Spans are the seasons that overlap first … last, each cut to it (the last one to date),
// labelled "heating-2025" for the season that starts in 2025 (2025-26).
func (s Season) Spans(first, last aqi.Date) []Span {
	var out []Span
	for y := first.Year - 1; y <= last.Year; y++ {
		from, to, err := s.In(y)
		if err != nil {
			return nil
		}
		if from.Before(first) {
			from = first
		}
		if last.Before(to) {
			to = last
		}
		if to.Before(from) {
			continue
		}
		out = append(out, Span{Label: fmt.Sprintf("heating-%d", y), From: from, To: to})
	}
	return out
}
