// Package registry describes the prefecture Lantian monitors: its areas, ambient stations,
// pollution sources with their outlets, and the plan's air-quality targets. It is loaded once
// from config and read concurrently without locks afterwards.
package registry

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// AreaKind distinguishes the administrative units the plan names.
type AreaKind string

// The kinds of area in the plan: counties/cities, parks (development zones) and key regions
// that group other areas for unified warnings.
const (
	County AreaKind = "county"
	Park   AreaKind = "park"
	Region AreaKind = "region"
)

// UnknownCounty is the county tag given to readings of stations not in the registry when
// accept_unknown_stations is on (grid micro-stations being rolled out).
const UnknownCounty = "unknown"

// Area is a county, a park or a region.
type Area struct {
	ID   string   `yaml:"id"`
	Name string   `yaml:"name"`
	Kind AreaKind `yaml:"kind"`
	// Members lists the areas a region is made of (the 乌-昌-石 key area).
	Members []string `yaml:"members,omitempty"`
}

// StationClass is the network an ambient station belongs to.
type StationClass string

// Station classes: national control (国控), provincial (省控) and grid micro-station (微站).
const (
	National   StationClass = "national"
	Provincial StationClass = "provincial"
	Micro      StationClass = "micro"
)

// Station is an ambient air-quality station.
type Station struct {
	ID    string       `yaml:"id"`
	Name  string       `yaml:"name"`
	Area  string       `yaml:"area"`
	Class StationClass `yaml:"class"`
	Lat   float64      `yaml:"lat,omitempty"`
	Lon   float64      `yaml:"lon,omitempty"`
	// MN is the HJ 212 device number of the station's data logger, when it reports HJ 212.
	MN string `yaml:"mn,omitempty"`
	// Assess overrides whether the station counts toward its area's assessment (see Assessed).
	Assess *bool `yaml:"assess,omitempty"`
}

// Source is a pollution source (an enterprise or plant) with one or more monitored outlets.
type Source struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Area     string `yaml:"area"`
	Industry string `yaml:"industry"`
	// EmergencyList marks membership of the heavy-pollution emergency emission-reduction list.
	EmergencyList bool     `yaml:"emergency_list,omitempty"`
	Outlets       []Outlet `yaml:"outlets"`
	// EmergencyPlan is the source's 一厂一策 plan (emergency.go).
	EmergencyPlan *EmergencyPlan `yaml:"emergency_plan,omitempty"`
	// Place is the source's position (place.go).
	Place `yaml:",inline"`
}

// Outlet is one monitored stack or vent of a source.
type Outlet struct {
	ID             string  `yaml:"id"`
	Name           string  `yaml:"name,omitempty"`
	StackHeightM   float64 `yaml:"stack_height_m,omitempty"`
	ReferenceO2Pct float64 `yaml:"reference_o2_pct,omitempty"`
	// Limits are emission limits per field (dust, so2, nox, nmhc) in mg/m³ at the reference O2.
	Limits map[string]float64 `yaml:"limits,omitempty"`
	// MN is the HJ 212 device number of the outlet's CEMS data logger.
	MN string `yaml:"mn,omitempty"`
	// Plant: stack diameter, key-VOCs mark, boiler capacity and fuel (plant.go).
	Plant `yaml:",inline"`
}

// Target is one row of the plan's targets table (昌州环发〔2019〕30号
// "自治州7县市空气质量改善目标一览表"). Nil pointers are figures the plan does not give.
type Target struct {
	Area     string   `yaml:"area"`
	BaseYear int      `yaml:"base_year"`
	BasePM25 *float64 `yaml:"base_pm25,omitempty"`
	BaseGood *float64 `yaml:"base_good_pct,omitempty"`
	PM25In17 float64  `yaml:"pm25_2017"`
	GoodIn17 float64  `yaml:"good_pct_2017"`
	PM25Goal float64  `yaml:"pm25_2020"`
	// GoodGoal is nil where the plan says 保持 (keep): the 2017 ratio is then the floor.
	GoodGoal *float64 `yaml:"good_pct_2020,omitempty"`
}

// Registry is the validated, indexed set of areas, stations, sources and targets.
type Registry struct {
	Areas    []Area    `yaml:"areas"`
	Stations []Station `yaml:"stations"`
	Sources  []Source  `yaml:"sources"`
	Targets  []Target  `yaml:"targets"`

	areaByID    map[string]*Area
	stationByID map[string]*Station
	outletByKey map[string]*OutletRef
	regionsOf   map[string][]string
}

// OutletRef is an outlet together with the source it belongs to.
type OutletRef struct {
	Source *Source
	Outlet *Outlet
}

