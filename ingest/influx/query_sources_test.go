package influx_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"lantian/ingest/influx"
)

// The source monitor's restore and coverage reads, against points in the monitor's format.
func TestSourceMonitorReads(t *testing.T) {
	ev := func(state string, hours int, end time.Time) []byte {
		return fmt.Appendf(nil, `exceedance,county=changji,outlet=DA001,pollutant=nox,source=px,state=%s limit=50,peak=91,peak_at="%s",basis="measured",hours=%di,gap_hours=1i,flagged_hours=0i,start="%s",end="%s",duration_h=%d %d`,
			state, hour(5).Format(time.RFC3339), hours, hour(4).Format(time.RFC3339), end.Format(time.RFC3339), hours, hour(4).UnixNano())
	}
	r := startReader(t,
		// Event 1 of px: opened then extended, still open. Event 2 of fk: closed.
		ev("opened", 1, hour(5)), ev("extended", 4, hour(8)),
		fmt.Appendf(nil, `exceedance,county=fukang,outlet=DA001,pollutant=so2,source=fk,state=opened hours=1i,start="x",end="%s" %d`, hour(3).Format(time.RFC3339), hour(2).UnixNano()),
		fmt.Appendf(nil, `exceedance,county=fukang,outlet=DA001,pollutant=so2,source=fk,state=closed hours=1i,start="x",end="%s" %d`, hour(3).Format(time.RFC3339), hour(2).UnixNano()),
		fmt.Appendf(nil, `emission_hourly,county=changji,outlet=DA001,period=1h,source=px samples=1i,nox=80 %d`, hour(6).UnixNano()),
		fmt.Appendf(nil, `emission_hourly,county=changji,outlet=DA001,period=1h,source=px samples=1i,nox=80 %d`, hour(7).UnixNano()),
		fmt.Appendf(nil, `emission_hourly,county=fukang,outlet=DA001,period=1m,source=fk samples=60i %d`, hour(2).UnixNano()),
		fmt.Appendf(nil, `source_quality,county=changji,field=flow,outlet=DA001,rule=flow_implausible,scope=day,source=px value=0.003,hours=2i,start="%s",end="%s",detail="x3600" %d`,
			hour(1).Format(time.RFC3339), hour(3).Format(time.RFC3339), hour(1).UnixNano()),
		fmt.Appendf(nil, `source_quality,county=changji,outlet=DA001,rule=silent,scope=stream,source=px value=3,hours=3i %d`, hour(1).UnixNano()),
		fmt.Appendf(nil, `emission,county=changji,outlet=DA001,period=1h,source=px nox=80 %d`, hour(7).UnixNano()),
		fmt.Appendf(nil, `emission,county=changji,outlet=DA001,period=rt,source=px nox=81 %d`, hour(7).Add(20*time.Minute).UnixNano()),
		fmt.Appendf(nil, `warning_event,action=issue,area=changji,level=orange,region=wcs,warning_id=W1 version=1i,level_num=3i %d`, hour(3).UnixNano()),
		fmt.Appendf(nil, `warning_event,action=lift,area=changji,level=orange,region=wcs,warning_id=W1 version=2i,level_num=3i %d`, hour(9).UnixNano()),
	)
	ctx := context.Background()
	evs, err := r.Exceedances(ctx, hour(0), hour(24))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("events: %+v", evs)
	}
	for _, e := range evs {
		switch e.Source {
		case "px":
			if e.State != "extended" || e.Hours != 4 || e.GapHours != 1 || !e.Start.Equal(hour(4)) || !e.End.Equal(hour(8)) ||
				e.Peak != 91 || !e.PeakAt.Equal(hour(5)) || e.Limit != 50 || e.Basis != "measured" || e.Pollutant != "nox" {
				t.Errorf("px event: %+v", e)
			}
		case "fk":
			if e.State != "closed" {
				t.Errorf("fk event: %+v", e)
			}
		}
	}
	last, err := r.LastJudgedHours(ctx, hour(0), hour(24))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, l := range last {
		got[l.Source+"/"+l.Outlet] = l.Hour
	}
	if len(got) != 2 || !got["px/DA001"].Equal(hour(7)) || !got["fk/DA001"].Equal(hour(2)) {
		t.Errorf("last judged hours: %v", got)
	}
	fs, err := r.Findings(ctx, "day", hour(0), hour(24))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Rule != "flow_implausible" || fs[0].Field != "flow" || fs[0].Hours != 2 || !fs[0].End.Equal(hour(3)) || fs[0].Detail != "x3600" {
		t.Errorf("findings: %+v", fs)
	}
	seen, err := r.LastSeen(ctx, hour(0), hour(24))
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || !seen[0].Hour.Equal(hour(7).Add(20*time.Minute)) {
		t.Errorf("last seen: %+v", seen)
	}
	ws, err := r.WarningIssues(ctx, hour(0), hour(24))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0] != (influx.WarningIssue{Time: hour(3), Area: "changji", WarningID: "W1", Level: "orange"}) {
		t.Errorf("warning issues: %+v", ws)
	}
}
