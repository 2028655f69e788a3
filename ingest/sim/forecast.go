package sim

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"lantian/ingest/jsonreading"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// ForecastAQI grades the forecast of one area and day from the mean 24-h PM2.5 and PM10 of its
// stations (µg/m³): the day's AQI and its primary pollutant ("" when none). Package sim knows
// no AQI rules (ingest never imports alert/), so the caller passes them.
type ForecastAQI func(date time.Time, pm25, pm10 float64) (aqi int, primary string)

// ForecastOptions configure PublishForecasts.
type ForecastOptions struct {
	// Registry gives the areas (counties and parks) of the stations.
	Registry *registry.Registry
	AQI      ForecastAQI
	// Publish sends one message; its topic is relative to the topic prefix (forecast/<area>).
	Publish func(topic string, payload []byte) error
	// Every is the time between two rounds (0: 5 minutes).
	Every time.Duration
	// Log receives the forecasts that could not be published (nil: slog.Default()).
	Log *slog.Logger
}

// forecastDays is how many days ahead, from tomorrow, a forecast covers.
const forecastDays = 3

// Forecasts plays the forecasting centre at now: a 3-day forecast per area from the simulator's
// own future (a perfect forecast), one message per area in area order, following the forecast
// contract (docs/warnings.md "Forecast input").
func Forecasts(s *Simulator, reg *registry.Registry, grade ForecastAQI, now time.Time) []Message {
	areaOf := map[string]string{}
	for _, st := range reg.Stations {
		areaOf[st.ID] = st.Area
	}
	type day struct {
		Date    string `json:"date"`
		AQI     int    `json:"aqi"`
		Primary string `json:"primary,omitempty"`
	}
	now = now.In(s.loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	forecast := map[string][]day{}
	for d := 1; d <= forecastDays; d++ {
		date := today.AddDate(0, 0, d)
		sums := map[string][2]float64{}
		counts := map[string]float64{}
		for _, m := range s.Messages(date, reading.Day) {
			station, ok := strings.CutPrefix(m.Topic, "air/")
			area := areaOf[station]
			if !ok || area == "" {
				continue
			}
			r, err := jsonreading.DecodeAir(station, m.Payload)
			if err != nil {
				continue
			}
			pm25, ok25 := r.Get("pm25")
			pm10, ok10 := r.Get("pm10")
			if !ok25 || !ok10 {
				continue
			}
			v := sums[area]
			sums[area] = [2]float64{v[0] + pm25.Value, v[1] + pm10.Value}
			counts[area]++
		}
		for area, v := range sums {
			dd := day{Date: date.Format("2006-01-02")}
			dd.AQI, dd.Primary = grade(date, v[0]/counts[area], v[1]/counts[area])
			forecast[area] = append(forecast[area], dd)
		}
	}
	var msgs []Message
	for _, area := range slices.Sorted(maps.Keys(forecast)) {
		payload, err := json.Marshal(map[string]any{"area": area, "issued": now.Format(time.RFC3339),
			"source": "demo simulator (perfect forecast)", "days": forecast[area]})
		if err != nil {
			continue
		}
		msgs = append(msgs, Message{Topic: "forecast/" + area, Payload: payload})
	}
	return msgs
}

// PublishForecasts publishes Forecasts at once and then every o.Every until ctx ends, so that
// the warning office recommends as the simulated episode builds up.
func PublishForecasts(ctx context.Context, s *Simulator, o ForecastOptions) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	every := o.Every
	if every <= 0 {
		every = 5 * time.Minute
	}
	repeat(ctx, every, true, func(time.Time) {
		for _, m := range Forecasts(s, o.Registry, o.AQI, time.Now()) {
			if err := o.Publish(m.Topic, m.Payload); err != nil {
				log.Warn("demo forecast not published", "area", strings.TrimPrefix(m.Topic, "forecast/"), "err", err)
			}
		}
	})
}
