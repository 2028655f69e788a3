package assess

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// MaxLineBytes bounds one input line, so a file without newlines cannot make the reader buffer
// unbounded data.
const MaxLineBytes = 64 << 10

// maxStationLen bounds station names for the same reason (they are kept per station).
const maxStationLen = 256

// Row is one station-hour of input.
type Row struct {
	Line    int
	Station string
	// Stamp is the time as the input gives it, in the configured zone.
	Stamp time.Time
	// Start is the start of the hour the values cover (Stamp, or Stamp − 1 h for end labels).
	Start  time.Time
	Values aqi.HourValues
}

type format int

const (
	formatLantian format = iota + 1
	formatPRSA
)

// The pollutant columns of each format, in aqi.Pollutant order. Lantian's own CSV names them
// as the data contract does.
var (
	lantianColumns = schema.AirPollutants
	prsaColumns    = [aqi.NumPollutants]string{"pm2.5", "pm10", "so2", "no2", "co", "o3"}
)

// Reader reads hourly rows from CSV in either input format:
//
//   - Lantian: header station,time,pm25,pm10,so2,no2,co,o3 (any order, extra columns ignored),
//     optional columns pm25_flag … o3_flag holding HJ 212 data flags (a value whose flag is not
//     valid, e.g. M or C, is read as invalid). time is RFC 3339 or "YYYY-MM-DD HH:MM" in the
//     configured zone and must fall on a whole hour. µg/m³, CO mg/m³; empty or NA is missing.
//   - Beijing PRSA (UCI dataset 501): header No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,…,
//     station. CO is µg/m³ there and is converted to mg/m³ exactly; NA is missing.
type Reader struct {
	cr     *csv.Reader
	lim    *lineLimiter
	name   string
	loc    *time.Location
	shift  time.Duration
	format format
	header []string
	// column indexes
	station, time          int
	year, month, day, hour int
	values, flags          [aqi.NumPollutants]int
	nfields                int
}

// NewReader reads the header and detects the format.
func NewReader(in io.Reader, opts Options) (*Reader, error) {
	opts, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	r := &Reader{name: opts.InputName, loc: opts.Location}
	if opts.TimeLabel == LabelEnd {
		r.shift = -time.Hour
	}
	r.lim = &lineLimiter{r: bufio.NewReader(in), max: MaxLineBytes, line: 1}
	r.cr = csv.NewReader(r.lim)
	r.cr.ReuseRecord = true
	rec, err := r.cr.Read()
	if err == io.EOF {
		return nil, &aqi.InputError{Name: r.name, Line: 1, Err: errors.New("empty input: no header row")}
	}
	if err != nil {
		return nil, r.wrapCSV(err)
	}
	r.nfields = len(rec)
	idx := map[string]int{}
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := idx[h]; dup && h != "" {
			return nil, &aqi.InputError{Name: r.name, Line: 1, Column: i + 1, Err: fmt.Errorf("duplicate column %q", h)}
		}
		idx[h] = i
		r.header = append(r.header, h)
	}
	need := func(names ...string) error {
		for _, n := range names {
			if _, ok := idx[n]; !ok {
				return &aqi.InputError{Name: r.name, Line: 1, Err: fmt.Errorf("header lacks column %q", n)}
			}
		}
		return nil
	}
	_, hasYear := idx["year"]
	_, hasTime := idx["time"]
	switch {
	case hasYear && !hasTime:
		r.format = formatPRSA
		if err := need(append([]string{"year", "month", "day", "hour", "station"}, prsaColumns[:]...)...); err != nil {
			return nil, err
		}
		r.year, r.month, r.day, r.hour = idx["year"], idx["month"], idx["day"], idx["hour"]
		for p, n := range prsaColumns {
			r.values[p], r.flags[p] = idx[n], -1
		}
	default:
		r.format = formatLantian
		if err := need(append([]string{"station", "time"}, lantianColumns[:]...)...); err != nil {
			return nil, fmt.Errorf("%w (want station,time,pm25,pm10,so2,no2,co,o3 or the Beijing PRSA header)", err)
		}
		r.time = idx["time"]
		for p, n := range lantianColumns {
			r.values[p] = idx[n]
			r.flags[p] = -1
			if f, ok := idx[n+"_flag"]; ok {
				r.flags[p] = f
			}
		}
	}
	r.station = idx["station"]
	return r, nil
}

