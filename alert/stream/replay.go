package stream

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"lantian/alert/aqi"
	"lantian/alert/assess"
	"lantian/ingest/mqttpub"
	"lantian/ingest/schema"
)

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// Files are hourly CSV files in either format package assess reads (Lantian's
	// station,time,pm25,… or the Beijing PRSA format), or folders whose *.csv files are read.
	Files []string
	// URL of the MQTT broker, e.g. tcp://127.0.0.1:1883.
	URL, ClientID, Username, Password string
	// TopicPrefix goes before air/<station> (empty: lantian).
	TopicPrefix string
	// Speed is simulated hours per real second; 0 publishes as fast as the broker acknowledges.
	Speed float64
	// TimeLabel of the input times; end labels are shifted to the start of their hour.
	TimeLabel assess.TimeLabel
	// Location is the zone of times without an offset (nil: Asia/Shanghai).
	Location *time.Location
	// Window bounds publishes awaiting the broker's acknowledgement (0: 1000).
	Window int
	// ProgressEvery is the interval of progress calls (0: 5 s).
	ProgressEvery time.Duration
}

// ReplayStats count a replay. Published counts publishes the broker acknowledged.
type ReplayStats struct {
	Rows, Sent, Published, Errors int
	// Skipped counts rows without any valid value: the pipeline refuses an empty reading, and
	// an hour without data adds nothing to an assessment.
	Skipped int
	// First and Last are the first and last hour of the input; Current the hour being sent.
	First, Last, Current time.Time
	Elapsed              time.Duration
}

const maxReplayWindow = 60000 // MQTT packet ids are 16-bit

func (o ReplayOptions) normalized() (ReplayOptions, error) {
	if len(o.Files) == 0 {
		return o, errors.New("replay: no input file")
	}
	if o.URL == "" {
		return o, errors.New("replay: no broker URL")
	}
	if o.ClientID == "" {
		o.ClientID = "lantian-replay"
	}
	if o.TopicPrefix == "" {
		o.TopicPrefix = "lantian"
	}
	if strings.ContainsAny(o.TopicPrefix, "#+") {
		return o, fmt.Errorf("replay: topic prefix %q holds a wildcard", o.TopicPrefix)
	}
	if o.Speed < 0 || o.Speed != o.Speed {
		return o, fmt.Errorf("replay: speed %g must be >= 0", o.Speed)
	}
	if o.Location == nil {
		o.Location = assess.DefaultLocation()
	}
	if o.Window <= 0 {
		o.Window = 1000
	}
	o.Window = min(o.Window, maxReplayWindow)
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	return o, nil
}

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

// LoadRows reads every file and returns the rows in time order (stable, so stations keep their
// file order within an hour). Rows are held in memory, about 150 bytes each, because files
// given one station after another must be interleaved by hour: the live assessor accepts late
// hours only within its lateness window.
func LoadRows(files []string, label assess.TimeLabel, loc *time.Location) ([]assess.Row, error) {
	files, err := ExpandFiles(files)
	if err != nil {
		return nil, err
	}
	var rows []assess.Row
	for _, name := range files {
		if err := func() error {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("replay input: %w", err)
			}
			defer f.Close()
			rd, err := assess.NewReader(f, assess.Options{TimeLabel: label, Location: loc, InputName: name})
			if err != nil {
				return err
			}
			for {
				row, err := rd.Read()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				rows = append(rows, row)
			}
		}(); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(rows, func(a, b assess.Row) int { return a.Start.Compare(b.Start) })
	return rows, nil
}

