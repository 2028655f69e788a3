package dust

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxCSVRows bounds an imported file: a year of notices is tens of rows.
const maxCSVRows = 10000

// ParseCSV reads sand-dust periods from CSV with the header
//
//	from,to,areas,note
//
// from and to are RFC 3339 times or "2006-01-02 15:04" in zone; areas are county/park ids
// separated by ";" (empty: the whole prefecture); note is free text (e.g. the notice's number).
// It is the form the monitoring centre transcribes the meteorological service's sand-dust
// notices into; the service's own format is not standardised (docs/assessment.md).
func ParseCSV(r io.Reader, name string, zone *time.Location) ([]Request, error) {
	cr := csv.NewReader(io.LimitReader(r, 4<<20))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"from", "to"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: header lacks %q (want from,to,areas,note)", name, need)
		}
	}
	get := func(rec []string, k string) string {
		if i, ok := col[k]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Request
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if len(out) >= maxCSVRows {
			return nil, fmt.Errorf("%s: more than %d periods", name, maxCSVRows)
		}
		var q Request
		if q.From, err = parseTime(get(rec, "from"), zone); err != nil {
			return nil, fmt.Errorf("%s:%d: from: %w", name, line, err)
		}
		if q.To, err = parseTime(get(rec, "to"), zone); err != nil {
			return nil, fmt.Errorf("%s:%d: to: %w", name, line, err)
		}
		for _, a := range strings.Split(get(rec, "areas"), ";") {
			if a = strings.TrimSpace(a); a != "" {
				q.Areas = append(q.Areas, a)
			}
		}
		q.Note = get(rec, "note")
		if err := q.check(nil); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, q)
	}
}

func parseTime(s string, zone *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if zone == nil {
		zone = time.FixedZone("CST", 8*3600)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor 2006-01-02 15:04", s)
	}
	return t, nil
}
