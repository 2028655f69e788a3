// Package sim generates realistic, deterministic monitoring data for a registry: hourly and
// real-time readings of every ambient station and source outlet of the prefecture, with the
// Xinjiang heating-season and diurnal shapes, county levels near the plan's 2017 PM2.5 figures,
// a heavy-pollution episode and injectable outlet faults. The same seed and time always give
// the same payload, whatever was generated before. Payloads follow the JSON data contract
// (docs/, lantian/ingest/validate), so they pass validation unchanged.
//
// The package also publishes what tests and the demo feed the pipeline: simulated readings
// (Publish), hourly readings of CSV files (Replay, for lantian replay), HJ 212 real-time data
// (RunLogger) and area forecasts (PublishForecasts), all reporting through one progress loop.
package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// Options configures a Simulator.
type Options struct {
	// Registry is the indexed registry (after Index or config Resolve) whose stations and
	// outlets are simulated.
	Registry *registry.Registry
	Seed     int64
	// Location is the zone of local hours and days; nil means Asia/Shanghai, falling back to
	// UTC+8 when the zone database is missing.
	Location *time.Location
	// EpisodeStart is when a heavy-pollution episode starts building up (about three days to
	// its peak, half a day at the peak, then a cold front clears it in about 12 hours). Zero
	// means no episode.
	EpisodeStart time.Time
	// ExtraStations adds synthetic grid micro-stations "sim-0001", "sim-0002", … with the air of
	// area "changji" but NOT in the registry: load for a collector with accept_unknown_stations.
	ExtraStations int
	// Faults are outlet faults to inject; see DefaultFaults.
	Faults []Fault
	// Warnings, when set, are the warnings issued by the office: the emergency-list sources
	// answer them as Responses says, instead of cutting with the episode on their own.
	Warnings *WarningBoard
}

// Message is one MQTT message of the data contract.
type Message struct {
	// Topic is relative to the topic prefix: "air/<station>" or "source/<source>/<outlet>".
	Topic   string
	Payload []byte
}

// Simulator generates readings. It holds no mutable state and is safe for concurrent use.
type Simulator struct {
	seed     uint64
	loc      *time.Location
	episode  time.Time
	areas    map[string]*areaModel
	stations []*stationModel
	outlets  []*outletModel
	warnings *WarningBoard
}

// Episode timing: build-up, peak, clearing.
const (
	episodeBuild = 72 * time.Hour
	episodePeak  = 12 * time.Hour
	episodeClear = 12 * time.Hour
)

// EpisodePeak returns when the episode starting at start is at its worst (the middle of its
// peak).
func EpisodePeak(start time.Time) time.Time { return start.Add(episodeBuild + episodePeak/2) }

