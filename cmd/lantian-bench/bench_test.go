package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"lantian/ingest/jsonreading"
	"lantian/ingest/reading"
)

func TestQuantileInterpolatesInsideTheBucket(t *testing.T) {
	// 100 observations: 10 ≤ 0.05, 80 in (0.05, 0.1], 9 in (0.1, 0.25], 1 above 0.25.
	h := hist{bounds: []float64{0.05, 0.1, 0.25}, counts: []float64{10, 90, 99}, count: 100}
	q := h.quantile(0.5)
	if !q.ok || q.lo != 0.05 || q.hi != 0.1 || math.Abs(q.est-0.075) > 1e-9 {
		t.Errorf("p50 = %+v, want 0.075 in (0.05, 0.1]", q)
	}
	q = h.quantile(0.99)
	if q.lo != 0.1 || q.hi != 0.25 || math.Abs(q.est-0.25) > 1e-9 {
		t.Errorf("p99 = %+v, want 0.25 in (0.1, 0.25]", q)
	}
	q = h.quantile(0.999)
	if !math.IsInf(q.hi, +1) || q.lo != 0.25 {
		t.Errorf("p99.9 = %+v, want above the last bound", q)
	}
	if q := (hist{}).quantile(0.5); q.ok {
		t.Errorf("empty histogram gave %+v", q)
	}
}

func TestHistogramDelta(t *testing.T) {
	before := hist{bounds: []float64{1, 2}, counts: []float64{5, 8}, count: 10}
	after := hist{bounds: []float64{1, 2}, counts: []float64{5, 18}, count: 20}
	d := after.sub(before)
	if d.count != 10 || d.counts[0] != 0 || d.counts[1] != 10 {
		t.Errorf("delta = %+v", d)
	}
	if q := d.quantile(0.5); q.lo != 1 || q.hi != 2 {
		t.Errorf("p50 of the delta = %+v, want in (1, 2]", q)
	}
}

func TestMillisOfLivePayload(t *testing.T) {
	p := airPayload(nil, "bench-001", []byte("1767225600123"), 7, "rt")
	ms, ok := millisOf(p)
	if !ok || ms != 1767225600123 {
		t.Errorf("millisOf(%s) = %d, %v", p, ms, ok)
	}
	if _, ok := millisOf([]byte(`{"time":"2026-01-01T00:00:00Z"}`)); ok {
		t.Error("an RFC 3339 time was read as milliseconds")
	}
}

func TestPayloadIsValidReadingShape(t *testing.T) {
	p := string(airPayload(nil, "bench-042", []byte(`"2026-01-10T00:00:00Z"`), 3, "rt"))
	for _, want := range []string{`"station":"bench-042"`, `"time":"2026-01-10T00:00:00Z"`, `"o3":"33"`, `"flags":{"pm25":"N"}}`} {
		if !strings.Contains(p, want) {
			t.Errorf("payload %s lacks %s", p, want)
		}
	}
}

func TestNextPollComesCloserNearTheTarget(t *testing.T) {
	if d := nextPoll(0, 1_000_000, 20_000); d != time.Second {
		t.Errorf("far from the target: %s, want 1s", d)
	}
	if d := nextPoll(995_000, 1_000_000, 20_000); d != 125*time.Millisecond {
		t.Errorf("a quarter second from the target: %s, want 125ms", d)
	}
	if d := nextPoll(999_999, 1_000_000, 20_000); d != 50*time.Millisecond {
		t.Errorf("at the target: %s, want the 50ms floor", d)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -43000: "-43,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestProcReadsOwnProcess(t *testing.T) {
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	peak, cur, err := procMemory(os.Getpid())
	if err != nil || peak <= 0 || cur <= 0 || cur > peak {
		t.Fatalf("procMemory = %d, %d, %v", peak, cur, err)
	}
	if _, err := systemUser(); err != nil {
		t.Fatal(err)
	}
}

func TestRegistryListsEveryStationAndOutlet(t *testing.T) {
	y := registryYAML(12)
	if n := strings.Count(y, "- {id: bench-0"); n != 12 {
		t.Errorf("%d stations in\n%s", n, y)
	}
	if n := strings.Count(y, "- {id: bench-src-"); n != 12 || !strings.Contains(y, "outlets: [{id: DA001}]") {
		t.Errorf("%d sources in\n%s", n, y)
	}
	if !strings.Contains(y, "id: bench-012") {
		t.Errorf("last station missing:\n%s", y)
	}
}

// Every backlog message is a reading of the data contract as Lantian decodes it, with the
// period its payload kind says, on the hour for hourly ones, and within the past.
func TestBacklogMessagesAreContractReadings(t *testing.T) {
	for _, kind := range []string{payloadRT, payloadHour, payloadMix} {
		start := backlogStart(kind, 1000, 10)
		sources := 0
		for i := range 1000 {
			topic, payload := backlogMessage(kind, i, 10, start)
			var r reading.Reading
			var err error
			if rest, ok := strings.CutPrefix(topic, "lantian/source/"); ok {
				src, out, _ := strings.Cut(rest, "/")
				r, err = jsonreading.DecodeSource(src, out, payload)
				sources++
			} else {
				r, err = jsonreading.DecodeAir(strings.TrimPrefix(topic, "lantian/air/"), payload)
			}
			if err != nil {
				t.Fatalf("%s message %d on %s: %v\n%s", kind, i, topic, err, payload)
			}
			wantPeriod := reading.Hour
			if kind == payloadRT {
				wantPeriod = reading.RealTime
			}
			if r.Period != wantPeriod || !r.Time.Before(time.Now()) || (kind != payloadRT && r.Time.Minute() != 0) {
				t.Fatalf("%s message %d: period %s, time %s", kind, i, r.Period, r.Time)
			}
		}
		if want := map[string]int{payloadMix: 200}[kind]; sources != want {
			t.Errorf("%s: %d outlet readings of 1000, want %d", kind, sources, want)
		}
	}
}
