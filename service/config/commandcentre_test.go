package config

import (
	"strings"
	"testing"
	"time"
)

// TestCommandCentreSections: the public, hotspot and station_quality sections decode strictly,
// keep their defaults for omitted keys, and bad values are errors naming the key.
func TestCommandCentreSections(t *testing.T) {
	cfg := Default()
	doc := `
public:
  show_micro_stations: true
  cache_seconds: 120
hotspot:
  radius_km: 2.5
  persist_hours: 6
station_quality:
  drop_ratio: 0.5
sources:
  - {id: px, name: 电厂, area: changji, industry: power, lat: 44.003, lon: 87.3, outlets: [{id: DA001}]}
`
	if err := Decode([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	if !cfg.Public.ShowMicroStations || cfg.Public.CacheSeconds != 120 || cfg.Hotspot.RadiusKm != 2.5 || cfg.Hotspot.PersistHours != 6 ||
		cfg.StationQuality.DropRatio != 0.5 || cfg.Sources[0].Lat != 44.003 {
		t.Errorf("decoded %+v %+v %+v %+v", cfg.Public, cfg.Hotspot, cfg.StationQuality, cfg.Sources[0])
	}
	if h := cfg.Hotspot.WithDefaults(); h.Ratio != 2 || h.MinExcess != 35 || h.Lateness != 15*time.Minute {
		t.Errorf("hotspot defaults lost: %+v", h)
	}
	for key, want := range map[string]string{
		"hotspot:\n  ratio: 0.5\n":              "hotspot.ratio",
		"hotspot:\n  pollutant: so2\n":          "hotspot.pollutant",
		"station_quality:\n  drop_ratio: 1.2\n": "station_quality.drop_ratio",
		"public:\n  cache_seconds: 86400\n":     "public.cache_seconds",
	} {
		c := Default()
		if err := Decode([]byte(key), &c); err != nil {
			t.Fatal(err)
		}
		if err := c.Resolve(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", key, err, want)
		}
	}
	c := Default()
	if err := Decode([]byte("hotspot:\n  radius: 3\n"), &c); err == nil {
		t.Error("unknown hotspot key accepted")
	}
}
