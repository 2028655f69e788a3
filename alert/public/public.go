// Package public builds the public release page (空气质量实时发布, served at /public): every
// assessment station's and county's current AQI, category and primary pollutant in the official
// colours of HJ 633 with the category table's health advice, the heavy-pollution warnings in
// force and the time of the data. It holds no internal data: no sources, no warnings' reasons or
// emission figures, and grid micro-stations only when configured.
package public

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/registry"
)

// Config is the `public` section.
type Config struct {
	// Disabled turns the page off (404).
	Disabled bool `yaml:"disabled"`
	// Title heads the page.
	Title string `yaml:"title"`
	// ShowMicroStations also lists the grid micro-stations (not assessment stations); off by
	// default: their raw values are for the command centre, not for publication.
	ShowMicroStations bool `yaml:"show_micro_stations"`
	// MaxAge is how old a station's latest hour may be and still be shown; older is "暂无数据".
	MaxAge time.Duration `yaml:"max_age"`
	// CacheSeconds is the Cache-Control max-age of the page: the data change hourly, so a
	// minute keeps a burst of visitors off the service without showing a stale hour for long.
	CacheSeconds int `yaml:"cache_seconds"`
}

// DefaultConfig is the built-in `public` section.
func DefaultConfig() Config {
	return Config{Title: "空气质量实时发布", MaxAge: 3 * time.Hour, CacheSeconds: 60}
}

// WithDefaults fills the zero fields of c with DefaultConfig's.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Title == "" {
		c.Title = d.Title
	}
	if c.MaxAge == 0 {
		c.MaxAge = d.MaxAge
	}
	if c.CacheSeconds == 0 {
		c.CacheSeconds = d.CacheSeconds
	}
	return c
}

// Validate checks the section.
func (c Config) Validate() error {
	var errs []error
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("public.max_age %s: must be positive", c.MaxAge))
	}
	if c.CacheSeconds < 0 || c.CacheSeconds > 3600 {
		errs = append(errs, fmt.Errorf("public.cache_seconds %d: must be 0–3600 (the data change hourly)", c.CacheSeconds))
	}
	return errors.Join(errs...)
}

// StationHour is a station's latest hourly values.
type StationHour struct {
	Station string
	Time    time.Time
	Values  aqi.HourValues
}

// Warning is a heavy-pollution warning in force, as the public may see it.
type Warning struct {
	Level string // e.g. 橙色预警
	// Colour is the CSS colour of the level.
	Colour      string
	Areas       []string // area ids
	Start       time.Time
	ExpectedEnd time.Time
}

// Row is one station or county line of the page.
type Row struct {
	ID, Name, Area string
	County         bool
	Micro          bool
	HasAQI         bool
	AQI            int
	Level          aqi.Level
	Category       string
	Primary        string
	Colour, Text   string
	Advice         Advice
	// Time is the start of the hour the values belong to, in the configured zone.
	Time string
}

// WarningRow is a warning as shown.
type WarningRow struct {
	Level, Colour, Areas, Start, ExpectedEnd string
}

// Page is what the template shows.
type Page struct {
	Title     string
	Generated string
	DataTime  string
	Counties  []Row
	Stations  []Row
	Warnings  []WarningRow
	Table     []LegendRow
}

// LegendRow is a row of the category table shown under the figures.
type LegendRow struct {
	Range, Name, Category, Colour, Text string
	Advice                              Advice
}

