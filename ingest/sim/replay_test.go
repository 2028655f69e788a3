package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"lantian/ingest/reading"
)

// TestReplayMessage: the payload carries station, time, period and the values that may enter
// an assessment, as the shortest decimals of their float64; nothing else.
func TestReplayMessage(t *testing.T) {
	loc := defaultLocation()
	r := reading.Reading{Kind: reading.Air, Station: "昌吉-1", Time: time.Date(2017, 1, 1, 5, 0, 0, 0, loc), Period: reading.Hour,
		Values: []reading.Value{{Name: "pm25", Value: 12.5}, {Name: "so2", Value: 3, Flag: reading.FlagCalibration},
			{Name: "no2", NoValue: true, Flag: reading.FlagFault}, {Name: "co", Value: 0.3}, {Name: "o3", Value: 0.000001}}}
	topic, payload, ok := replayMessage("x/", &r, loc)
	want := `{"station":"昌吉-1","time":"2017-01-01T05:00:00+08:00","period":"1h","pm25":12.5,"co":0.3,"o3":0.000001}`
	if !ok || topic != "x/air/昌吉-1" || string(payload) != want {
		t.Errorf("got %s %s %v, want %s", topic, payload, ok, want)
	}
	r.Values = r.Values[1:3]
	if _, _, ok := replayMessage("lantian", &r, loc); ok {
		t.Error("a reading without a valid value is publishable")
	}
}

// TestReplay publishes hourly readings through an embedded broker: readings without a value
// are skipped, the rest acknowledged, and a source reading is refused before connecting.
func TestReplay(t *testing.T) {
	url, rec, _ := startBroker(t, "127.0.0.1:0")
	loc := defaultLocation()
	start := time.Date(2017, 1, 1, 0, 0, 0, 0, loc)
	var readings []reading.Reading
	for i := range 48 {
		r := reading.Reading{Kind: reading.Air, Station: "s1", Time: start.Add(time.Duration(i) * time.Hour), Period: reading.Hour}
		if i%4 != 3 {
			r.Values = []reading.Value{{Name: "pm25", Value: float64(i)}}
		}
		readings = append(readings, r)
	}
	var calls int
	st, err := Replay(context.Background(), ReplayOptions{Session: Session{URL: url, ClientID: "replay-test",
		ProgressEvery: 5 * time.Millisecond}, Speed: 2000}, readings, func(ReplayStats) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 48 || st.Published != 36 || st.Skipped != 12 || st.Errors != 0 || !st.First.Equal(start) || !st.Last.Equal(start.Add(47*time.Hour)) {
		t.Fatalf("stats %+v", st)
	}
	waitFor(t, "all messages", func() bool { return rec.count() >= 36 })
	if rec.topics[0] != "lantian/air/s1" {
		t.Errorf("topic %s", rec.topics[0])
	}
	if calls == 0 {
		t.Error("progress was never called") // 48 h at 2000 h/s take 23 ms
	}

	src := []reading.Reading{{Kind: reading.Source, Source: "a", Outlet: "b", Time: start, Period: reading.Hour}}
	if _, err := Replay(context.Background(), ReplayOptions{Session: Session{URL: url}}, src, nil); err == nil {
		t.Error("a source reading was replayed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Replay(ctx, ReplayOptions{Session: Session{URL: url, ClientID: "replay-cancelled"}}, readings, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled replay: %v", err)
	}
}