// Message is the MQTT topic and JSON reading of one row: period "1h", time the start of the
// hour in RFC 3339, values as their exact decimal text (CO in mg/m³). Missing values and values
// the file flags invalid are left out (the flag letter is not known after reading; the
// assessment excludes either).
func Message(prefix string, row assess.Row, loc *time.Location) (topic string, payload []byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"station":%q,"time":%q,"period":"1h"`, row.Station, row.Start.In(loc).Format(time.RFC3339))
	for p, s := range row.Values {
		if s.Valid {
			fmt.Fprintf(&b, `,%q:%s`, schema.AirPollutants[p], s.C.String())
		}
	}
	b.WriteByte('}')
	return strings.TrimSuffix(prefix, "/") + "/air/" + row.Station, b.Bytes()
}

// WriteCSV writes rows in Lantian's CSV format (start-labelled RFC 3339 times, valid values
// only, rows without any skipped as Replay skips them), e.g. to compute the offline report of
// exactly what a replay publishes.
func WriteCSV(w io.Writer, rows []assess.Row, loc *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"station", "time", "pm25", "pm10", "so2", "no2", "co", "o3"}); err != nil {
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

// Replay publishes rows (LoadRows) to lantian/air/<station> at QoS 1 from a persistent session,
// paced by Speed, keeping at most Window publishes unacknowledged. progress, when not nil, is
// called every ProgressEvery from another goroutine. A cancelled ctx stops cleanly: publishing
// ends, the publishes in flight get a few seconds to be acknowledged, and the stats are
// returned with ctx's error.
func Replay(ctx context.Context, o ReplayOptions, rows []assess.Row, progress func(ReplayStats)) (ReplayStats, error) {
	o, err := o.normalized()
	if err != nil {
		return ReplayStats{}, err
	}
	st := ReplayStats{Rows: len(rows)}
	if len(rows) == 0 {
		return st, nil
	}
	st.First, st.Last = rows[0].Start, rows[len(rows)-1].Start

	pub, err := mqttpub.Dial(ctx, mqttpub.Config{URL: o.URL, ClientID: o.ClientID, Username: o.Username,
		Password: o.Password, QoS: 1, Window: o.Window})
	if err != nil {
		return st, fmt.Errorf("replay: %w", err)
	}
	var skipped, current atomic.Int64
	began := time.Now()
	snapshot := func(c mqttpub.Counts) ReplayStats {
		s := st
		s.Sent, s.Published, s.Errors = int(c.Sent), int(c.Published), int(c.Errors)
		s.Skipped = int(skipped.Load())
		s.Current = time.Unix(0, current.Load()).In(o.Location)
		s.Elapsed = time.Since(began)
		return s
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if progress == nil {
			return
		}
		t := time.NewTicker(o.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				progress(snapshot(pub.Counts()))
			case <-stopProgress:
				return
			}
		}
	}()

	first := rows[0].Start
loop:
	for _, row := range rows {
		if o.Speed > 0 {
			due := began.Add(time.Duration(row.Start.Sub(first).Hours() / o.Speed * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				timer := time.NewTimer(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					timer.Stop()
					break loop
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
		if !hasValue(row) {
			skipped.Add(1)
			continue
		}
		current.Store(row.Start.UnixNano())
		topic, payload := Message(o.TopicPrefix, row, o.Location)
		if pub.Publish(ctx, topic, payload) != nil {
			break loop
		}
	}
	counts, err := pub.Close(ctx)
	close(stopProgress)
	<-progressDone
	res := snapshot(counts)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		return res, fmt.Errorf("replay: %w", err)
	}
	return res, nil
}

func hasValue(r assess.Row) bool {
	for _, s := range r.Values {
		if s.Valid {
			return true
		}
	}
	return false
}

// ExpectedDaily computes the offline daily report (lantian assess --report daily) of exactly the
// rows a replay publishes, with areas, so the live aqi_daily points can be compared with it.
func ExpectedDaily(rows []assess.Row, rules aqi.Rules, loc *time.Location, areas map[string]string, out io.Writer) error {
	var b bytes.Buffer
	if err := WriteCSV(&b, rows, loc); err != nil {
		return err
	}
	return assess.Run(assess.Options{Report: assess.ReportDaily, Rules: rules, Location: loc, Areas: areas, InputName: "replay"}, &b, out)
}
