package source

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectionRegister(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inspections.jsonl")
	st, err := OpenInspections(path)
	if err != nil {
		t.Fatal(err)
	}
	now := at(12)
	known := func(s string) bool { return s == "p1" }
	by := InspectionActor{Who: "dqb", Token: "dqb", Remote: "127.0.0.1"}
	for _, bad := range []InspectionRequest{{Source: "p1"}, {Source: "nope", Time: at(6)}, {Source: "p1", Time: at(13)}} {
		if _, err := st.Announce(bad, by, now, cst, known); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	in, err := st.Announce(InspectionRequest{Source: "p1", Time: at(6), Reference: "昌环检〔2026〕12号"}, by, now, cst, known)
	if err != nil || in.ID != "I20260110-001" {
		t.Fatalf("announce: %+v %v", in, err)
	}
	all, err := st.Announce(InspectionRequest{Time: at(8), Who: "李四"}, by, now, cst, known)
	if err != nil || all.Who != "李四" {
		t.Fatalf("announce for all: %+v %v", all, err)
	}
	if _, err := st.Withdraw(all.ID, "entered in error", by, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Withdraw(all.ID, "", by, now); err == nil {
		t.Error("withdrawn twice")
	}
	if _, err := st.Withdraw("I0-9", "", by, now); !errors.Is(err, ErrNoInspection) {
		t.Errorf("unknown id: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Read back as the report does: the audit trail keeps all three entries, the notices only
	// the inspection in force.
	entries, err := ReadInspectionEntries(path)
	if err != nil || len(entries) != 3 || entries[2].Action != InspectionWithdraw {
		t.Fatalf("entries %+v %v", entries, err)
	}
	ns := InspectionNotices(entries)
	if len(ns) != 1 || ns[0].Source != "p1" || !ns[0].Time.Equal(at(6)) || ns[0].Kind != NoticeInspection {
		t.Fatalf("notices %+v", ns)
	}
	st, err = OpenInspections(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, _ := st.Announce(InspectionRequest{Source: "p1", Time: at(9)}, by, now, cst, known); n.ID != "I20260110-004" {
		t.Errorf("sequence after reopening: %s", n.ID)
	}
}

func FuzzReadInspectionEntries(f *testing.F) {
	f.Add(`{"seq":1,"action":"announce","id":"I20260110-001","source":"p1","time":"2026-01-09T22:00:00Z","reference":"昌环检〔2026〕12号","who":"dqb","token":"dqb","remote":"127.0.0.1","recorded_at":"2026-01-10T04:00:00Z"}` + "\n" +
		`{"seq":2,"action":"withdraw","id":"I20260110-001","time":"2026-01-09T22:00:00Z","who":"dqb","recorded_at":"2026-01-10T04:00:00Z"}` + "\n")
	f.Add("\n\n{}\n")
	f.Add(strings.Repeat("x", 100))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(dir, "r.jsonl")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		entries, err := ReadInspectionEntries(path)
		if err != nil {
			return
		}
		for _, n := range InspectionNotices(entries) {
			if n.Kind != NoticeInspection {
				t.Fatalf("notice of kind %q", n.Kind)
			}
		}
	})
}
