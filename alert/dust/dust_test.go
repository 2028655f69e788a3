package dust

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

// TestStoreAuditedAndDurable: periods entered and withdrawn survive a restart with who and
// when, configured ones come from the configuration, and Dusty answers per county and hour.
func TestStoreAuditedAndDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dust.jsonl")
	now := at("2026-04-02 09:30")
	changes := 0
	known := func(a string) bool { return a == "changji" || a == "fukang" || a == "qitai" }
	opts := Options{Path: path, Known: known, Zone: cst, Now: func() time.Time { return now }, OnChange: func() { changes++ },
		Config: []Request{{Areas: []string{"qitai"}, From: at("2026-03-10 00:00"), To: at("2026-03-11 00:00"), Note: "2026年3月沙尘"}}}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := s.Add(ctx, Request{Areas: []string{"changji", "fukang"}, From: at("2026-04-01 08:00"), To: at("2026-04-01 20:00"), Note: "气象台沙尘通报12号"}, SourceAPI, "监测中心-王")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "D1" || p.EnteredBy != "监测中心-王" || !p.EnteredAt.Equal(now) || changes != 1 {
		t.Errorf("entered %+v (changes %d)", p, changes)
	}
	all, err := s.Add(ctx, Request{From: at("2026-04-05 00:00"), To: at("2026-04-05 06:00")}, SourceCSV, "import")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		county string
		t      string
		want   bool
	}{
		{"changji", "2026-04-01 08:00", true},
		{"changji", "2026-04-01 19:00", true},
		{"changji", "2026-04-01 20:00", false}, // [from, to)
		{"changji", "2026-04-01 07:00", false},
		{"qitai", "2026-04-01 10:00", false},
		{"qitai", "2026-03-10 23:00", true}, // configured
		{"mori", "2026-04-05 05:00", true},  // a prefecture-wide period
	} {
		if got := s.Dusty(tc.county, at(tc.t)); got != tc.want {
			t.Errorf("Dusty(%s, %s) = %v", tc.county, tc.t, got)
		}
	}
	if _, err := s.Withdraw(ctx, all.ID, "监测中心-李", "录入错误"); err != nil {
		t.Fatal(err)
	}
	if s.Dusty("mori", at("2026-04-05 05:00")) {
		t.Error("a withdrawn period still deducts")
	}
	if _, err := s.Withdraw(ctx, "config-1", "x", "y"); !errors.Is(err, ErrNotFound) {
		t.Errorf("withdrawing a configured period: %v", err)
	}
	// Refused requests.
	for _, r := range []Request{
		{From: at("2026-04-01 08:00"), To: at("2026-04-01 08:00")},
		{From: at("2026-04-01 08:00"), To: at("2026-05-01 08:00")},
		{Areas: []string{"nowhere"}, From: at("2026-04-01 08:00"), To: at("2026-04-01 09:00")},
	} {
		var re *RequestError
		if _, err := s.Add(ctx, r, SourceAPI, "w"); !errors.As(err, &re) {
			t.Errorf("%+v accepted: %v", r, err)
		}
	}

	// A restart reads the log back.
	s2, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	list := s2.List()
	if len(list) != 3 || list[1].EnteredBy != "监测中心-王" || list[2].Withdrawn == nil || list[2].Withdrawn.Reason != "录入错误" {
		t.Fatalf("after restart: %+v", list)
	}
	if !s2.Dusty("fukang", at("2026-04-01 12:00")) || s2.Dusty("mori", at("2026-04-05 05:00")) {
		t.Error("restart lost the periods' effect")
	}
	if p, _ := s2.Add(ctx, Request{From: at("2026-04-07 00:00"), To: at("2026-04-07 06:00")}, SourceAPI, "w"); p.ID != "D3" {
		t.Errorf("id after restart %q, want D3", p.ID)
	}
}

func TestParseCSV(t *testing.T) {
	in := "\ufefffrom,to,areas,note\n2026-04-01 08:00,2026-04-01T20:00:00+08:00,changji;fukang,昌吉州气象台沙尘天气通报第12期\n2026-04-05 00:00,2026-04-05 06:00,,全州\n"
	got, err := ParseCSV(strings.NewReader(in), "notices.csv", cst)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].From.Equal(at("2026-04-01 08:00")) || !got[0].To.Equal(at("2026-04-01 20:00")) ||
		strings.Join(got[0].Areas, ",") != "changji,fukang" || len(got[1].Areas) != 0 || got[1].Note != "全州" {
		t.Errorf("%+v", got)
	}
	for _, bad := range []string{
		"from,areas\n2026-04-01 08:00,x\n",
		"from,to\n2026-04-01,2026-04-02\n",
		"from,to\n2026-04-02 08:00,2026-04-01 08:00\n",
	} {
		if _, err := ParseCSV(strings.NewReader(bad), "bad.csv", cst); err == nil || !strings.Contains(err.Error(), "bad.csv") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("from,to,areas,note\n2026-04-01 08:00,2026-04-01T20:00:00+08:00,changji;fukang,昌吉州气象台沙尘天气通报第12期\n")
	f.Add("from,to\n2026-04-05 00:00,2026-04-05 06:00\n")
	f.Add("\ufefffrom,to,areas\n\"2026-04-05 00:00\",2026-04-05 06:00,\"a;b\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		reqs, err := ParseCSV(strings.NewReader(in), "fuzz", cst)
		if err != nil {
			return
		}
		for _, q := range reqs {
			if !q.To.After(q.From) || q.To.Sub(q.From) > MaxSpan {
				t.Fatalf("accepted a bad span %+v", q)
			}
		}
	})
}