// New builds a simulator for o.Registry.
func New(o Options) (*Simulator, error) {
	if o.Registry == nil {
		return nil, errors.New("sim: no registry")
	}
	if o.ExtraStations < 0 {
		return nil, fmt.Errorf("sim: ExtraStations %d is negative", o.ExtraStations)
	}
	loc := o.Location
	if loc == nil {
		loc = defaultLocation()
	}
	s := &Simulator{
		seed:     mix(uint64(o.Seed)),
		loc:      loc,
		episode:  o.EpisodeStart,
		areas:    make(map[string]*areaModel),
		warnings: o.Warnings,
	}
	reg := o.Registry
	for i := range reg.Stations {
		st := &reg.Stations[i]
		s.stations = append(s.stations, s.newStation(st.ID, s.area(reg, st.Area), st.Class))
	}
	for i := 1; i <= o.ExtraStations; i++ {
		s.stations = append(s.stations, s.newStation(fmt.Sprintf("sim-%04d", i), s.area(reg, "changji"), registry.Micro))
	}
	responses := Responses(reg)
	byKey := make(map[string]*outletModel)
	for i := range reg.Sources {
		src := &reg.Sources[i]
		for j := range src.Outlets {
			om := s.newOutlet(src, &src.Outlets[j], s.area(reg, src.Area))
			om.response, om.areaID = responses[src.ID], src.Area
			s.outlets = append(s.outlets, om)
			byKey[src.ID+"/"+src.Outlets[j].ID] = om
		}
	}
	var errs []error
	for i, f := range o.Faults {
		om := byKey[f.Source+"/"+f.Outlet]
		if om == nil {
			errs = append(errs, fmt.Errorf("sim: fault %d (%s): outlet %s/%s is not in the registry", i, f.Kind, f.Source, f.Outlet))
			continue
		}
		if err := om.addFault(f); err != nil {
			errs = append(errs, fmt.Errorf("sim: fault %d: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Location is the zone of the simulator's local time.
func (s *Simulator) Location() *time.Location { return s.loc }

// PeriodStart truncates t to the start of its averaging period in the simulator's zone: the
// time stamped on a reading of that period. Real-time readings keep millisecond precision.
func (s *Simulator) PeriodStart(t time.Time, p reading.Period) time.Time {
	switch p {
	case reading.Minute:
		return t.Truncate(time.Minute)
	case reading.Hour:
		lt := t.In(s.loc)
		return time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, s.loc)
	case reading.Day:
		lt := t.In(s.loc)
		return time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, s.loc)
	default:
		return t.Truncate(time.Millisecond)
	}
}

// evalPoints are the instants whose values make up a reading of period p starting at t, and
// the weight of the white measurement noise: real-time values are single noisy samples,
// averages are smooth.
func (s *Simulator) evalPoints(t time.Time, p reading.Period) ([]time.Time, float64) {
	switch p {
	case reading.Minute:
		return []time.Time{t.Add(30 * time.Second)}, 0.5
	case reading.Hour:
		return []time.Time{t.Add(30 * time.Minute)}, 0
	case reading.Day:
		pts := make([]time.Time, 24)
		for h := range pts {
			pts[h] = t.Add(time.Duration(h)*time.Hour + 30*time.Minute)
		}
		return pts, 0
	default:
		return []time.Time{t}, 1
	}
}

// Messages returns one reading of every station and every publishing outlet for the period p
// starting at t (t is first truncated with PeriodStart). Outlets under a silent fault are left
// out. Stations come first in registry order, then the extra stations, then the outlets.
func (s *Simulator) Messages(t time.Time, p reading.Period) []Message {
	if p == "" {
		p = reading.RealTime
	}
	t = s.PeriodStart(t, p)
	pts, white := s.evalPoints(t, p)
	clocks := make([]clock, len(pts))
	for i, pt := range pts {
		clocks[i] = s.clockAt(pt)
	}
	// Area states are shared by every station of the area at a given instant.
	states := make(map[*areaModel][]areaState, len(s.areas))
	for _, a := range s.areas {
		st := make([]areaState, len(clocks))
		for i, c := range clocks {
			st[i] = s.areaAt(a, c)
		}
		states[a] = st
	}
	stamp := t.In(s.loc).AppendFormat(make([]byte, 0, 40), time.RFC3339Nano)
	msgs := make([]Message, 0, len(s.stations)+len(s.outlets))
	vals := make([]airValues, len(clocks))
	for _, st := range s.stations {
		for i := range clocks {
			vals[i] = s.stationAt(st, states[st.area][i], white)
		}
		v := meanAir(vals)
		flags := p != reading.Day && st.gases && s.calibrating(st, clocks[0])
		msgs = append(msgs, Message{Topic: st.topic, Payload: st.payload(stamp, p, v, flags)})
	}
	ovals := make([]outletValues, len(clocks))
	for _, om := range s.outlets {
		mid := pts[len(pts)/2]
		if om.silent(mid) {
			continue
		}
		for i, c := range clocks {
			ovals[i] = s.outletAt(om, states[om.area][i], pts[i], c, white)
		}
		v := meanOutlet(ovals)
		msgs = append(msgs, Message{Topic: om.topic, Payload: om.payload(stamp, p, v)})
	}
	return msgs
}

// quote renders an id as a JSON string. Registry ids cannot hold quotes, backslashes or
// control characters, but the encoder is the one place that guarantees valid JSON.
func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	r := math.Round(v*p) / p
	if r == 0 {
		return 0 // no "-0" in payloads
	}
	return r
}

// defaultLocation is Asia/Shanghai, or UTC+8 where the zone database is missing.
func defaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
