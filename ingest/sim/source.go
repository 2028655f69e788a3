package sim

import (
	"fmt"
	"math"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// FaultKind is a kind of outlet fault the simulator can inject.
type FaultKind string

// The faults that later detection rules look for.
const (
	// FaultExceedance runs Field's converted concentration at about 1.5× its limit.
	FaultExceedance FaultKind = "exceedance"
	// FaultSilent stops the outlet publishing (a dead data logger or a cut link).
	FaultSilent FaultKind = "silent"
	// FaultFlatLine freezes Field at the value it had when the fault began (a stuck analyser,
	// or a data logger replaying a constant).
	FaultFlatLine FaultKind = "flatline"
	// FaultDilution blows air into the stack: O2 at 19-20 %, measured concentrations down and
	// flow up by the same factor (稀释排放, a known way of faking compliance).
	FaultDilution FaultKind = "dilution"
)

// Fault is one injected fault on one outlet, active from From until Until (zero: for good).
type Fault struct {
	Kind           FaultKind
	Source, Outlet string
	// Field is the pollutant of an exceedance or flat line (dust, so2, nox, nmhc); empty picks
	// nox, else so2, else the outlet's first limited pollutant.
	Field string
	From  time.Time
	Until time.Time
}

func (f *Fault) active(t time.Time) bool {
	return !t.Before(f.From) && (f.Until.IsZero() || t.Before(f.Until))
}

// DefaultFaults is a fault plan over reg starting at start: an exceedance of the first coal
// power outlet (from +2 h for 4 h), a silent cement kiln (from +1 h), a flat-lined SO2 analyser
// on the first heating boiler (from +1 h) and a diluted coking or chemical stack (from +3 h).
// Industries missing from the registry are replaced by other outlets; each outlet gets at most
// one fault.
func DefaultFaults(reg *registry.Registry, start time.Time) []Fault {
	used := map[string]bool{}
	pick := func(industries ...string) (string, string, bool) {
		for _, ind := range append(industries, "") {
			for _, src := range reg.Sources {
				if ind != "" && src.Industry != ind {
					continue
				}
				for _, o := range src.Outlets {
					if k := src.ID + "/" + o.ID; !used[k] && len(o.Limits) > 0 {
						used[k] = true
						return src.ID, o.ID, true
					}
				}
			}
		}
		return "", "", false
	}
	var plan []Fault
	add := func(kind FaultKind, from, until time.Duration, industries ...string) {
		if s, o, ok := pick(industries...); ok {
			f := Fault{Kind: kind, Source: s, Outlet: o, From: start.Add(from)}
			if until > 0 {
				f.Until = start.Add(until)
			}
			plan = append(plan, f)
		}
	}
	add(FaultExceedance, 2*time.Hour, 6*time.Hour, "power")
	add(FaultSilent, time.Hour, 0, "cement")
	add(FaultFlatLine, time.Hour, 0, "boiler")
	add(FaultDilution, 3*time.Hour, 0, "coking", "chemicals")
	return plan
}

// pollutantFields are the concentration fields of the contract, in payload order.
var pollutantFields = schema.SourcePollutants

type pollutant struct {
	name  string
	limit float64
	frac  float64 // typical share of the limit in normal operation
	key   uint64
}

type outletModel struct {
	src        *registry.Source
	topic      string
	srcQ, outQ []byte
	key        uint64
	area       *areaModel
	industry   string
	ref        float64 // reference O2, %; 0: concentrations are not converted
	pollutants []pollutant
	o2Base     float64
	flowFull   float64 // m³/h at full load
	section    float64 // stack cross-section, m²
	temp       float64
	humidity   float64
	pressure   float64
	emergency  bool
	response   string // to an issued warning (Responses), for emergency-list sources
	areaID     string
	faults     []*Fault
}

func (s *Simulator) newOutlet(src *registry.Source, o *registry.Outlet, a *areaModel) *outletModel {
	om := &outletModel{
		src: src, topic: "source/" + src.ID + "/" + o.ID, srcQ: quote(src.ID), outQ: quote(o.ID),
		key: keyOf("outlet", src.ID, o.ID), area: a, industry: src.Industry, ref: o.ReferenceO2Pct,
		emergency: src.EmergencyList && a.inRegion,
	}
	u := func(i int64) float64 { return s.uniform(sub(om.key, streamBias), i) }
	limits := o.Limits
	if len(limits) == 0 {
		// An outlet without limits still reports its analysers; these are typical levels.
		limits = map[string]float64{"dust": 30, "so2": 100, "nox": 150}
	}
	for i, name := range pollutantFields {
		if l, ok := limits[name]; ok {
			om.pollutants = append(om.pollutants, pollutant{
				name: name, limit: l, frac: 0.3 + 0.3*u(int64(10+i)), key: sub(om.key, keyOf(name)),
			})
		}
	}
	vocOnly := len(om.pollutants) == 1 && om.pollutants[0].name == "nmhc"
	if om.ref > 0 {
		om.o2Base = om.ref + 0.4 + 1.6*u(1)
	}
	h := o.StackHeightM
	if h <= 0 {
		h = 40
	}
	// Stack diameter grows with height (a 240 m power stack is about 8 m across); design
	// velocities differ by industry.
	d := clamp(0.035*h, 0.6, 9)
	om.section = math.Pi * d * d / 4
	velocity := map[string]float64{"power": 15, "cement": 13, "coking": 12, "chemicals": 11, "boiler": 9}[om.industry]
	if velocity == 0 {
		velocity = 10
	}
	om.flowFull = velocity * (0.9 + 0.2*u(2)) * om.section * 3600
	switch {
	case vocOnly:
		om.temp, om.humidity = 38, 2
	case om.industry == "power" || om.ref == 6:
		om.temp, om.humidity = 50, 12 // after wet desulphurisation
	case om.industry == "cement":
		om.temp, om.humidity = 105, 8
	case om.industry == "coking" && om.ref > 0:
		om.temp, om.humidity = 185, 10
	case om.industry == "coking":
		om.temp, om.humidity = 55, 4
	case om.ref > 0 && om.ref <= 3.5 && om.industry == "boiler":
		om.temp, om.humidity = 85, 12 // gas-fired
	case om.ref > 0 && om.ref <= 3.5:
		om.temp, om.humidity = 140, 9 // process heater
	case om.industry == "boiler":
		om.temp, om.humidity = 65, 10
	default:
		om.temp, om.humidity = 80, 8
	}
	om.temp += 6 * (u(3) - 0.5)
	om.pressure = 0.1 + 0.4*u(4)
	return om
}

func (om *outletModel) pollutantIndex(field string) int {
	for i, p := range om.pollutants {
		if p.name == field {
			return i
		}
	}
	return -1
}

func (om *outletModel) addFault(f Fault) error {
	switch f.Kind {
	case FaultSilent, FaultDilution:
	case FaultExceedance, FaultFlatLine:
		if f.Field == "" {
			for _, name := range []string{"nox", "so2", om.pollutants[0].name} {
				if om.pollutantIndex(name) >= 0 {
					f.Field = name
					break
				}
			}
		}
		if om.pollutantIndex(f.Field) < 0 {
			return fmt.Errorf("%s of %s/%s: the outlet does not measure %q", f.Kind, f.Source, f.Outlet, f.Field)
		}
	default:
		return fmt.Errorf("unknown fault kind %q (want exceedance, silent, flatline or dilution)", f.Kind)
	}
	if !f.Until.IsZero() && !f.Until.After(f.From) {
		return fmt.Errorf("%s of %s/%s: ends before it starts", f.Kind, f.Source, f.Outlet)
	}
	om.faults = append(om.faults, &f)
	return nil
}

func (om *outletModel) silent(t time.Time) bool {
	for _, f := range om.faults {
		if f.Kind == FaultSilent && f.active(t) {
			return true
		}
	}
	return false
}

// outletValues is one outlet reading: concentrations as measured and converted to the
// reference O2, in the order of outletModel.pollutants.
type outletValues struct {
	stopped      bool // the plant stopped for a warning: values flagged F
	measured, zs [len(pollutantFields)]float64
	o2, flow     float64
	temp         float64
	pressure     float64
	humidity     float64
	velocity     float64
}

// load is the outlet's share of full output: power follows the heat and daytime demand,
// heating boilers the cold, process plants run flat out.
func (s *Simulator) load(om *outletModel, as areaState) float64 {
	c := as.c
	var l float64
	switch om.industry {
	case "power":
		l = 0.75 + 0.15*c.heat + 0.05*cosPeak(c.hour, 13)
	case "boiler":
		l = 0.35 + 0.6*c.intensity + 0.05*c.heat*cosPeak(c.hour, 6)
	case "cement", "chemicals":
		l = 0.9
	case "coking":
		l = 0.95
	default:
		l = 0.85
	}
	l *= 1 + 0.04*s.at(hourlyAR, sub(om.key, streamLoad), c.sec)
	// With a warning board, listed enterprises answer the warnings actually issued.
	if s.warnings != nil {
		if lvl := s.warnings.LevelAt(om.areaID, time.Unix(0, int64(c.sec*1e9))); lvl >= 2 && om.response == ResponseCut {
			l *= 1 - float64(10*(lvl-1)+10)/100
		}
		return clamp(l, 0.2, 1.05)
	}
	// Without one, enterprises on the emergency list cut output as the regional episode builds:
	// 10 % at yellow, 20 % at orange, 30 % at red (the plan's minimum cuts).
	if om.emergency {
		switch e := as.episode; {
		case e >= 0.85:
			l *= 0.7
		case e >= 0.6:
			l *= 0.8
		case e >= 0.35:
			l *= 0.9
		}
	}
	return clamp(l, 0.2, 1.05)
}

// outletNormal is the outlet in normal operation, faults aside.
func (s *Simulator) outletNormal(om *outletModel, as areaState, white float64) outletValues {
	c := as.c
	load := s.load(om, as)
	var v outletValues
	var wn float64
	ms := int64(math.Floor(c.sec * 1000))
	if white > 0 {
		wn = white * 0.05 * s.gauss(sub(om.key, streamWhite), ms)
	}
	if om.ref > 0 {
		// Excess air rises at part load.
		v.o2 = clamp(om.o2Base+1.5*(0.9-load)+0.35*s.at(hourlyAR, sub(om.key, streamO2), c.sec)+
			white*0.1*s.gauss(sub(om.key, streamO2), ms), math.Max(om.ref-1, 0.5), 20.5)
	}
	for i, p := range om.pollutants {
		const sigma = 0.18
		x := p.frac * math.Exp(sigma*s.at(stationAR, p.key, c.sec)+wn-sigma*sigma/2)
		// tanh keeps normal operation below 92 % of the limit without clipping to a flat line.
		zs := 0.92 * p.limit * math.Tanh(x/0.92)
		v.zs[i] = zs
		v.measured[i] = om.toMeasured(zs, v.o2)
	}
	v.flow = om.flowFull * load * (1 + 0.03*s.at(stationAR, sub(om.key, streamFlow), c.sec) + wn/5)
	v.velocity = v.flow / (om.section * 3600)
	v.temp = om.temp + 8*(load-0.9) + 1.5*s.at(hourlyAR, sub(om.key, streamFlow), c.sec)
	v.humidity = om.humidity * (1 + 0.05*s.at(hourlyAR, sub(om.key, streamRH), c.sec))
	v.pressure = om.pressure * load
	if om.response == ResponseStop && s.warnings.LevelAt(om.areaID, time.Unix(0, int64(c.sec*1e9))) >= 2 {
		v = outletValues{stopped: true, temp: 20}
	}
	return v
}

// toMeasured converts a concentration at the reference O2 to the stack's actual O2.
func (om *outletModel) toMeasured(zs, o2 float64) float64 {
	if om.ref <= 0 {
		return zs
	}
	return zs * (21 - o2) / (21 - om.ref)
}

func (om *outletModel) toReference(measured, o2 float64) float64 {
	if om.ref <= 0 {
		return measured
	}
	return measured * (21 - om.ref) / (21 - o2)
}

func (s *Simulator) outletAt(om *outletModel, as areaState, t time.Time, c clock, white float64) outletValues {
	v := s.outletNormal(om, as, white)
	for _, f := range om.faults {
		if !f.active(t) {
			continue
		}
		switch f.Kind {
		case FaultExceedance:
			i := om.pollutantIndex(f.Field)
			lim := om.pollutants[i].limit
			v.zs[i] = lim * (1.5 + 0.15*s.at(hourlyAR, sub(om.key, streamWhite), c.sec))
			v.measured[i] = om.toMeasured(v.zs[i], v.o2)
		case FaultFlatLine:
			i := om.pollutantIndex(f.Field)
			fv := s.outletNormal(om, s.areaAt(om.area, s.clockAt(f.From)), 0)
			v.measured[i], v.zs[i] = fv.measured[i], fv.zs[i]
		case FaultDilution:
			// Ambient air drawn into the stack or the sampling line: the analysers see a
			// diluted sample, so measured values fall and O2 nears that of air, while the
			// converted values computed from them stay about true.
			o2 := clamp(19.5+0.2*s.at(hourlyAR, sub(om.key, streamO2), c.sec), 19.05, 20.3)
			k := 0.15 // without an O2 analyser only the concentrations show it
			if om.ref > 0 {
				k = (21 - o2) / (21 - v.o2)
				v.o2 = o2
			}
			for i := range om.pollutants {
				v.measured[i] *= k
				v.zs[i] = om.toReference(v.measured[i], v.o2)
			}
			v.flow *= 1.1
			v.velocity *= 1.1
			v.temp -= 5
		}
	}
	return v
}

func meanOutlet(vs []outletValues) outletValues {
	if len(vs) == 1 {
		return vs[0]
	}
	// A period mostly stopped is reported as a stop.
	stopped := 0
	for _, v := range vs {
		if v.stopped {
			stopped++
		}
	}
	if 2*stopped > len(vs) {
		return outletValues{stopped: true, temp: 20}
	}
	var m outletValues
	for _, v := range vs {
		for i := range m.measured {
			m.measured[i] += v.measured[i]
			m.zs[i] += v.zs[i]
		}
		m.o2 += v.o2
		m.flow += v.flow
		m.temp += v.temp
		m.pressure += v.pressure
		m.humidity += v.humidity
		m.velocity += v.velocity
	}
	n := float64(len(vs))
	for i := range m.measured {
		m.measured[i] /= n
		m.zs[i] /= n
	}
	m.o2 /= n
	m.flow /= n
	m.temp /= n
	m.pressure /= n
	m.humidity /= n
	m.velocity /= n
	return m
}

func (om *outletModel) payload(stamp []byte, p reading.Period, v outletValues) []byte {
	w := jsonWriter{b: make([]byte, 0, 320)}
	w.raw("source", om.srcQ)
	w.raw("outlet", om.outQ)
	w.str("time", stamp)
	w.str("period", []byte(p))
	if v.stopped {
		// A plant stopped for a warning: the logger reports zeros flagged F (停运).
		flags := make([]byte, 0, 96)
		flags = append(flags, '{')
		for _, pl := range om.pollutants {
			w.num(pl.name, 0, 0)
			flags = append(flags, `"`+pl.name+`":"F",`...)
		}
		w.num("flow", 0, 0)
		w.num("temp", v.temp, 1)
		flags = append(flags, `"flow":"F"}`...)
		w.raw("flags", flags)
		return w.close()
	}
	for i, pl := range om.pollutants {
		w.num(pl.name, v.measured[i], 2)
	}
	if om.ref > 0 {
		for i, pl := range om.pollutants {
			w.num(pl.name+"_zs", v.zs[i], 2)
		}
		w.num("o2", v.o2, 2)
	}
	w.num("flow", v.flow, 0)
	w.num("temp", v.temp, 1)
	w.num("pressure", v.pressure, 3)
	w.num("humidity", v.humidity, 2)
	w.num("velocity", v.velocity, 2)
	return w.close()
}
