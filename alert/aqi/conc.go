// Package aqi computes the Chinese air-quality index (HJ 633-2012 and HJ 633-2026), the HJ 663
// daily values it is computed from, and the period statistics of assessments and rankings.
//
// All arithmetic on concentrations is exact: a concentration is a fixed-point integer (Conc), means
// and percentiles are exact rationals, and every rounding step is an explicit integer operation.
// Floating point is never used before a ceiling or a half-even rounding, because HJ 633's
// "round up" turns a representation error such as 55.000000000000007 into a wrong index (56).
// See docs/assessment.md for the rules and where they come from.
package aqi

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Conc is a concentration in millionths of the pollutant's unit: µg/m³ for SO2, NO2, O3, PM10 and
// PM2.5, mg/m³ for CO. 6 decimals hold any value an analyser reports exactly, so hourly values
// from decimal input are exact and sums of them are exact.
type Conc int64

// Unit is the Conc value of one µg/m³ (one mg/m³ for CO).
const Unit Conc = 1_000_000

// MaxConc bounds accepted concentrations (10⁷ units, far above any real ambient value). The bound
// keeps every intermediate product of the integer arithmetic inside int64.
const MaxConc = 10_000_000 * Unit

// ErrRange reports a concentration that is negative or above MaxConc.
var ErrRange = errors.New("concentration out of range")

// ParseConc parses a decimal concentration such as "35", "2.2" or "1.5e2" given in the
// pollutant's unit. Digits beyond the 6th decimal are rounded half to even.
func ParseConc(s string) (Conc, error) {
	return parseScaled(s, 6)
}

// ParseConcMilli parses a value given in thousandths of the pollutant's unit (CO in µg/m³ when
// the unit is mg/m³): the decimal point moves by three places without any binary rounding.
func ParseConcMilli(s string) (Conc, error) {
	return parseScaled(s, 3)
}

// FromFloat converts a float64 through its shortest decimal representation, so 2.2 becomes
// exactly 2.2 units and not 2.2000000000000001776.
func FromFloat(x float64) (Conc, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%v: %w", x, ErrRange)
	}
	return parseScaled(strconv.FormatFloat(x, 'f', -1, 64), 6)
}

// parseScaled returns round(value × 10^places) for a decimal string, exactly.
func parseScaled(s string, places int) (Conc, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	if strings.ContainsAny(s, "eE") {
		// Exponent forms are rare; ParseFloat then the shortest decimal keeps them exact enough
		// (they cannot carry more significant digits than a float64 anyway).
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("invalid number %q", orig)
		}
		if math.Abs(x) > 1e15 {
			return 0, fmt.Errorf("%q: %w", orig, ErrRange)
		}
		s = strconv.FormatFloat(x, 'f', -1, 64)
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" && fracPart == "" || hasDot && strings.Contains(fracPart, ".") {
		return 0, fmt.Errorf("invalid number %q", orig)
	}
	for _, part := range []string{intPart, fracPart} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("invalid number %q", orig)
			}
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 12 {
		return 0, fmt.Errorf("%q: %w", orig, ErrRange)
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		v = v*10 + int64(intPart[i]-'0')
	}
	for i := 0; i < places; i++ {
		d := int64(0)
		if i < len(fracPart) {
			d = int64(fracPart[i] - '0')
		}
		v = v*10 + d
	}
	if len(fracPart) > places {
		// GB/T 8170: round half to even on the dropped digits.
		rest := fracPart[places:]
		first := rest[0]
		tail := strings.TrimRight(rest[1:], "0") != ""
		if first > '5' || first == '5' && (tail || v%2 == 1) {
			v++
		}
	}
	if neg && v != 0 {
		return 0, fmt.Errorf("%q: negative: %w", orig, ErrRange)
	}
	c := Conc(v)
	if c > MaxConc {
		return 0, fmt.Errorf("%q: %w", orig, ErrRange)
	}
	return c, nil
}

// Format writes c with the given number of decimals (0..6), rounding half to even.
func (c Conc) Format(decimals int) string {
	return FormatRat(big.NewRat(int64(c), int64(Unit)), decimals)
}

// String writes c with as many decimals as it needs.
func (c Conc) String() string {
	s := c.Format(6)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Rat returns c in the pollutant's unit as an exact rational.
func (c Conc) Rat() *big.Rat { return big.NewRat(int64(c), int64(Unit)) }

// divRoundHalfEven returns num/den rounded to a multiple of step, half to even (GB/T 8170).
// num ≥ 0, den > 0, step > 0.
func divRoundHalfEven(num, den int64, step Conc) Conc {
	d := den * int64(step)
	q, r := num/d, num%d
	switch {
	case 2*r > d:
		q++
	case 2*r == d && q%2 == 1:
		q++
	}
	return Conc(q) * step
}

// FormatRat writes r with the given number of decimals, rounding half to even. A nil r is "".
func FormatRat(r *big.Rat, decimals int) string {
	if r == nil {
		return ""
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	den := r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	twice := new(big.Int).Lsh(m, 1)
	switch c := twice.Cmp(den); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	if decimals > 0 {
		if len(s) <= decimals {
			s = strings.Repeat("0", decimals-len(s)+1) + s
		}
		s = s[:len(s)-decimals] + "." + s[len(s)-decimals:]
	}
	if neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return s
}
