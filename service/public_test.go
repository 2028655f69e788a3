package service_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lantian/ingest/registry"
	"lantian/internal/devenv/testenv"
)

// TestPublicPageInChromium opens /public without login in a real Chromium, desktop and phone
// sized: the county's AQI is the mean of its assessment stations in the official colour with
// HJ 633's advice, a warning in force is shown, times carry +08:00, the grid micro-station and
// the registered source are absent, and the page is cacheable.
func TestPublicPageInChromium(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-public")
	cfg.Stations = append(cfg.Stations, registry.Station{ID: "cj-m1", Name: "微站一号", Area: "changji", Class: registry.Micro})
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	base := "http://" + run.svc.HTTPAddr
	pub := newPublisher(t, mosq.URL, "pub-public")
	hour := time.Now().Truncate(time.Hour)
	send := func(st string, pm25, pm10 int) {
		pub.publish("lantian/air/"+st, fmt.Appendf(nil, `{"time":%d,"pm25":%d,"pm10":%d,"so2":10,"no2":30,"co":0.8,"o3":40}`, hour.Unix(), pm25, pm10))
	}
	// PM2.5 160 and 140: the county mean is 150 µg/m³, IAQI 200 in both editions (breakpoint
	// 150 → 200), 中度污染; cj-01 alone is 210, 重度污染.
	send("cj-01", 160, 100)
	send("cj-02", 140, 100)
	send("fk-01", 20, 40)
	send("cj-m1", 400, 500)
	testenv.Eventually(t, 20*time.Second, func() error {
		if n := influx.Count(t, "air", "pm25", ""); n != 4 {
			return fmt.Errorf("stored: %d", n)
		}
		return nil
	})
	if code, body := apiCall(t, base, http.MethodPost, "/api/v1/warnings", emergencyToken,
		`{"level":"orange","areas":["changji"],"reason":"内部理由 internal","who":"王主任"}`); code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}

	resp, err := http.Get(base + "/public")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" || resp.Header.Get("ETag") == "" {
		t.Errorf("cache headers %q etag %q", cc, resp.Header.Get("ETag"))
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/public", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %v %v, want 304", r2, err)
	} else {
		r2.Body.Close()
	}

	ctx := testenv.Browser(t)
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 375, 667}} {
		t.Run(vp.name, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h, chromedp.EmulateScale(1)),
				chromedp.Navigate(base+"/public"), chromedp.WaitVisible(chromedp.CSS(`#counties`))); err != nil {
				t.Fatal(err)
			}
			text := func(sel string) string {
				t.Helper()
				s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
				if err != nil {
					t.Fatalf("%s: %v", sel, err)
				}
				return s
			}
			eval := func(js string) string {
				t.Helper()
				s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
				if err != nil {
					t.Fatalf("%s: %v", js, err)
				}
				return s
			}
			county := text(`div[data-id="changji"][data-county]`)
			for _, want := range []string{"昌吉", "200", "中度污染", "四级", "PM2.5", "一般人群适量减少户外运动", "+08:00"} {
				if !strings.Contains(county, want) {
					t.Errorf("changji card %q lacks %q", county, want)
				}
			}
			if c := eval(`getComputedStyle(document.querySelector('div[data-id="changji"] .head')).backgroundColor`); c != "rgb(255, 0, 0)" {
				t.Errorf("changji colour %s, want the official red", c)
			}
			if c := eval(`getComputedStyle(document.querySelector('div[data-id="cj-01"] .head')).backgroundColor`); c != "rgb(153, 0, 76)" {
				t.Errorf("cj-01 colour %s, want the official purple", c)
			}
			if s := text(`div[data-id="cj-01"]`); !strings.Contains(s, "210") || !strings.Contains(s, "重度污染") {
				t.Errorf("cj-01 card %q", s)
			}
			if w := text(`#warnings`); !strings.Contains(w, "橙色预警") || !strings.Contains(w, "昌吉") || strings.Contains(w, "内部理由") {
				t.Errorf("warnings %q", w)
			}
			body := text(`body`)
			for _, hidden := range []string{"微站一号", "cj-m1", "示例电厂", "px-power", "王主任"} {
				if strings.Contains(body, hidden) {
					t.Errorf("page shows internal %q", hidden)
				}
			}
			if !strings.Contains(text(`#data-time`), hour.In(cfg.Location()).Format(time.RFC3339)) {
				t.Errorf("data time %q, want %s", text(`#data-time`), hour.In(cfg.Location()).Format(time.RFC3339))
			}
			if over := eval(`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); over != "0" {
				t.Errorf("page overflows the %s viewport by %s px", vp.name, over)
			}
		})
	}
}
