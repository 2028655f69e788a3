package warning

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"lantian/alert/aqi"
	"lantian/ingest/registry"
)

// WindowDays is the forecast window of the offline engine: the row's date and the following
// dates of the same area, up to 7 days in all (the 7-day city forecasts the plan asks for,
// 昌州环发〔2019〕30号 item 22).
const WindowDays = 7

// Options configure RecommendCSV. The zero value uses Scheme2024.
type Options struct {
	// Scheme grades the windows; a scheme without rules means Scheme2024.
	Scheme Scheme
	// InputName names the input in error messages (empty: "input").
	InputName string
}

var (
	inputHeader  = []string{"area", "date", "aqi"}
	outputHeader = []string{"area", "date", "level", "reason"}
)

type csvRow struct {
	line int
	day  DayAQI
}

// RecommendCSV reads daily forecast AQI as CSV "area,date,aqi" (an optional header row of those
// names; the rows of one area together, on consecutive dates) and writes "area,date,level,reason":
// for each input row, the highest level met anywhere in the window of that date and the
// following dates of the same area, up to WindowDays in all, and the finding that explains it.
// Memory is bounded by one window per run, whatever the input's length.
func RecommendCSV(opts Options, in io.Reader, out io.Writer) error {
	s := opts.Scheme
	if len(s.Rules) == 0 {
		s = Scheme2024()
	}
	if err := s.Validate(); err != nil {
		return err
	}
	name := opts.InputName
	if name == "" {
		name = "input"
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = len(inputHeader)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	w := csv.NewWriter(out)
	if err := w.Write(outputHeader); err != nil {
		return fmt.Errorf("write recommendations: %w", err)
	}

	var (
		area   string
		prev   aqi.Date           // date of the current area's last row
		window []csvRow           // rows of the current area not yet written
		done   = map[string]int{} // last line of every area seen
		rec    = make([]string, len(outputHeader))
	)
	// emit writes the first buffered row, graded over the buffered window.
	emit := func() error {
		days := make([]DayAQI, len(window))
		for i, r := range window {
			days[i] = r.day
		}
		a, err := s.Evaluate(Input{Area: area, Days: days})
		if err != nil {
			return &aqi.InputError{Name: name, Line: window[0].line, Err: err}
		}
		rec[0], rec[1], rec[2], rec[3] = area, window[0].day.Date.String(), a.Level.String(), a.Reason()
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("write recommendations: %w", err)
		}
		window = window[1:]
		return nil
	}
	flush := func() error {
		for len(window) > 0 {
			if err := emit(); err != nil {
				return err
			}
		}
		return nil
	}

	for first := true; ; first = false {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					return &aqi.InputError{Name: name, Line: pe.Line, Err: fmt.Errorf("want 3 fields area,date,aqi: %w", pe.Err)}
				}
				return &aqi.InputError{Name: name, Line: pe.Line, Column: pe.Column, Err: pe.Err}
			}
			return fmt.Errorf("read %s: %w", name, err)
		}
		if first && isHeader(fields) {
			continue
		}
		line, _ := cr.FieldPos(0)
		fieldErr := func(i int, err error) error {
			l, col := cr.FieldPos(i)
			return &aqi.InputError{Name: name, Line: l, Column: col, Field: inputHeader[i], Err: err}
		}
		a := strings.TrimSpace(fields[0])
		if err := registry.CheckID(a); err != nil {
			return fieldErr(0, err)
		}
		d, err := aqi.ParseDate(strings.TrimSpace(fields[1]))
		if err != nil {
			return fieldErr(1, fmt.Errorf("want YYYY-MM-DD: %w", err))
		}
		v, err := parseAQI(fields[2])
		if err != nil {
			return fieldErr(2, err)
		}
		if a != area {
			if prev, seen := done[a]; seen {
				return fieldErr(0, fmt.Errorf("area %s appears again after other areas (its rows ended at line %d); keep the rows of one area together", a, prev))
			}
			if err := flush(); err != nil {
				return err
			}
			area = a
		} else if d != prev.AddDays(1) {
			return fieldErr(1, fmt.Errorf("date %s does not follow %s, the previous date of area %s: dates must be consecutive", d, prev, a))
		}
		prev = d
		window = append(window, csvRow{line: line, day: DayAQI{Date: d, AQI: v}})
		if len(window) == WindowDays {
			if err := emit(); err != nil {
				return err
			}
		}
		done[a] = line
	}
	if err := flush(); err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write recommendations: %w", err)
	}
	return nil
}

func isHeader(fields []string) bool {
	for i, h := range inputHeader {
		if !strings.EqualFold(strings.TrimSpace(fields[i]), h) {
			return false
		}
	}
	return true
}

func parseAQI(s string) (int, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty AQI (a forecast needs a value for every day)")
	}
	v, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer AQI", t)
	}
	if v < 0 || v > maxAQI {
		return 0, fmt.Errorf("AQI %d outside 0–%d", v, maxAQI)
	}
	return v, nil
}
