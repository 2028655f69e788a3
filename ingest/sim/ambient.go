package sim

import (
	"math"
	"strconv"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// areaModel holds the climate of a county or park: annual levels and local constants.
type areaModel struct {
	id  string
	key uint64
	// Annual means: PM2.5, NO2, SO2, O3 in µg/m³, CO in mg/m³.
	pm25, no2, so2, co, o3 float64
	// pmRatio is the heating-season PM level over the summer level; the norms make the annual
	// means of the seasonal shapes 1.
	pmRatio                           float64
	pmNorm, no2Norm, so2Norm, coNorm  float64
	o3Norm                            float64
	inRegion                          bool    // in a key region (乌-昌-石): the episode hits it fully
	episodePeak                       float64 // PM2.5 at the episode's peak
	episodeWeight                     float64
	elevation, meanTemp, basePressure float64
}

// Seasonal ratios (heating season over summer) of the gases: SO2 and CO come with coal
// heating, NO2 less so.
const (
	no2Ratio = 1.8
	so2Ratio = 3.0
	coRatio  = 2.6
	o3Ratio  = 2.4 // summer over winter
)

// parkHosts places the parks in the air of the county around them. 准东 lies in the desert
// north of 吉木萨尔 and 奇台 and is dustier and more industrial than either.
var parkHosts = map[string]struct {
	host       string
	factor     float64
	industrial bool
}{
	"changji-hitech": {"changji", 1.05, true},
	"changji-agri":   {"changji", 0.90, false},
	"zhundong":       {"jimsar", 1.10, true},
}

// elevations of the county seats and parks, metres; they set pressure and temperature.
var elevations = map[string]float64{
	"changji": 580, "fukang": 540, "hutubi": 520, "manas": 470, "jimsar": 680, "qitai": 800,
	"mori": 1270, "changji-hitech": 560, "changji-agri": 500, "zhundong": 650,
}

// prefectureMeanPM25 is the plan's 2017 prefecture average, used for areas without a target.
const prefectureMeanPM25 = 50.1

func annualPM25(reg *registry.Registry, id string) (pm float64, industrial bool) {
	for _, t := range reg.Targets {
		if t.Area == id && t.PM25In17 > 0 {
			return t.PM25In17, false
		}
	}
	if h, ok := parkHosts[id]; ok {
		host, _ := annualPM25(reg, h.host)
		return host * h.factor, h.industrial
	}
	return prefectureMeanPM25, false
}

// area returns the model of area id, building it on first use.
func (s *Simulator) area(reg *registry.Registry, id string) *areaModel {
	if a := s.areas[id]; a != nil {
		return a
	}
	pm, industrial := annualPM25(reg, id)
	a := &areaModel{id: id, key: keyOf("area", id), pm25: pm}
	// Cleaner, higher counties have a flatter year: 木垒 about 2×, 昌吉 about 5× in winter.
	a.pmRatio = 2 + 3*clamp((pm-18)/(67-18), 0, 1)
	a.no2 = 10 + 0.4*pm
	a.so2 = 4 + 0.15*pm
	a.co = 0.35 + 0.011*pm
	a.o3 = 72 - 0.2*pm
	if industrial {
		a.no2 += 6
		a.so2 += 6
	}
	a.pmNorm = seasonalNorm(a.pmRatio)
	a.no2Norm, a.so2Norm, a.coNorm = seasonalNorm(no2Ratio), seasonalNorm(so2Ratio), seasonalNorm(coRatio)
	a.o3Norm = o3SeasonNorm()
	a.inRegion = len(reg.RegionsOf(id)) > 0
	if a.inRegion {
		// The plan's key area (乌-昌-石) gets region-wide heavy pollution: 250-350 at the peak.
		a.episodePeak = 290 * clamp(math.Pow(pm/67, 0.3), 0.85, 1.1)
		a.episodeWeight = 1
	} else {
		a.episodePeak = 2.5 * pm
		a.episodeWeight = 0.6
	}
	a.elevation = 600
	if e, ok := elevations[id]; ok {
		a.elevation = e
	}
	a.meanTemp = 7.5 - 0.0065*(a.elevation-500)
	a.basePressure = 1013.25 * math.Pow(1-2.25577e-5*a.elevation, 5.25588)
	s.areas[id] = a
	return a
}

func o3Season(c clock) float64 { return 1 + (o3Ratio-1)*c.summer }

func o3SeasonNorm() float64 {
	const samples = 365 * 4
	sum := 0.0
	for i := 0; i < samples; i++ {
		sum += o3Season(clockFor(0, float64(i)*365/samples, 0))
	}
	return samples / sum
}

// The noise series. Log-space standard deviations: the prefecture's weather (synoptic) moves
// every county together from day to day; each county and each station adds its own wander.
var (
	synopticAR = newAR(86400, 0.65)
	dailyAR    = newAR(86400, 0.5)
	hourlyAR   = newAR(3600, 0.9)
	stationAR  = newAR(3600, 0.8)
)

const (
	synopticSigma = 0.40
	areaDaySigma  = 0.15
	areaHourSigma = 0.15
	areaPMVar     = synopticSigma*synopticSigma + areaDaySigma*areaDaySigma + areaHourSigma*areaHourSigma
)

// Series keys of the prefecture-wide weather.
var (
	synopticKey = keyOf("synoptic")
	tempKey     = keyOf("temperature")
	pressureKey = keyOf("pressure")
)

// Sub-series streams of an area or station key.
const (
	streamDay uint64 = iota + 1
	streamHour
	streamNO2
	streamSO2
	streamCO
	streamO3
	streamPMRatio
	streamTemp
	streamRH
	streamWind
	streamWindDir
	streamWhite
	streamCal
	streamBias
	streamLoad
	streamO2
	streamFlow
)

// areaState is an area at one instant.
type areaState struct {
	c        clock
	syn      float64 // standardised synoptic anomaly: high means stagnant, polluted weather
	pmLog    float64 // log-space PM anomaly of the area
	hourLog  float64 // the hourly part of pmLog
	o3Log    float64 // log-space O3 anomaly of the area (photochemistry is regional)
	episode  float64 // 0..1 progress of the episode, weighted for the area
	temp, rh float64
	pressure float64
	wind     float64
	windDir  float64
}

// episodeAt is the progress of the heavy-pollution episode: a slow, accelerating build-up
// under a stagnant high, a half-day peak, then a cold front.
func (s *Simulator) episodeAt(sec float64) float64 {
	if s.episode.IsZero() {
		return 0
	}
	h := sec/3600 - float64(s.episode.UnixNano())/3.6e12
	build, peak, clear := episodeBuild.Hours(), episodePeak.Hours(), episodeClear.Hours()
	switch {
	case h <= 0 || h >= build+peak+clear:
		return 0
	case h < build:
		return math.Pow(h/build, 1.6)
	case h < build+peak:
		return 1
	default:
		return 1 - (h-build-peak)/clear
	}
}

func (s *Simulator) areaAt(a *areaModel, c clock) areaState {
	syn := s.at(synopticAR, synopticKey, c.sec)
	day := s.at(dailyAR, sub(a.key, streamDay), c.sec)
	hour := s.at(hourlyAR, sub(a.key, streamHour), c.sec)
	st := areaState{c: c, syn: syn, episode: s.episodeAt(c.sec) * a.episodeWeight}
	st.hourLog = areaHourSigma * hour
	st.pmLog = synopticSigma*syn + areaDaySigma*day + st.hourLog
	st.o3Log = 0.15 * s.at(hourlyAR, sub(a.key, streamO3), c.sec)
	e := st.episode
	winter := 1 - c.summer
	spring := math.Exp(-math.Pow((c.doy-120)/25, 2))

	st.temp = a.meanTemp - 20*math.Cos(2*math.Pi*(c.doy-17)/daysPerYear) +
		(4+3*c.summer)*cosPeak(c.hour, 17) +
		3*s.at(synopticAR, tempKey, c.sec) + 0.8*s.at(dailyAR, sub(a.key, streamTemp), c.sec) - 2*e
	st.rh = 38 + 40*winter - (8+6*c.summer)*cosPeak(c.hour, 17) +
		8*s.at(dailyAR, sub(a.key, streamRH), c.sec) + 5*syn + 12*e
	st.pressure = a.basePressure + 8*math.Cos(2*math.Pi*(c.doy-15)/daysPerYear) +
		4*s.at(synopticAR, pressureKey, c.sec) + 2*e
	// Stagnant (high syn) days are calm days; spring is the windy season.
	windLog := -0.25*syn + 0.3*s.at(hourlyAR, sub(a.key, streamWind), c.sec)
	st.wind = (1.5 + 1.2*spring + 0.5*c.summer) * math.Exp(windLog-(0.0625+0.09)/2) *
		(1 + 0.35*cosPeak(c.hour, 16)) * (1 - 0.7*e)
	// Mountain breeze from the Tianshan (south) at night, valley breeze and the north-west
	// prevailing wind by day.
	st.windDir = 247.5 - 67.5*cosPeak(c.hour, 4) + 40*s.at(hourlyAR, sub(a.key, streamWindDir), c.sec)
	return st
}

// stationModel is one ambient station.
type stationModel struct {
	id    string
	topic string
	quot  []byte
	area  *areaModel
	key   uint64
	micro bool
	gases bool // measures SO2 and meteorology (national and provincial stations)
	sigma float64
	bias  float64 // the instrument's constant relative error of PM
	tOff  float64 // siting offset of the thermometer, °C
	rhOff float64
	wFac  float64 // exposure of the anemometer
}

func (s *Simulator) newStation(id string, a *areaModel, class registry.StationClass) *stationModel {
	st := &stationModel{id: id, topic: "air/" + id, quot: quote(id), area: a, key: keyOf("station", id)}
	st.micro = class == registry.Micro
	st.gases = !st.micro
	st.sigma = 0.10
	biasSigma := 0.04
	if st.micro {
		// Low-cost sensors wander more and carry a larger calibration error.
		st.sigma, biasSigma = 0.18, 0.10
	}
	st.bias = math.Exp(biasSigma * s.gauss(sub(st.key, streamBias), 0))
	st.tOff = 0.7 * s.gauss(sub(st.key, streamBias), 1)
	st.rhOff = 3 * s.gauss(sub(st.key, streamBias), 2)
	st.wFac = 1 + 0.15*s.gauss(sub(st.key, streamBias), 3)
	return st
}

// airValues is one station's reading.
type airValues struct {
	pm25, pm10, so2, no2, co, o3           float64
	temp, rh, pressure, wind, windU, windV float64
}

func (s *Simulator) stationAt(st *stationModel, as areaState, white float64) airValues {
	a, c, e := st.area, as.c, as.episode
	stLog := st.sigma * s.at(stationAR, st.key, c.sec)
	var wn float64
	if white > 0 {
		ms := int64(math.Floor(c.sec * 1000))
		wn = white * 0.04 * s.gauss(sub(st.key, streamWhite), ms)
		if st.micro {
			wn *= 2
		}
	}
	corr := (areaPMVar + st.sigma*st.sigma) / 2
	normal := a.pm25 * seasonal(c, a.pmRatio, a.pmNorm) * pmDiurnal(c) * math.Exp(as.pmLog+stLog+wn-corr) * st.bias
	pm25 := normal
	if e > 0 {
		// At the peak the whole basin sits under one inversion: stations agree more than usual.
		peak := a.episodePeak * math.Exp(0.4*as.hourLog+0.5*stLog+wn) * (0.9 + 0.1*shape(&pmWinter, c.hour))
		pm25 = normal*(1-e) + e*math.Max(peak, normal)
	}
	// Spring dust storms raise coarse particles; episodes are mostly fine secondary aerosol.
	spring := math.Exp(-math.Pow((c.doy-120)/25, 2))
	ratio := 1.6 + 0.15*(1-c.heat) + 0.3*spring + 0.06*s.at(stationAR, sub(st.key, streamPMRatio), c.sec) - 0.25*e
	v := airValues{pm25: pm25, pm10: pm25 * math.Max(ratio, 1.3)}

	gas := func(stream uint64, sigma float64) float64 {
		return math.Exp(0.6*as.pmLog + sigma*s.at(stationAR, sub(st.key, stream), c.sec) + wn -
			(0.36*areaPMVar+sigma*sigma)/2)
	}
	dPM := pmDiurnal(c) - 1
	v.no2 = a.no2 * seasonal(c, no2Ratio, a.no2Norm) * shape(&no2Shape, c.hour) * gas(streamNO2, 0.15) * (1 + e)
	v.so2 = a.so2 * seasonal(c, so2Ratio, a.so2Norm) * (1 + 0.5*dPM) * gas(streamSO2, 0.2) * (1 + 0.8*e)
	v.co = a.co * seasonal(c, coRatio, a.coNorm) * (1 + 0.6*dPM) * gas(streamCO, 0.12) * (1 + 1.2*e)
	// O3 peaks in summer afternoons and is titrated away in stagnant, polluted winter air.
	o3Log := -0.12*as.syn + as.o3Log + 0.1*s.at(stationAR, sub(st.key, streamO3), c.sec) + wn
	v.o3 = math.Max(2, a.o3*o3Season(c)*a.o3Norm*(1+(0.3+0.3*c.summer)*cosPeak(c.hour, 17))*
		math.Exp(o3Log-(0.0144+0.0225+0.01)/2)*(1-0.6*e))

	v.temp = as.temp + st.tOff
	v.rh = clamp(as.rh+st.rhOff, 8, 99)
	v.pressure = as.pressure
	v.wind = clamp(as.wind*st.wFac, 0.1, 25)
	dir := as.windDir * math.Pi / 180
	v.windU, v.windV = math.Sin(dir), math.Cos(dir)
	return v
}

// meanAir averages the values of a period; wind direction as a vector.
func meanAir(vs []airValues) airValues {
	if len(vs) == 1 {
		return vs[0]
	}
	var m airValues
	for _, v := range vs {
		m.pm25 += v.pm25
		m.pm10 += v.pm10
		m.so2 += v.so2
		m.no2 += v.no2
		m.co += v.co
		m.o3 += v.o3
		m.temp += v.temp
		m.rh += v.rh
		m.pressure += v.pressure
		m.wind += v.wind
		m.windU += v.windU
		m.windV += v.windV
	}
	n := float64(len(vs))
	m.pm25 /= n
	m.pm10 /= n
	m.so2 /= n
	m.no2 /= n
	m.co /= n
	m.o3 /= n
	m.temp /= n
	m.rh /= n
	m.pressure /= n
	m.wind /= n
	return m
}

// calibrating reports the nightly zero/span check of a station's gas analysers: on about one
// day in two weeks, from 03:00 to 04:00, the gas values carry flag C.
func (s *Simulator) calibrating(st *stationModel, c clock) bool {
	if c.hour < 3 || c.hour >= 4 {
		return false
	}
	day := int64(math.Round((c.sec - c.hour*3600) / 86400))
	return s.uniform(sub(st.key, streamCal), day) < 1.0/14
}

func (st *stationModel) payload(stamp []byte, p reading.Period, v airValues, calibrating bool) []byte {
	w := jsonWriter{b: make([]byte, 0, 320)}
	w.raw("station", st.quot)
	w.str("time", stamp)
	w.str("period", []byte(p))
	w.num("pm25", v.pm25, 0)
	w.num("pm10", v.pm10, 0)
	if st.gases {
		w.num("so2", v.so2, 0)
	}
	w.num("no2", v.no2, 0)
	w.num("co", v.co, 2)
	w.num("o3", v.o3, 0)
	w.num("temp", v.temp, 1)
	w.num("rh", v.rh, 0)
	if st.gases {
		w.num("pressure", v.pressure, 1)
		w.num("wind_speed", v.wind, 1)
		dir := math.Mod(math.Atan2(v.windU, v.windV)*180/math.Pi+360, 360)
		if dir = math.Round(dir); dir >= 360 {
			dir = 0
		}
		w.num("wind_dir", dir, 0)
	}
	if calibrating {
		w.b = append(w.b, `,"flags":{"so2":"C","no2":"C","co":"C","o3":"C"}`...)
	}
	return w.close()
}

// jsonWriter appends the flat JSON objects of the data contract without reflection.
type jsonWriter struct{ b []byte }

func (w *jsonWriter) key(name string) {
	if len(w.b) == 0 {
		w.b = append(w.b, '{')
	} else {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) raw(name string, quoted []byte) {
	w.key(name)
	w.b = append(w.b, quoted...)
}

// str writes a value known to need no escaping (times, periods).
func (w *jsonWriter) str(name string, v []byte) {
	w.key(name)
	w.b = append(w.b, '"')
	w.b = append(w.b, v...)
	w.b = append(w.b, '"')
}

func (w *jsonWriter) num(name string, v float64, decimals int) {
	w.key(name)
	w.b = strconv.AppendFloat(w.b, round(v, decimals), 'f', -1, 64)
}

func (w *jsonWriter) close() []byte { return append(w.b, '}') }