// Index validates the registry and builds its lookup tables. It reports every problem found,
// not just the first, so that an operator can fix a config in one pass.
func (r *Registry) Index() error {
	var errs []error
	r.areaByID = make(map[string]*Area, len(r.Areas))
	for i := range r.Areas {
		a := &r.Areas[i]
		switch {
		case a.ID == "":
			errs = append(errs, fmt.Errorf("areas[%d]: id is empty", i))
			continue
		case r.areaByID[a.ID] != nil:
			errs = append(errs, fmt.Errorf("areas[%d]: duplicate area id %q", i, a.ID))
		}
		switch a.Kind {
		case County, Park, Region:
		default:
			errs = append(errs, fmt.Errorf("area %q: kind %q is not county, park or region", a.ID, a.Kind))
		}
		r.areaByID[a.ID] = a
	}
	r.regionsOf = make(map[string][]string)
	for _, a := range r.Areas {
		for _, m := range a.Members {
			r.regionsOf[m] = append(r.regionsOf[m], a.ID)
			if r.areaByID[m] == nil {
				errs = append(errs, fmt.Errorf("area %q: member %q is not a defined area", a.ID, m))
			}
		}
		if a.Kind == Region && len(a.Members) == 0 {
			errs = append(errs, fmt.Errorf("area %q: a region needs members", a.ID))
		}
	}
	r.stationByID = make(map[string]*Station, len(r.Stations))
	for i := range r.Stations {
		s := &r.Stations[i]
		if err := CheckID(s.ID); err != nil {
			errs = append(errs, fmt.Errorf("stations[%d]: %w", i, err))
			continue
		}
		if r.stationByID[s.ID] != nil {
			errs = append(errs, fmt.Errorf("stations[%d]: duplicate station id %q", i, s.ID))
		}
		if a := r.areaByID[s.Area]; a == nil || a.Kind == Region {
			errs = append(errs, fmt.Errorf("station %q: area %q is not a defined county or park", s.ID, s.Area))
		}
		switch s.Class {
		case National, Provincial, Micro:
		default:
			errs = append(errs, fmt.Errorf("station %q: class %q is not national, provincial or micro", s.ID, s.Class))
		}
		r.stationByID[s.ID] = s
	}
	r.outletByKey = make(map[string]*OutletRef)
	seenSource := make(map[string]bool, len(r.Sources))
	for i := range r.Sources {
		src := &r.Sources[i]
		if err := CheckID(src.ID); err != nil {
			errs = append(errs, fmt.Errorf("sources[%d]: %w", i, err))
			continue
		}
		if seenSource[src.ID] {
			errs = append(errs, fmt.Errorf("sources[%d]: duplicate source id %q", i, src.ID))
		}
		seenSource[src.ID] = true
		if a := r.areaByID[src.Area]; a == nil || a.Kind == Region {
			errs = append(errs, fmt.Errorf("source %q: area %q is not a defined county or park", src.ID, src.Area))
		}
		if len(src.Outlets) == 0 {
			errs = append(errs, fmt.Errorf("source %q: no outlets", src.ID))
		}
		for j := range src.Outlets {
			o := &src.Outlets[j]
			if err := CheckID(o.ID); err != nil {
				errs = append(errs, fmt.Errorf("source %q outlets[%d]: %w", src.ID, j, err))
				continue
			}
			key := src.ID + "/" + o.ID
			if r.outletByKey[key] != nil {
				errs = append(errs, fmt.Errorf("source %q: duplicate outlet id %q", src.ID, o.ID))
			}
			for f, v := range o.Limits {
				if v <= 0 {
					errs = append(errs, fmt.Errorf("outlet %s: limit for %s must be positive, got %g", key, f, v))
				}
			}
			errs = append(errs, o.check(key)...)
			if o.ReferenceO2Pct < 0 || o.ReferenceO2Pct >= 21 {
				errs = append(errs, fmt.Errorf("outlet %s: reference_o2_pct %g must be in [0, 21)", key, o.ReferenceO2Pct))
			}
			r.outletByKey[key] = &OutletRef{Source: src, Outlet: o}
		}
		if err := src.EmergencyPlan.validate(src); err != nil {
			errs = append(errs, err)
		}
	}
	for i, t := range r.Targets {
		if a := r.areaByID[t.Area]; a == nil {
			errs = append(errs, fmt.Errorf("targets[%d]: area %q is not defined", i, t.Area))
		}
		if t.PM25Goal <= 0 {
			errs = append(errs, fmt.Errorf("targets[%d] (%s): pm25_2020 must be positive", i, t.Area))
		}
	}
	for _, regions := range r.regionsOf {
		sort.Strings(regions)
	}
	return errors.Join(errs...)
}

// CheckID rejects ids that would break MQTT topics or InfluxDB tags, or are absurdly long.
func CheckID(id string) error {
	if id == "" {
		return errors.New("id is empty")
	}
	if len(id) > 64 {
		return fmt.Errorf("id %.20q... is longer than 64 bytes", id)
	}
	for _, c := range id {
		if c < 0x20 || c == 0x7f || strings.ContainsRune("/#+ ,=\"\\", c) {
			return fmt.Errorf("id %q contains a control character or one of / # + space , = \" \\ (not allowed in topics and tags)", id)
		}
	}
	return nil
}

// Area returns the area with the given id.
func (r *Registry) Area(id string) (*Area, bool) {
	a, ok := r.areaByID[id]
	return a, ok
}

// Station returns the ambient station with the given id.
func (r *Registry) Station(id string) (*Station, bool) {
	s, ok := r.stationByID[id]
	return s, ok
}

// Outlet returns the outlet of a source.
func (r *Registry) Outlet(source, outlet string) (*OutletRef, bool) {
	o, ok := r.outletByKey[source+"/"+outlet]
	return o, ok
}

// RegionsOf lists the ids of the regions an area belongs to, sorted. Valid after Index.
func (r *Registry) RegionsOf(area string) []string {
	return r.regionsOf[area]
}
