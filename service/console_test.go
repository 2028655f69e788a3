package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lantian/internal/devenv/testenv"
)

// TestConsoleShowsLatestReadingsAndSilentStations opens the operators' page in a real Chromium:
// stations that reported show their values and AQI colour, the one that did not is marked silent.
func TestConsoleShowsLatestReadingsAndSilentStations(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-console")
	run := startService(t, cfg)
	pub := newPublisher(t, mosq.URL, "pub-console")
	now := time.Now().Truncate(time.Minute)
	pub.publish("lantian/air/cj-01", []byte(fmt.Sprintf(`{"time":%d,"pm25":160,"pm10":210,"so2":12,"no2":40,"co":1.2,"o3":20,"flags":{"so2":"C"}}`, now.Unix())))
	pub.publish("lantian/air/fk-01", []byte(fmt.Sprintf(`{"time":%d,"pm25":20,"pm10":40,"so2":5,"no2":15,"co":0.4,"o3":60}`, now.Unix())))
	testenv.Eventually(t, 20*time.Second, func() error {
		if influx.Count(t, "air", "pm25", "") != 2 {
			return testenv.ErrNotYet
		}
		return nil
	})

	ctx := testenv.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate("http://"+run.svc.HTTPAddr+"/"), chromedp.WaitVisible(chromedp.CSS(`#stations`))); err != nil {
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
	cj01, fk01, cj02 := text(`tr[data-station="cj-01"]`), text(`tr[data-station="fk-01"]`), text(`tr[data-station="cj-02"]`)
	cj01Colour, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('tr[data-station="cj-01"] td.aqi')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	// PM2.5 160 µg/m³ is IAQI 210 (150-250 → 200-300): level 5, purple #99004C.
	for _, want := range []string{"210", "PM2.5", "160", "C", "正常"} {
		if !strings.Contains(cj01, want) {
			t.Errorf("cj-01 row %q lacks %q", cj01, want)
		}
	}
	if cj01Colour != "rgb(153, 0, 76)" {
		t.Errorf("cj-01 AQI cell colour %s, want the official purple rgb(153, 0, 76)", cj01Colour)
	}
	if !strings.Contains(fk01, "正常") || strings.Contains(fk01, "离线") {
		t.Errorf("fk-01 row %q should be ok", fk01)
	}
	if !strings.Contains(cj02, "离线") {
		t.Errorf("cj-02 sent nothing and should be silent: %q", cj02)
	}
}
