package service_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/ingest/deadletter"
	"lantian/ingest/registry"
	"lantian/internal/devenv/testenv"
	"lantian/service"
	"lantian/service/config"
)

// testConfig is a small registry: three stations in two counties and one source outlet.
func testConfig(t *testing.T, mqttURL, influxURL, clientID string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.MQTT.URL = mqttURL
	cfg.MQTT.ClientID = clientID
	cfg.Influx.URL = influxURL
	cfg.Influx.Bucket = "lantian/autogen"
	cfg.Influx.RetryInterval = 200 * time.Millisecond
	cfg.Influx.Timeout = 5 * time.Second
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Ingest.MaxAge = 365 * 24 * time.Hour
	cfg.Stations = []registry.Station{
		{ID: "cj-01", Name: "昌吉市监测站", Area: "changji", Class: registry.National},
		{ID: "cj-02", Name: "昌吉州环境监测站", Area: "changji", Class: registry.National},
		{ID: "fk-01", Name: "阜康市监测站", Area: "fukang", Class: registry.National},
	}
	cfg.Sources = []registry.Source{{ID: "px-power", Name: "示例电厂", Area: "changji", Industry: "power",
		Outlets: []registry.Outlet{{ID: "DA001", ReferenceO2Pct: 6, Limits: map[string]float64{"dust": 10, "so2": 35, "nox": 50}}}}}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

type running struct {
	svc    *service.Service
	cancel context.CancelFunc
	done   chan error
}

func startService(t *testing.T, cfg config.Config) *running {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := service.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	testenv.Eventually(t, 20*time.Second, func() error {
		if ok, why := svc.Ready(); !ok {
			return fmt.Errorf("not ready: %v", why)
		}
		return nil
	})
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("service stopped with error: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("service did not stop within 30s")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// publisher is a QoS 1 publisher with a persistent session: a publish interrupted by a broker
// restart is retried until the broker acknowledges it.
type publisher struct {
	t      *testing.T
	client paho.Client
}

func newPublisher(t *testing.T, url, id string) *publisher {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).
		SetMaxReconnectInterval(time.Second).SetWriteTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher connect: %v", tok.Error())
	}
	p := &publisher{t: t, client: c}
	t.Cleanup(func() { c.Disconnect(100) })
	return p
}

// publish sends one message at QoS 1, retrying until acknowledged (at-least-once).
func (p *publisher) publish(topic string, payload []byte) {
	for attempt := 0; ; attempt++ {
		tok := p.client.Publish(topic, 1, false, payload)
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			return
		}
		if attempt > 100 {
			p.t.Fatalf("publish %s never acknowledged: %v", topic, tok.Error())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// publishAsync publishes many messages with a window of outstanding tokens.
func (p *publisher) publishAll(msgs []message) {
	const window = 500
	type pending struct {
		tok paho.Token
		m   message
	}
	var inflight []pending
	settle := func(x pending) {
		if !x.tok.WaitTimeout(10*time.Second) || x.tok.Error() != nil {
			p.publish(x.m.topic, x.m.payload)
		}
	}
	for _, m := range msgs {
		inflight = append(inflight, pending{p.client.Publish(m.topic, 1, false, m.payload), m})
		if len(inflight) >= window {
			settle(inflight[0])
			inflight = inflight[1:]
		}
	}
	for _, x := range inflight {
		settle(x)
	}
}

type message struct {
	topic   string
	payload []byte
}

// airMessages makes n hourly readings per station with distinct timestamps, stamped relative
// to now so they pass the age check.
func airMessages(stations []string, n int, start time.Time) []message {
	var out []message
	for i := 0; i < n; i++ {
		ts := start.Add(time.Duration(i) * time.Minute)
		for j, st := range stations {
			p := fmt.Sprintf(`{"station":%q,"time":%q,"period":"rt","pm25":%d,"pm10":%d,"so2":8,"no2":31.5,"co":0.9,"o3":"44","flags":{"pm25":"N"}}`,
				st, ts.Format(time.RFC3339), 30+i%50+j, 60+i%70)
			out = append(out, message{topic: "lantian/air/" + st, payload: []byte(p)})
		}
	}
	return out
}

func TestEveryQoS1ReadingStoredOnceWithItsTagsAndTime(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-exact")
	startService(t, cfg)

	start := time.Now().Add(-72 * time.Hour).Truncate(time.Minute)
	msgs := airMessages([]string{"cj-01", "cj-02", "fk-01"}, 400, start)
	for i := 0; i < 50; i++ {
		ts := start.Add(time.Duration(i) * time.Hour)
		msgs = append(msgs, message{topic: "lantian/source/px-power/DA001", payload: []byte(fmt.Sprintf(
			`{"time":%d,"period":"1h","dust":3.1,"so2":21,"nox":38.5,"o2":7.2,"flow":512000,"temp":49.5,"so2_zs":"20.1","flags":{"so2":"N","nox":"C"}}`, ts.Unix()))})
	}
	pub := newPublisher(t, mosq.URL, "pub-exact")
	pub.publishAll(msgs)

	testenv.Eventually(t, 30*time.Second, func() error {
		air, em := influx.Count(t, "air", "pm25", ""), influx.Count(t, "emission", "so2", "")
		if air != 1200 || em != 50 {
			return fmt.Errorf("air %d of 1200, emission %d of 50", air, em)
		}
		return nil
	})
	if n := influx.Count(t, "air", "pm25", `"county"='fukang' AND "station"='fk-01' AND "period"='rt'`); n != 400 {
		t.Errorf("fk-01 points with county tag fukang: %d, want 400", n)
	}
	if n := influx.Count(t, "air", "pm25", `"area"='wcs'`); n != 1200 {
		t.Errorf("points tagged with key area wcs: %d, want 1200 (changji and fukang are members)", n)
	}
	// The first reading of cj-02 comes back with its own timestamp and values.
	body, err := influx.InfluxQL(fmt.Sprintf(`SELECT pm25, pm10, no2, o3, pm25_flag FROM air WHERE station='cj-02' AND time = '%s'`, start.UTC().Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`[["%s",31,60,31.5,44,"N"]]`, start.UTC().Format(time.RFC3339))
	if !strings.Contains(string(body), want) {
		t.Errorf("cj-02 first reading: got %s, want values %s", body, want)
	}
	body, err = influx.InfluxQL(`SELECT so2, so2_zs, nox_flag, flow FROM emission WHERE source='px-power' AND outlet='DA001' AND industry='power' AND period='1h' LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `,21,20.1,"C",512000]]`) {
		t.Errorf("emission reading: got %s", body)
	}
}

func TestBadInputIsDeadLetteredWhileGoodTrafficFlows(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-bad")
	run := startService(t, cfg)

	now := time.Now().UTC().Truncate(time.Second)
	bad := []struct {
		topic, payload, reason string
	}{
		{"lantian/air/cj-01", `{"time":"2026-01-01T00:00:00Z","pm25":`, "malformed_json"},
		{"lantian/air/nowhere", fmt.Sprintf(`{"time":%d,"pm25":30}`, now.Unix()), "unknown_station"},
		{"lantian/air/cj-01", fmt.Sprintf(`{"time":%d,"pm25":-5}`, now.Unix()), "out_of_range"},
		{"lantian/air/cj-01", fmt.Sprintf(`{"time":%d,"pm25":99999}`, now.Unix()), "out_of_range"},
		{"lantian/air/cj-01", fmt.Sprintf(`{"time":%d,"pm25":"NaN"}`, now.Unix()), "non_finite"},
		{"lantian/air/cj-01", fmt.Sprintf(`{"time":%d,"pm25":1e999}`, now.Unix()), "non_finite"},
		{"lantian/air/cj-01", fmt.Sprintf(`{"time":%d,"pm25":30,"aqi":80}`, now.Unix()), "unknown_field"},
		{"lantian/air/cj-01", fmt.Sprintf(`{"time":%d,"pm25":30}`, now.Add(24*time.Hour).Unix()), "time_in_future"},
		{"lantian/air/cj-01", `{"time":"yesterday","pm25":30}`, "bad_time"},
		{"lantian/source/px-power/DA009", fmt.Sprintf(`{"time":%d,"so2":30}`, now.Unix()), "unknown_outlet"},
		{"lantian/air/cj-01", `{"time":"2026-01-01T00:00:00Z","pm25":30,"station":"cj-02"}`, "topic_mismatch"},
		{"lantian/air/cj-01", "\xff\xfe binary garbage \x00", "malformed_json"},
		{"lantian/air/cj-01", `{"pm25":` + strings.Repeat("1", 1<<20) + `}`, "too_large"},
	}
	pub := newPublisher(t, mosq.URL, "pub-bad")
	good := airMessages([]string{"cj-01", "cj-02", "fk-01"}, 300, now.Add(-10*time.Hour))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		goodPub := newPublisher(t, mosq.URL, "pub-good")
		goodPub.publishAll(good)
	}()
	for _, b := range bad {
		pub.publish(b.topic, []byte(b.payload))
	}
	wg.Wait()

	testenv.Eventually(t, 30*time.Second, func() error {
		if n := influx.Count(t, "air", "pm25", ""); n != len(good) {
			return fmt.Errorf("good readings stored: %d of %d", n, len(good))
		}
		return nil
	})
	// Every bad message is in the dead letters with its reason and payload.
	var entries []deadletter.Entry
	testenv.Eventually(t, 10*time.Second, func() error {
		entries = readDeadLetters(t, filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName))
		if len(entries) != len(bad) {
			return fmt.Errorf("%d dead letters, want %d", len(entries), len(bad))
		}
		return nil
	})
	byPayload := map[string]deadletter.Entry{}
	for _, e := range entries {
		byPayload[e.Topic+"|"+e.Payload+string(e.PayloadBase64)] = e
	}
	for _, b := range bad {
		p := b.payload
		if len(p) > 1<<20 {
			p = p[:1<<20]
		}
		e, ok := byPayload[b.topic+"|"+p]
		if !ok {
			t.Errorf("no dead letter for %.60q on %s", b.payload, b.topic)
			continue
		}
		if e.Reason != b.reason || e.Error == "" || e.Size != len(b.payload) {
			t.Errorf("dead letter for %.60q: reason %q (want %q), error %q, size %d", b.payload, e.Reason, b.reason, e.Error, e.Size)
		}
	}
	metrics := scrape(t, run.svc.HTTPAddr)
	for reason, want := range map[string]int{"malformed_json": 2, "bad_time": 1, "out_of_range": 2, "non_finite": 2, "too_large": 1, "unknown_station": 1} {
		line := fmt.Sprintf(`lantian_rejected_total{reason=%q} %d`, reason, want)
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %q", line)
		}
	}
}

func readDeadLetters(t *testing.T, path string) []deadletter.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []deadletter.Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	for sc.Scan() {
		var e deadletter.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("dead-letter line is not JSON: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outageDuration is how long InfluxDB stays down in the outage test: a minute, as operators
// see in practice when InfluxDB restarts after an upgrade or compaction stall.
const outageDuration = time.Minute

func TestInfluxOutageSpoolsAndDrainsInOrderLosingNothing(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-outage")
	run := startService(t, cfg)

	stations := []string{"cj-01", "cj-02", "fk-01"}
	start := time.Now().Add(-100 * time.Hour).Truncate(time.Minute)
	var published atomic.Int64
	ctx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		pub := newPublisher(t, mosq.URL, "pub-outage")
		for i := 0; ctx.Err() == nil; i++ {
			msgs := airMessages(stations, 1, start.Add(time.Duration(i)*time.Second))
			pub.publishAll(msgs)
			published.Add(int64(len(msgs)))
			time.Sleep(5 * time.Millisecond)
		}
	}()
	testenv.Eventually(t, 20*time.Second, func() error {
		if influx.Count(t, "air", "pm25", "") < 300 {
			return testenv.ErrNotYet
		}
		return nil
	})
	influx.Stop()
	outageEnd := time.Now().Add(outageDuration)
	testenv.Eventually(t, 30*time.Second, func() error {
		if !strings.Contains(scrape(t, run.svc.HTTPAddr), "lantian_influx_up 0") {
			return fmt.Errorf("writer has not noticed the outage")
		}
		return nil
	})
	time.Sleep(time.Until(outageEnd))
	m := scrape(t, run.svc.HTTPAddr)
	if strings.Contains(m, "lantian_spool_batches 0\n") {
		t.Fatalf("spool stayed empty during a %s outage under load", outageDuration)
	}
	if ok, _ := run.svc.Ready(); !ok {
		t.Error("service reports not ready while the spool has room")
	}
	influx.Start()
	time.Sleep(2 * time.Second)
	stopLoad()
	<-loadDone
	total := int(published.Load())
	testenv.Eventually(t, 60*time.Second, func() error {
		if n := influx.Count(t, "air", "pm25", ""); n != total {
			return fmt.Errorf("stored %d of %d published", n, total)
		}
		if !strings.Contains(scrape(t, run.svc.HTTPAddr), "lantian_spool_batches 0\n") {
			return fmt.Errorf("spool not drained")
		}
		return nil
	})
	t.Logf("published %d readings across a %s outage; all stored", total, outageDuration)
}

func TestMosquittoRestartUnderLoadLosesNothing(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-brokerrestart")
	run := startService(t, cfg)
	t.Cleanup(func() {
		if t.Failed() {
			m := scrape(t, run.svc.HTTPAddr)
			for _, l := range strings.Split(m, "\n") {
				if strings.HasPrefix(l, "lantian_") && !strings.Contains(l, "bucket") {
					t.Log(l)
				}
			}
			t.Log(readDeadLetters(t, filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName)))
		}
	})

	msgs := airMessages([]string{"cj-01", "cj-02", "fk-01"}, 3000, time.Now().Add(-100*time.Hour))
	done := make(chan struct{})
	go func() {
		defer close(done)
		pub := newPublisher(t, mosq.URL, "pub-restart")
		for i := 0; i < len(msgs); i += 300 {
			pub.publishAll(msgs[i:min(i+300, len(msgs))])
			time.Sleep(20 * time.Millisecond)
		}
	}()
	testenv.Eventually(t, 20*time.Second, func() error {
		if influx.Count(t, "air", "pm25", "") < 1000 {
			return testenv.ErrNotYet
		}
		return nil
	})
	mosq.Restart()
	<-done
	testenv.Eventually(t, 60*time.Second, func() error {
		if n := influx.Count(t, "air", "pm25", ""); n != len(msgs) {
			return fmt.Errorf("stored %d of %d", n, len(msgs))
		}
		return nil
	})
}

func TestPointsInfluxRefusesGoToDeadLettersAndTheRestIsStored(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-refused")
	run := startService(t, cfg)
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(scrape(t, run.svc.HTTPAddr), "\n") {
				if strings.HasPrefix(l, "lantian_") && !strings.Contains(l, "bucket") && !strings.Contains(l, "latest") {
					t.Log(l)
				}
			}
		}
	})

	// A text value already stored for temp makes InfluxDB refuse float temp points in the
	// same shard: a field type conflict, the 4xx that retrying can never fix. Only cj-01's
	// readings carry temp.
	start := time.Now().Add(-30 * time.Hour).Truncate(time.Hour)
	conflict := fmt.Sprintf("air,area=wcs,county=changji,period=rt,station=cj-00 temp=\"broken\" %d", start.Add(-time.Minute).UnixNano())
	resp, err := http.Post(influx.URL+"/write?db=lantian", "text/plain", strings.NewReader(conflict))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("seeding the conflict: %s", resp.Status)
	}
	msgs := airMessages([]string{"cj-01", "fk-01"}, 50, start)
	for i := range msgs {
		if strings.HasSuffix(msgs[i].topic, "/cj-01") {
			msgs[i].payload = []byte(strings.Replace(string(msgs[i].payload), `"pm25"`, `"temp":-11.5,"pm25"`, 1))
		}
	}
	pub := newPublisher(t, mosq.URL, "pub-refused")
	pub.publishAll(msgs)

	testenv.Eventually(t, 30*time.Second, func() error {
		if n := influx.Count(t, "air", "pm10", `"station"='fk-01'`); n != 50 {
			return fmt.Errorf("fk-01 points stored: %d of 50", n)
		}
		return nil
	})
	var refused []deadletter.Entry
	testenv.Eventually(t, 30*time.Second, func() error {
		refused = nil
		for _, e := range readDeadLetters(t, filepath.Join(cfg.DataDir, "deadletters", deadletter.FileName)) {
			if e.Origin == "influx" {
				refused = append(refused, e)
			}
		}
		if len(refused) != 50 {
			return fmt.Errorf("%d refused points in dead letters, want the 50 of cj-01", len(refused))
		}
		return nil
	})
	for _, e := range refused {
		if e.Reason != "influx_rejected" || !strings.Contains(e.Payload, "station=cj-01") || !strings.Contains(e.Error, "conflict") {
			t.Fatalf("dead letter %+v", e)
		}
	}
}

func TestShutdownLeavesNoGoroutines(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	before := runtime.NumGoroutine()
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-goroutines")
	cfg.HJ212.Listen = "127.0.0.1:0"
	run := startService(t, cfg)
	pub := newPublisher(t, mosq.URL, "pub-goroutines")
	pub.publishAll(airMessages([]string{"cj-01"}, 100, time.Now().Add(-5*time.Hour)))
	testenv.Eventually(t, 20*time.Second, func() error {
		if influx.Count(t, "air", "pm25", "") != 100 {
			return testenv.ErrNotYet
		}
		return nil
	})
	pub.client.Disconnect(100)
	run.stop(t)
	http.DefaultClient.CloseIdleConnections()
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			return fmt.Errorf("%d goroutines after shutdown, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}
