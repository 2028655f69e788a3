package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/ingest/registry"
	"lantian/internal/devenv/localproc"
	"lantian/internal/devenv/testenv"
	"lantian/service"
	"lantian/service/config"
)

// startLantian runs `lantian run` in-process (package service) against the real broker and InfluxDB.
func startLantian(t *testing.T, mqttURL, influxURL string) *service.Service {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.MQTT.URL = mqttURL
	cfg.MQTT.ClientID = "lantian-dashboards-test"
	cfg.Influx.URL = influxURL
	cfg.Influx.Bucket = "lantian/autogen"
	cfg.Influx.RetryInterval = 200 * time.Millisecond
	cfg.Influx.Timeout = 2 * time.Second
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Stations = []registry.Station{
		{ID: "cj-01", Name: "昌吉州环境监测站", Area: "changji", Class: registry.National},
		{ID: "fk-01", Name: "阜康市环境监测站", Area: "fukang", Class: registry.National},
	}
	cfg.Sources = []registry.Source{{ID: "cj-power-1", Name: "示例电厂", Area: "changji", Industry: "power",
		Outlets: []registry.Outlet{{ID: "unit-1", ReferenceO2Pct: 6, Limits: map[string]float64{"dust": 10, "so2": 35, "nox": 50}}}}}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("lantian run: %v", err)
		}
	})
	testenv.Eventually(t, 30*time.Second, func() error {
		if ok, why := svc.Ready(); !ok {
			return fmt.Errorf("lantian not ready: %v", why)
		}
		return nil
	})
	return svc
}

// startPrometheus runs the real Prometheus scraping target every second, with the deploy
// rules loaded (a rule that does not load fails the start).
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin := tool(t, "prometheus", "/usr/bin/prometheus")
	dir := t.TempDir()
	rules := filepath.Join(repoRoot(t), "deploy", "prometheus", "rules", "*.yml")
	conf := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: lantian
    static_configs: [{targets: [%q]}]
`, rules, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := "http://" + addr
	prom := &localproc.Process{Name: "prometheus", Bin: bin,
		Args: []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"),
			"--storage.tsdb.path=" + filepath.Join(dir, "data"), "--web.listen-address=" + addr},
		Ready: localproc.HTTPReady(base + "/-/ready")}
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prom.Stop)
	return base
}

type promAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	} `json:"data"`
}

func promQuery(t *testing.T, base, path string, params url.Values) (promAnswer, error) {
	t.Helper()
	var a promAnswer
	resp, err := http.PostForm(base+path, params)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return a, fmt.Errorf("decode %s: %w", path, err)
	}
	if a.Status != "success" {
		return a, fmt.Errorf("%s", a.Error)
	}
	return a, nil
}

func publish(t *testing.T, c paho.Client, topic, payload string) {
	t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// TestPromQueries runs every PromQL query of every board against a real Prometheus scraping a
// running lantian that has stored readings, refused a message and lived through an InfluxDB
// outage, so that every series the boards draw exists: each query must answer without error
// and with data.
func TestPromQueries(t *testing.T) {
	mosq := testenv.StartMosquitto(t)
	in := testenv.StartInflux(t)
	svc := startLantian(t, mosq.URL, in.URL)
	prom := startPrometheus(t, svc.HTTPAddr)

	opts := paho.NewClientOptions().AddBroker(mosq.URL).SetClientID("dashboards-test-pub").SetConnectTimeout(5 * time.Second)
	pub := paho.NewClient(opts)
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect publisher: %v", tok.Error())
	}
	defer pub.Disconnect(100)
	now := time.Now().Truncate(time.Minute)
	reading := func(at time.Time, pm25 float64) string {
		return fmt.Sprintf(`{"time":%d,"period":"1h","pm25":%g,"pm10":60,"so2":8,"no2":27,"co":0.6,"o3":88}`, at.Unix(), pm25)
	}
	publish(t, pub, "lantian/air/cj-01", reading(now.Add(-time.Hour), 35))
	publish(t, pub, "lantian/air/fk-01", reading(now.Add(-time.Hour), 50))
	publish(t, pub, "lantian/source/cj-power-1/unit-1", fmt.Sprintf(`{"time":%d,"period":"1h","dust":3,"so2":20,"nox":40,"o2":7,"flow":500000}`, now.Add(-time.Hour).Unix()))
	publish(t, pub, "lantian/air/cj-01", `{"time":`) // malformed: a counted rejection

	// An InfluxDB outage: the batch goes to the spool, then drains.
	in.Stop()
	publish(t, pub, "lantian/air/cj-01", reading(now.Add(-2*time.Hour), 40))
	testenv.Eventually(t, 30*time.Second, func() error {
		a, err := promQuery(t, prom, "/api/v1/query", url.Values{"query": {`lantian_influx_writes_total{outcome!="ok"} > 0`}})
		if err != nil || len(a.Data.Result) == 0 {
			return fmt.Errorf("no failed write scraped yet: %v", err)
		}
		return nil
	})
	in.Start()
	testenv.Eventually(t, 60*time.Second, func() error {
		a, err := promQuery(t, prom, "/api/v1/query", url.Values{"query": {`lantian_spool_drained_batches_total > 0 and lantian_influx_up == 1`}})
		if err != nil || len(a.Data.Result) == 0 {
			return fmt.Errorf("spool not drained yet: %v", err)
		}
		return nil
	})
	// Enough samples after the events for rate() windows to have two points each.
	testenv.Eventually(t, 30*time.Second, func() error {
		a, err := promQuery(t, prom, "/api/v1/query", url.Values{"query": {`count_over_time(lantian_influx_up[15s]) >= 12`}})
		if err != nil || len(a.Data.Result) == 0 {
			return fmt.Errorf("not enough scrapes yet: %v", err)
		}
		return nil
	})

	replacer := strings.NewReplacer("$__rate_interval", "10s", "${county:regex}", ".*")
	end := time.Now()
	checked := 0
	for _, bj := range defaultBoards() {
		for _, q := range queriesOf(t, bj.decoded(t)) {
			if q.dsType != "prometheus" {
				continue
			}
			checked++
			expr := replacer.Replace(q.text)
			t.Run(q.String(), func(t *testing.T) {
				var a promAnswer
				var err error
				if q.instant {
					a, err = promQuery(t, prom, "/api/v1/query", url.Values{"query": {expr}, "time": {fmt.Sprint(end.Unix())}})
				} else {
					a, err = promQuery(t, prom, "/api/v1/query_range", url.Values{"query": {expr},
						"start": {fmt.Sprint(end.Add(-2 * time.Minute).Unix())}, "end": {fmt.Sprint(end.Unix())}, "step": {"1"}})
				}
				if err != nil {
					t.Fatalf("%s: %v", expr, err)
				}
				if len(a.Data.Result) == 0 {
					t.Errorf("%s: no data", expr)
				}
			})
		}
	}
	if checked < 15 {
		t.Fatalf("only %d PromQL queries found", checked)
	}
}
