package sim

import (
	"hash/fnv"
	"math"
)

// The noise here is a pure function of (seed, series key, time): a reading at time t comes out
// the same whatever was generated before it, so Messages may be called for any time in any
// order (a backfill, two simulators, a test that jumps to the episode peak) and still agree.

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// keyOf hashes a name (station id, "source/outlet", series name) into a series key.
func keyOf(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// sub derives the key of a named sub-series (e.g. the NO2 noise of a station).
func sub(key uint64, stream uint64) uint64 { return mix(key ^ mix(stream)) }

// hash64 is the random word of series key at lattice index idx.
func (s *Simulator) hash64(key uint64, idx int64) uint64 {
	return mix(s.seed ^ mix(key^mix(uint64(idx))))
}

// uniform is a value in [0, 1) fixed by the series key and index.
func (s *Simulator) uniform(key uint64, idx int64) float64 {
	return float64(s.hash64(key, idx)>>11) / (1 << 53)
}

// gauss is an approximately standard-normal value: the Irwin–Hall sum of four 16-bit uniforms.
// Its tails end at ±3.46σ, which keeps a single unlucky draw from producing absurd readings.
func (s *Simulator) gauss(key uint64, idx int64) float64 {
	h := s.hash64(key, idx)
	sum := float64(h&0xffff) + float64(h>>16&0xffff) + float64(h>>32&0xffff) + float64(h>>48)
	return (sum/65536 - 2) * math.Sqrt(3)
}

// arSeries is a stationary AR(1) process with unit variance sampled on a lattice of step
// seconds, linearly interpolated in between: smooth, autocorrelated noise.
type arSeries struct {
	step  float64 // seconds between lattice points
	phi   float64 // lag-one autocorrelation per step
	terms int     // truncation of the moving-average sum (phi^terms < 1 %)
	scale float64 // sqrt(1 - phi²)
}

func newAR(stepSeconds, phi float64) arSeries {
	return arSeries{
		step:  stepSeconds,
		phi:   phi,
		terms: int(math.Ceil(math.Log(0.01)/math.Log(phi))) + 1,
		scale: math.Sqrt(1 - phi*phi),
	}
}

// at returns the series value at unix time sec (seconds, fractional allowed).
func (s *Simulator) at(a arSeries, key uint64, sec float64) float64 {
	pos := sec / a.step
	k := math.Floor(pos)
	f := pos - k
	idx := int64(k)
	// x_k = sqrt(1-φ²) Σ φ^j e_{k-j}, the MA(∞) form of AR(1), so that it depends on no state.
	var x, w float64 = 0, 1
	for j := 0; j < a.terms; j++ {
		x += w * s.gauss(key, idx-int64(j))
		w *= a.phi
	}
	x *= a.scale
	next := a.phi*x + a.scale*s.gauss(key, idx+1)
	return x*(1-f) + next*f
}
