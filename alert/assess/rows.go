package assess

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/reading"
)

// ExpandFiles replaces each folder by the *.csv files inside it, in name order.
func ExpandFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("replay input: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.csv"))
		if err != nil {
			return nil, fmt.Errorf("replay input %s: %w", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("replay input %s: folder holds no *.csv file", p)
		}
		slices.Sort(m)
		out = append(out, m...)
	}
	return out, nil
}

// LoadRows reads every file (or folder of *.csv files) and returns the rows in time order
// (stable, so stations keep their file order within an hour), for lantian replay. Rows are held
// in memory, about 150 bytes each, because files given one station after another must be
// interleaved by hour: the live assessor accepts late hours only within its lateness window.
func LoadRows(files []string, label TimeLabel, loc *time.Location) ([]Row, error) {
	files, err := ExpandFiles(files)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, name := range files {
		if err := func() error {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("replay input: %w", err)
			}
			defer f.Close()
			rd, err := NewReader(f, Options{TimeLabel: label, Location: loc, InputName: name})
			if err != nil {
				return err
			}
			return rd.each(func(row Row) error {
				rows = append(rows, row)
				return nil
			})
		}(); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(rows, func(a, b Row) int { return a.Start.Compare(b.Start) })
	return rows, nil
}

// Reading is the row as an hourly air reading of the data contract, stamped with the start of
// its hour, holding only the valid values (the flag letter of an invalid one is not known after
// reading, and the assessment excludes either). The float64 of an exact decimal value is the
// nearest one, so HourFromReading gives the row's values back exactly.
func (r Row) Reading() reading.Reading {
	rd := reading.Reading{Kind: reading.Air, Station: r.Station, Time: r.Start, Period: reading.Hour}
	for p, s := range r.Values {
		if s.Valid {
			rd.Values = append(rd.Values, reading.Value{Name: lantianColumns[p], Value: float64(s.C) / float64(aqi.Unit)})
		}
	}
	return rd
}

// Readings converts rows with Row.Reading, for lantian replay.
func Readings(rows []Row) []reading.Reading {
	out := make([]reading.Reading, len(rows))
	for i, r := range rows {
		out[i] = r.Reading()
	}
	return out
}

func hasValue(r Row) bool {
	for _, s := range r.Values {
		if s.Valid {
			return true
		}
	}
	return false
}

// WriteCSV writes rows in Lantian's CSV format (start-labelled RFC 3339 times, valid values
// only, rows without any skipped as a replay skips them), e.g. to compute the offline report of
// exactly what a replay publishes.
func WriteCSV(w io.Writer, rows []Row, loc *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"station", "time"}, lantianColumns[:]...)); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	rec := make([]string, 8)
	for _, r := range rows {
		if !hasValue(r) {
			continue
		}
		rec[0], rec[1] = r.Station, r.Start.In(loc).Format(time.RFC3339)
		for p, s := range r.Values {
			rec[2+p] = ""
			if s.Valid {
				rec[2+p] = s.C.String()
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// ExpectedDaily computes the offline daily report (lantian assess --report daily) of exactly the
// rows a replay publishes, with areas, so the live aqi_daily points can be compared with it.
func ExpectedDaily(rows []Row, rules aqi.Rules, loc *time.Location, areas map[string]string, out io.Writer) error {
	var b bytes.Buffer
	if err := WriteCSV(&b, rows, loc); err != nil {
		return err
	}
	return Run(Options{Report: ReportDaily, Rules: rules, Location: loc, Areas: areas, InputName: "replay"}, &b, out)
}
