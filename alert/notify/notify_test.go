package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"lantian/alert/notify"
	"lantian/internal/devenv/notifytest"
)

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// gathered sums the samples of a metric family.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

func run(t *testing.T, c *notify.Client) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("notify client did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

func eventually(t *testing.T, d time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func find(alerts []notifytest.Alert, name string) *notifytest.Alert {
	for i := range alerts {
		if alerts[i].Labels["alertname"] == name {
			return &alerts[i]
		}
	}
	return nil
}

func TestNotifyFiresResendsAndResolvesOnRealAlertmanagers(t *testing.T) {
	am1, am2 := notifytest.Start(t), notifytest.Start(t)
	reg := prometheus.NewRegistry()
	c, err := notify.New(notify.Config{URLs: []string{am1.URL, am2.URL + "/"}, ResendInterval: 300 * time.Millisecond}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, c)
	ctx := context.Background()
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	firing := notify.Alert{
		Labels:       map[string]string{"alertname": "NotifyTest", "severity": "warning", "source": "px", "empty": ""},
		Annotations:  map[string]string{"summary": "排口 px above its limit"},
		StartsAt:     start,
		GeneratorURL: "http://lantian.example/sources",
	}
	c.Notify(firing)
	var firstEnd time.Time
	for _, am := range []*notifytest.Alertmanager{am1, am2} {
		eventually(t, 10*time.Second, func() error {
			as, err := am.Alerts(ctx)
			if err != nil {
				return err
			}
			a := find(as, "NotifyTest")
			if a == nil {
				return fmt.Errorf("alert not at %s: %+v", am.URL, as)
			}
			if _, ok := a.Labels["empty"]; ok || a.Labels["source"] != "px" || a.Annotations["summary"] != "排口 px above its limit" ||
				!a.StartsAt.Equal(start) || a.GeneratorURL != "http://lantian.example/sources" || a.Status.State != "active" {
				return fmt.Errorf("alert as received: %+v", *a)
			}
			if !a.EndsAt.After(time.Now()) {
				return fmt.Errorf("firing alert ends at %s, in the past", a.EndsAt)
			}
			firstEnd = a.EndsAt
			return nil
		})
	}
	// Re-sending moves endsAt forward, which is what keeps the alert firing.
	eventually(t, 10*time.Second, func() error {
		as, err := am1.Alerts(ctx)
		if err != nil {
			return err
		}
		if a := find(as, "NotifyTest"); a == nil || !a.EndsAt.After(firstEnd) {
			return fmt.Errorf("endsAt not refreshed: %+v", a)
		}
		return nil
	})
	if got := c.Firing(); len(got) != 1 {
		t.Fatalf("firing: %+v", got)
	}

	resolved := firing
	resolved.EndsAt = time.Now().Add(-time.Minute)
	c.Notify(resolved)
	for _, am := range []*notifytest.Alertmanager{am1, am2} {
		eventually(t, 10*time.Second, func() error {
			as, err := am.Alerts(ctx)
			if err != nil {
				return err
			}
			if a := find(as, "NotifyTest"); a != nil {
				return fmt.Errorf("still active at %s: %+v", am.URL, *a)
			}
			return nil
		})
	}
	if got := c.Firing(); len(got) != 0 {
		t.Fatalf("still re-sending: %+v", got)
	}
	if n := value(c.SentCounter(am1.URL)); n < 3 {
		t.Errorf("sent to am1: %g, want at least 3 (fire, re-send, resolve)", n)
	}
}

// fakeAM answers with the status codes in script, then 200, recording every request body.
type fakeAM struct {
	mu     sync.Mutex
	script []int
	bodies [][]notify.Alert
	calls  atomic.Int64
}

func (f *fakeAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if r.URL.Path != "/prefix/api/v2/alerts" || r.Method != http.MethodPost {
		http.Error(w, "wrong endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var as []notify.Alert
	if err := json.Unmarshal(b, &as); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, as)
	if len(f.script) > 0 {
		code := f.script[0]
		f.script = f.script[1:]
		http.Error(w, "scripted", code)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (f *fakeAM) received() [][]notify.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]notify.Alert(nil), f.bodies...)
}

func TestNotifyRetriesServerErrorsButNotRefusals(t *testing.T) {
	fake := &fakeAM{script: []int{500, 503, 400}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	reg := prometheus.NewRegistry()
	c, err := notify.New(notify.Config{URLs: []string{srv.URL + "/prefix"}, RetryInterval: 10 * time.Millisecond,
		ResendInterval: time.Hour, MaxAttempts: 3}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, c)
	a := notify.Alert{Labels: map[string]string{"alertname": "A"}}
	c.Notify(a) // 500, 503, then 400: refused, given up
	eventually(t, 5*time.Second, func() error {
		if n := fake.calls.Load(); n != 3 {
			return fmt.Errorf("%d calls", n)
		}
		return nil
	})
	c.Notify(notify.Alert{Labels: map[string]string{"alertname": "B"}}) // 200
	eventually(t, 5*time.Second, func() error {
		if n := value(c.SentCounter(srv.URL + "/prefix")); n != 1 {
			return fmt.Errorf("sent %g", n)
		}
		return nil
	})
	if n := fake.calls.Load(); n != 4 {
		t.Errorf("calls %d, want 4: a 400 must not be retried", n)
	}
	if n := gathered(t, reg, "lantian_alertmanager_errors_total"); n != 3 {
		t.Errorf("errors_total %g, want 3 (500, 503, 400)", n)
	}
	if n := value(c.DroppedCounter("undeliverable")); n != 1 {
		t.Errorf("undeliverable %g, want 1", n)
	}
	got := fake.received()
	if len(got) != 4 || got[3][0].Labels["alertname"] != "B" {
		t.Fatalf("bodies: %+v", got)
	}
	// A firing alert is sent with endsAt ahead of now.
	if e := got[3][0].EndsAt; !e.After(time.Now()) {
		t.Errorf("firing alert endsAt %s", e)
	}
}

func TestNotifyQueueIsBoundedAndFlushedAtShutdown(t *testing.T) {
	fake := &fakeAM{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := notify.New(notify.Config{URLs: []string{srv.URL + "/prefix"}, QueueSize: 3, ResendInterval: time.Hour}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Not running yet: five alerts into a queue of three drop the two oldest.
	for i := range 5 {
		c.Notify(notify.Alert{Labels: map[string]string{"alertname": "Q", "i": fmt.Sprint(i)}, EndsAt: time.Now()})
	}
	c.Notify(notify.Alert{Labels: map[string]string{"bad-name": "x"}})
	c.Notify(notify.Alert{Labels: map[string]string{"alertname": ""}})
	if n := value(c.DroppedCounter("queue_full")); n != 2 {
		t.Errorf("queue_full %g, want 2", n)
	}
	if n := value(c.DroppedCounter("invalid")); n != 2 {
		t.Errorf("invalid %g, want 2", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stopped before it ever ran: the final flush still delivers the queue
	_ = c.Run(ctx)
	got := fake.received()
	var is []string
	for _, b := range got {
		for _, a := range b {
			is = append(is, a.Labels["i"])
		}
	}
	if strings.Join(is, ",") != "2,3,4" {
		t.Errorf("delivered %v, want the newest three", is)
	}
}

func TestNotifyConfigErrors(t *testing.T) {
	for _, urls := range [][]string{nil, {"ftp://x"}, {"http://"}, {"http://h?x=1"}, {"::"}} {
		if _, err := notify.New(notify.Config{URLs: urls}, nil, nil); err == nil {
			t.Errorf("urls %q accepted", urls)
		}
	}
	reg := prometheus.NewRegistry()
	if _, err := notify.New(notify.Config{URLs: []string{"http://a"}}, reg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := notify.New(notify.Config{URLs: []string{"http://a"}, Component: "warnings"}, reg, nil); err != nil {
		t.Errorf("second client with its own component: %v", err)
	}
	if _, err := notify.New(notify.Config{URLs: []string{"http://a"}}, reg, nil); err == nil {
		t.Error("two clients of one component registered the same metrics")
	}
}

func TestRecorderAndNop(t *testing.T) {
	var r notify.Recorder
	var n notify.Notifier = &r
	a := notify.Alert{Labels: map[string]string{"alertname": "X"}}
	n.Notify(a)
	a.Labels["alertname"] = "changed"
	if got := r.Alerts(); len(got) != 1 || got[0].Labels["alertname"] != "X" {
		t.Errorf("recorded %+v", got)
	}
	notify.Nop{}.Notify(a)
}

func TestGeneratorURLFillsAlertsWithoutOne(t *testing.T) {
	fake := &fakeAM{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := notify.New(notify.Config{URLs: []string{srv.URL + "/prefix"}, GeneratorURL: "http://console:8080/", ResendInterval: time.Hour}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Notify(notify.Alert{Labels: map[string]string{"alertname": "A"}, EndsAt: time.Now()},
		notify.Alert{Labels: map[string]string{"alertname": "B"}, EndsAt: time.Now(), GeneratorURL: "http://own/"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = c.Run(ctx)
	got := map[string]string{}
	for _, b := range fake.received() {
		for _, a := range b {
			got[a.Labels["alertname"]] = a.GeneratorURL
		}
	}
	if got["A"] != "http://console:8080/" || got["B"] != "http://own/" {
		t.Errorf("generator URLs %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := notify.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := notify.DefaultConfig()
	c.URLs, c.MaxAttempts, c.QueueSize, c.GeneratorURL = []string{"http://a", "ftp://b"}, 0, 0, "x"
	err := c.Validate()
	for _, want := range []string{"alertmanager.urls[1]", "alertmanager.max_attempts 0", "alertmanager.queue_size 0", "alertmanager.generator_url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}