// Build assembles the page from the registry, the stations' latest hours and the warnings in
// force. A county's value is the arithmetic mean of its assessment stations' concentrations in
// the latest hour any of them reported (HJ 663 §4: a city's value is the mean over its
// assessment stations), indexed with the hourly AQI of that hour's edition.
func Build(cfg Config, reg *registry.Registry, hours []StationHour, warnings []Warning, now time.Time, loc *time.Location) Page {
	cfg = cfg.WithDefaults()
	fmtTime := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	p := Page{Title: cfg.Title, Generated: fmtTime(now)}
	latest := map[string]StationHour{}
	for _, h := range hours {
		if now.Sub(h.Time) > cfg.MaxAge || h.Time.After(now.Add(time.Hour)) {
			continue
		}
		latest[h.Station] = h
	}
	var dataTime time.Time
	row := func(id, name, area string, h StationHour, ok bool) Row {
		r := Row{ID: id, Name: name, Area: area, Colour: "#e0e0e0", Text: "#222", Category: "暂无数据"}
		if !ok {
			return r
		}
		r.Time = fmtTime(h.Time)
		rules := aqi.RulesForTime(h.Time)
		res := aqi.Hourly(rules, aqi.Hour{Values: h.Values})
		if !res.Published {
			r.Category = "数据不足"
			return r
		}
		if h.Time.After(dataTime) {
			dataTime = h.Time
		}
		r.HasAQI, r.AQI, r.Level = true, res.AQI, res.Level
		r.Category, r.Primary = res.Level.Category(), res.PrimaryString()
		r.Colour, r.Text = res.Level.Hex(), textOn(res.Level)
		r.Advice = AdviceFor(rules, res.Level)
		return r
	}
	areaName := func(id string) string {
		if a, ok := reg.Area(id); ok {
			return a.Name
		}
		return id
	}
	for _, a := range reg.Areas {
		if a.Kind == registry.Region {
			continue
		}
		ids := reg.AssessmentStations(a.ID)
		if len(ids) == 0 {
			continue
		}
		var last time.Time
		for _, id := range ids {
			if h, ok := latest[id]; ok && h.Time.After(last) {
				last = h.Time
			}
		}
		var mean StationHour
		ok := !last.IsZero()
		if ok {
			mean = countyMean(ids, latest, last)
		}
		r := row(a.ID, a.Name, a.Name, mean, ok)
		r.County = true
		p.Counties = append(p.Counties, r)
	}
	for i := range reg.Stations {
		st := &reg.Stations[i]
		if !st.Assessed() && !cfg.ShowMicroStations {
			continue
		}
		h, ok := latest[st.ID]
		r := row(st.ID, st.Name, areaName(st.Area), h, ok)
		r.Micro = !st.Assessed()
		p.Stations = append(p.Stations, r)
	}
	for _, w := range warnings {
		names := make([]string, len(w.Areas))
		for i, a := range w.Areas {
			names[i] = areaName(a)
		}
		wr := WarningRow{Level: w.Level, Colour: w.Colour, Areas: strings.Join(names, "、"), Start: fmtTime(w.Start)}
		if !w.ExpectedEnd.IsZero() {
			wr.ExpectedEnd = fmtTime(w.ExpectedEnd)
		}
		p.Warnings = append(p.Warnings, wr)
	}
	if !dataTime.IsZero() {
		p.DataTime = fmtTime(dataTime)
	}
	ranges := [7]string{1: "0–50", 2: "51–100", 3: "101–150", 4: "151–200", 5: "201–300", 6: ">300"}
	rules := aqi.RulesForTime(now)
	for l := aqi.Level(1); l <= 6; l++ {
		p.Table = append(p.Table, LegendRow{Range: ranges[l], Name: l.Name(), Category: l.Category(),
			Colour: l.Hex(), Text: textOn(l), Advice: AdviceFor(rules, l)})
	}
	return p
}

// countyMean averages, pollutant by pollutant, the valid values of the county's stations in
// hour t. A pollutant no station has stays missing (and the AQI follows HJ 633's missing rule).
func countyMean(ids []string, latest map[string]StationHour, t time.Time) StationHour {
	out := StationHour{Time: t}
	var sum [aqi.NumPollutants]aqi.Conc
	var n [aqi.NumPollutants]int64
	for _, id := range ids {
		h, ok := latest[id]
		if !ok || !h.Time.Equal(t) {
			continue
		}
		for p, s := range h.Values {
			if s.Valid {
				sum[p] += s.C
				n[p]++
			}
		}
	}
	for p := range sum {
		if n[p] > 0 {
			out.Values[p] = aqi.Val(sum[p] / aqi.Conc(n[p]))
		}
	}
	return out
}

// textOn is the readable text colour on a level's colour: white on the two darkest.
func textOn(l aqi.Level) string {
	if l >= 4 {
		return "#fff"
	}
	return "#000"
}

func rename2026(s string) string {
	s = strings.ReplaceAll(s, "儿童", "青少年儿童")
	return strings.ReplaceAll(s, "心脏病", "心血管系统疾病")
}