func (r *Reader) wrapCSV(err error) error {
	var pe *csv.ParseError
	if errors.Is(err, errLineTooLong) {
		return &aqi.InputError{Name: r.name, Line: r.lim.line, Err: err}
	}
	if errors.As(err, &pe) {
		return &aqi.InputError{Name: r.name, Line: pe.Line, Column: pe.Column, Err: pe.Err}
	}
	return fmt.Errorf("read %s: %w", r.name, err)
}

func (r *Reader) fieldErr(rec []string, i int, err error) error {
	line, col := r.cr.FieldPos(i)
	return &aqi.InputError{Name: r.name, Line: line, Column: col, Field: r.header[i], Err: err}
}

// Read returns the next row, or io.EOF.
func (r *Reader) Read() (Row, error) {
	rec, err := r.cr.Read()
	if err != nil {
		if err == io.EOF {
			return Row{}, io.EOF
		}
		return Row{}, r.wrapCSV(err)
	}
	var row Row
	row.Line, _ = r.cr.FieldPos(0)
	row.Station = strings.TrimSpace(rec[r.station])
	switch {
	case row.Station == "":
		return Row{}, r.fieldErr(rec, r.station, errors.New("empty station"))
	case len(row.Station) > maxStationLen:
		return Row{}, r.fieldErr(rec, r.station, fmt.Errorf("station name longer than %d bytes", maxStationLen))
	}
	if r.format == formatPRSA {
		row.Stamp, err = r.prsaTime(rec)
	} else {
		row.Stamp, err = r.lantianTime(rec)
	}
	if err != nil {
		return Row{}, err
	}
	row.Start = row.Stamp.Add(r.shift)
	for p := range aqi.NumPollutants {
		s := strings.TrimSpace(rec[r.values[p]])
		if s == "" || s == "NA" {
			continue
		}
		var c aqi.Conc
		if r.format == formatPRSA && p == aqi.CO {
			c, err = aqi.ParseConcMilli(s) // µg/m³ → mg/m³
		} else {
			c, err = aqi.ParseConc(s)
		}
		if err != nil {
			return Row{}, r.fieldErr(rec, r.values[p], err)
		}
		valid := true
		if f := r.flags[p]; f >= 0 {
			flag, err := reading.ParseFlag(strings.TrimSpace(rec[f]))
			if err != nil {
				return Row{}, r.fieldErr(rec, f, err)
			}
			valid = flag.Valid()
		}
		row.Values[p] = aqi.Sample{C: c, Valid: valid}
	}
	return row, nil
}

// each calls f with every row until the input ends; it stops at the first error of either.
func (r *Reader) each(f func(Row) error) error {
	for {
		row, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(row); err != nil {
			return err
		}
	}
}

func (r *Reader) lantianTime(rec []string) (time.Time, error) {
	s := strings.TrimSpace(rec[r.time])
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		var err2 error
		t, err2 = time.ParseInLocation("2006-01-02 15:04", s, r.loc)
		if err2 != nil {
			return time.Time{}, r.fieldErr(rec, r.time, fmt.Errorf("time %q is neither RFC 3339 nor YYYY-MM-DD HH:MM", s))
		}
	}
	t = t.In(r.loc)
	if t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		return time.Time{}, r.fieldErr(rec, r.time, fmt.Errorf("time %q is not on a whole hour", s))
	}
	return t, nil
}

func (r *Reader) prsaTime(rec []string) (time.Time, error) {
	var v [4]int
	for k, i := range [4]int{r.year, r.month, r.day, r.hour} {
		n, err := strconv.Atoi(strings.TrimSpace(rec[i]))
		if err != nil {
			return time.Time{}, r.fieldErr(rec, i, fmt.Errorf("not an integer: %q", rec[i]))
		}
		v[k] = n
	}
	y, m, d, h := v[0], v[1], v[2], v[3]
	if y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 || h < 0 || h > 23 {
		return time.Time{}, r.fieldErr(rec, r.year, fmt.Errorf("no such time %d-%d-%d %d h", y, m, d, h))
	}
	t := time.Date(y, time.Month(m), d, h, 0, 0, 0, r.loc)
	if t.Day() != d || t.Hour() != h {
		return time.Time{}, r.fieldErr(rec, r.day, fmt.Errorf("no such time %d-%02d-%02d %02d h in %s", y, m, d, h, r.loc))
	}
	return t, nil
}

// lineLimiter fails a read once a line grows beyond max bytes.
type lineLimiter struct {
	r    *bufio.Reader
	max  int
	n    int // bytes since the last newline
	line int // 1-based number of the line being read
}

var errLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			l.n = 0
			l.line++
			continue
		}
		l.n++
		if l.n > l.max {
			return i, errLineTooLong
		}
	}
	return n, err
}
