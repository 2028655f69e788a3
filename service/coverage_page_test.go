package service_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lantian/ingest/registry"
	"lantian/internal/devenv/testenv"
)

// TestCoveragePageShowsMandatedOutletWithoutData opens the console's coverage page in Chromium:
// a 80 m stack that never reported is a red "no data" row, a 20 m stack is not required.
func TestCoveragePageShowsMandatedOutletWithoutData(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-coverage")
	cfg.Sources = []registry.Source{
		{ID: "tall", Name: "高架源", Area: "changji", Industry: "power",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 80, MN: "CEMS0000TALL",
				Plant: registry.Plant{BoilerTH: 130, Fuel: registry.FuelCoal}}}},
		{ID: "low", Name: "矮烟囱", Area: "qitai", Industry: "food",
			Outlets: []registry.Outlet{{ID: "DA001", StackHeightM: 20}}},
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)
	ctx := testenv.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate("http://"+run.svc.HTTPAddr+"/sources/coverage"), chromedp.WaitVisible(chromedp.CSS(`#coverage`))); err != nil {
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
	if got := text(`tr[data-outlet="tall/DA001"] td.status`); got != "无数据 no data" {
		t.Errorf("tall stack status %q", got)
	}
	colour, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('tr[data-outlet="tall/DA001"] td.status')).backgroundColor`))
	if err != nil || colour != "rgb(224, 47, 68)" {
		t.Errorf("tall stack status colour %q %v, want red", colour, err)
	}
	if got := text(`tr[data-outlet="tall/DA001"]`); !contains(got, "是 yes (stack_height)", "燃煤锅炉 130 t/h") {
		t.Errorf("tall stack row %q", got)
	}
	if got := text(`tr[data-outlet="low/DA001"] td.status`); got != "不要求 not required" {
		t.Errorf("low stack status %q", got)
	}
	if got := text(`body > p`); !contains(got, "1 个应联网排口") {
		t.Errorf("summary %q", got)
	}
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
