package sim

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"lantian/ingest/reading"
)

// TestSourcesAnswerIssuedWarnings: with a warning board fed the office's retained messages, the
// first listed source stops (values flagged F), the second goes on as before, the others cut
// their load; after the lift all run as without a board.
func TestSourcesAnswerIssuedWarnings(t *testing.T) {
	cfg := sampleConfig(t)
	resp := Responses(&cfg.Registry)
	if resp["cj-boiler-1"] != ResponseStop || resp["cj-cement-1"] != ResponseNone || resp["cj-power-1"] != ResponseCut || resp["qt-power-1"] != ResponseCut {
		t.Fatalf("responses %v", resp)
	}
	start := time.Date(2026, 12, 8, 9, 0, 0, 0, cfg.Location())
	board := NewWarningBoard()
	msg := func(status, level string, lifted time.Time) []byte {
		b, _ := json.Marshal(map[string]any{"area": "changji", "status": status, "warning_id": "W20261208-001", "level": level,
			"start": start.Format(time.RFC3339), "lifted_at": lifted.Format(time.RFC3339), "updated": start.Format(time.RFC3339)})
		return b
	}
	if err := board.Handle(msg("in_force", "orange", time.Time{})); err != nil {
		t.Fatal(err)
	}
	with := newSim(t, cfg, Options{Seed: 7, Warnings: board})
	without := newSim(t, cfg, Options{Seed: 7})
	flows := func(s *Simulator, at time.Time) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, m := range s.Messages(at, reading.Hour) {
			var v map[string]any
			if err := json.Unmarshal(m.Payload, &v); err != nil {
				t.Fatal(err)
			}
			out[m.Topic] = v
		}
		return out
	}
	during := start.Add(3 * time.Hour)
	a, b := flows(with, during), flows(without, during)
	stop := a["source/cj-boiler-1/"+cfg.Sources[slicesIndex(cfg, "cj-boiler-1")].Outlets[0].ID]
	if flags, _ := stop["flags"].(map[string]any); flags["flow"] != "F" || flags["so2"] != "F" || stop["flow"] != 0.0 {
		t.Errorf("stopped source: %v", stop)
	}
	same := "source/cj-cement-1/" + cfg.Sources[slicesIndex(cfg, "cj-cement-1")].Outlets[0].ID
	if fmt.Sprint(a[same]) != fmt.Sprint(b[same]) {
		t.Errorf("the source that does not respond changed:\n%v\n%v", a[same], b[same])
	}
	cut := "source/cj-power-1/unit-1"
	if r := a[cut]["flow"].(float64) / b[cut]["flow"].(float64); r < 0.6 || r > 0.8 {
		t.Errorf("orange cut: flow ratio %.3f, want about 0.7", r)
	}
	// Another county is not under the warning.
	if fmt.Sprint(a["source/qt-power-1/unit-1"]) != fmt.Sprint(b["source/qt-power-1/unit-1"]) {
		t.Error("qitai's source answered a warning of changji")
	}
	// Before the start and after the lift, nothing differs.
	if err := board.Handle(msg("lifted", "none", start.Add(6*time.Hour))); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{start.Add(-2 * time.Hour), start.Add(7 * time.Hour)} {
		if a, b := flows(with, at), flows(without, at); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: sources differ outside the warning", at)
		}
	}
	if board.LevelAt("changji", during) != 3 || board.LevelAt("changji", start.Add(6*time.Hour)) != 0 || board.LevelAt("fukang", during) != 0 {
		t.Error("LevelAt")
	}
	for _, bad := range []string{`{`, `{"area":"changji"}`, `{"area":"changji","warning_id":"W1","status":"in_force","level":"purple"}`,
		`{"area":"changji","warning_id":"W1","status":"maybe"}`} {
		if err := board.Handle([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func slicesIndex(cfg *sample, id string) int {
	for i, s := range cfg.Sources {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// FuzzWarningBoardHandle: any payload on the warning topics is taken or refused, never a panic,
// and the board answers LevelAt afterwards. Seeds are the office's retained messages.
func FuzzWarningBoardHandle(f *testing.F) {
	f.Add([]byte(`{"area":"fukang","area_name":"阜康市","status":"in_force","warning_id":"W20240102-001","level":"orange","level_zh":"橙色预警","response":"Ⅱ级","region":"wcs","start":"2024-01-02T17:00:00+08:00","expected_end":"2024-01-05T00:00:00+08:00","reductions":{"so2":20,"nox":20,"pm":20,"vocs":20},"reason":"预报未来两天 AQI > 200","version":1,"updated":"2024-01-02T17:00:00+08:00"}`))
	f.Add([]byte(`{"area":"fukang","area_name":"阜康市","status":"lifted","warning_id":"W20240102-001","level":"none","level_zh":"解除预警","previous_level":"orange","region":"wcs","start":"2024-01-02T17:00:00+08:00","reason":"AQI < 150 for 36 h","version":3,"updated":"2024-01-04T09:00:00+08:00","lifted_at":"2024-01-04T09:00:00+08:00"}`))
	f.Add([]byte(`{"area":"x","warning_id":"W","status":"in_force","level":"red","start":"bad"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		b := NewWarningBoard()
		_ = b.Handle(payload)
		_ = b.LevelAt("fukang", time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC))
	})
}
