package sim

import (
	"math"
	"time"
)

// clock is a moment as the models see it.
type clock struct {
	sec  float64 // unix seconds
	doy  float64 // fractional day of the year in the configured zone, 0 = 1 January 00:00
	hour float64 // fractional hour of the day in the configured zone (Beijing time in Xinjiang)
	heat float64 // heating-season weight: 0 outside, 1 inside (smoothed over a few days)
	// intensity is heat scaled by how deep into winter the day is (coldest in mid-January).
	intensity float64
	summer    float64 // 0 in mid-winter, 1 at the summer solstice
}

const daysPerYear = 365.2425

// Heating season in Changji: 15 October to 15 April (采暖季); days of a non-leap year, 0-based.
const (
	heatingStartDOY = 287 // 15 October
	heatingEndDOY   = 104 // 15 April
	heatingRampDays = 3.0 // boilers are lit over a few days, not at midnight
)

func (s *Simulator) clockAt(t time.Time) clock {
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	hour := lt.Sub(midnight).Hours()
	doy := float64(lt.YearDay()-1) + hour/24
	return clockFor(float64(t.UnixNano())/1e9, doy, hour)
}

func clockFor(sec, doy, hour float64) clock {
	heat := heatingWeight(doy)
	// Deepest winter around 20 January, when inversions are strongest.
	depth := 0.75 + 0.25*math.Cos(2*math.Pi*(doy-20)/daysPerYear)
	return clock{
		sec: sec, doy: doy, hour: hour, heat: heat,
		intensity: heat * depth,
		summer:    0.5 + 0.5*math.Cos(2*math.Pi*(doy-172)/daysPerYear),
	}
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func heatingWeight(doy float64) float64 {
	return logistic((doy-heatingStartDOY)/heatingRampDays) + logistic((heatingEndDOY-doy)/heatingRampDays)
}

// seasonal is the multiplier of a quantity whose heating-season level is ratio times its
// summer level, normalised by norm so that its annual mean is 1.
func seasonal(c clock, ratio, norm float64) float64 {
	return (1 + (ratio-1)*c.intensity) * norm
}

// seasonalNorm makes the annual mean of seasonal() equal to 1.
func seasonalNorm(ratio float64) float64 {
	const samples = 365 * 4
	sum := 0.0
	for i := 0; i < samples; i++ {
		doy := float64(i) * 365 / samples
		sum += 1 + (ratio-1)*clockFor(0, doy, 0).intensity
	}
	return samples / sum
}

// Diurnal shapes of PM in Beijing time (Xinjiang solar noon is about 14:10 Beijing time).
// In winter the night inversion holds PM high from the evening to past midnight, the morning
// traffic and heating peak comes near noon, and the afternoon mixing layer clears it by 17:00.
var (
	pmWinter = normalise([24]float64{1.22, 1.20, 1.15, 1.08, 1.02, 0.98, 0.96, 0.97, 1.00, 1.06, 1.14, 1.20,
		1.16, 1.04, 0.90, 0.80, 0.74, 0.73, 0.78, 0.88, 1.00, 1.10, 1.17, 1.21})
	pmSummer = normalise([24]float64{1.05, 1.04, 1.02, 1.00, 0.99, 0.99, 1.00, 1.03, 1.06, 1.08, 1.08, 1.05,
		1.00, 0.96, 0.93, 0.91, 0.91, 0.92, 0.94, 0.97, 1.00, 1.03, 1.05, 1.06})
	// NO2 follows traffic: morning and evening rush hours, lowest in the afternoon.
	no2Shape = normalise([24]float64{1.10, 1.05, 1.00, 0.95, 0.92, 0.90, 0.92, 0.98, 1.06, 1.12, 1.14, 1.10,
		1.02, 0.94, 0.88, 0.84, 0.84, 0.88, 0.96, 1.06, 1.14, 1.18, 1.16, 1.13})
)

func normalise(v [24]float64) [24]float64 {
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	for i := range v {
		v[i] *= 24 / sum
	}
	return v
}

// shape interpolates a 24-hour table at a fractional hour.
func shape(tab *[24]float64, hour float64) float64 {
	i := int(math.Floor(hour)) % 24
	if i < 0 {
		i += 24
	}
	f := hour - math.Floor(hour)
	return tab[i]*(1-f) + tab[(i+1)%24]*f
}

func pmDiurnal(c clock) float64 {
	w := c.heat
	return w*shape(&pmWinter, c.hour) + (1-w)*shape(&pmSummer, c.hour)
}

// cosPeak is a unit cosine peaking at hour peak.
func cosPeak(hour, peak float64) float64 { return math.Cos(2 * math.Pi * (hour - peak) / 24) }
