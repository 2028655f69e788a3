// Package reading holds the domain types every part of Lantian shares: a monitoring reading of an
// ambient air station or of a pollution-source outlet, its values and their data flags.
package reading

import (
	"fmt"
	"time"
)

// Kind says what produced a reading.
type Kind uint8

const (
	// Air is an ambient air-quality station (national, provincial or grid micro-station).
	Air Kind = iota + 1
	// Source is an outlet of a pollution source (CEMS flue gas, VOCs analyser).
	Source
)

func (k Kind) String() string {
	switch k {
	case Air:
		return "air"
	case Source:
		return "source"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Period is the averaging period of a reading. A reading is stamped with the start of its period.
type Period string

// The periods of the data contract; HJ 212 CN 2011/2051/2061/2031 map to them.
const (
	RealTime Period = "rt"
	Minute   Period = "1m"
	Hour     Period = "1h"
	Day      Period = "1d"
)

// Length is how long the period lasts; real-time readings have none (0).
func (p Period) Length() time.Duration {
	switch p {
	case Minute:
		return time.Minute
	case Hour:
		return time.Hour
	case Day:
		return 24 * time.Hour
	}
	return 0
}

// ParsePeriod accepts the contract's spellings; the empty string means real-time.
func ParsePeriod(s string) (Period, error) {
	switch Period(s) {
	case "", RealTime:
		return RealTime, nil
	case Minute, Hour, Day:
		return Period(s), nil
	}
	return "", fmt.Errorf("unknown period %q (want rt, 1m, 1h or 1d)", s)
}

// Flag is an HJ 212 data flag (HJ 212-2017 §6.6.4; docs/data-contract.md lists them).
// The zero value means the sender stated no flag, which is treated as normal.
type Flag byte

// The HJ 212-2017 flags, plus P (power failure) from the 2005 edition.
const (
	FlagNone        Flag = 0
	FlagNormal      Flag = 'N'
	FlagStopped     Flag = 'F'
	FlagMaintenance Flag = 'M'
	FlagManual      Flag = 'S'
	FlagFault       Flag = 'D'
	FlagCalibration Flag = 'C'
	FlagOverRange   Flag = 'T'
	FlagCommFault   Flag = 'B'
	FlagPowerFail   Flag = 'P'
)

// ParseFlag accepts one of the known flag letters (case-insensitive) or the empty string.
func ParseFlag(s string) (Flag, error) {
	if s == "" {
		return FlagNone, nil
	}
	if len(s) != 1 {
		return 0, fmt.Errorf("data flag %q is not one letter", s)
	}
	c := s[0]
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	switch f := Flag(c); f {
	case FlagNormal, FlagStopped, FlagMaintenance, FlagManual, FlagFault, FlagCalibration,
		FlagOverRange, FlagCommFault, FlagPowerFail:
		return f, nil
	}
	return 0, fmt.Errorf("unknown data flag %q (want one of N F M S D C T B P)", s)
}

// Valid reports whether a value with this flag may enter averages (HJ 663 excludes values taken
// during maintenance, calibration, faults and outages). Manual and over-range values are kept but
// suspect; assessment may choose to exclude them too.
func (f Flag) Valid() bool {
	switch f {
	case FlagNone, FlagNormal, FlagManual, FlagOverRange:
		return true
	}
	return false
}

func (f Flag) String() string {
	if f == FlagNone {
		return ""
	}
	return string(rune(f))
}

// Value is one measured quantity of a reading. Name is a field name of the data contract
// (air: pm25 pm10 so2 no2 co o3 and meteorology; source: dust so2 nox o2 flow temp nmhc …;
// a converted (折算) concentration carries the suffix "_zs").
type Value struct {
	Name  string
	Value float64
	Flag  Flag
	// NoValue marks a flag sent without a number, such as an analyser fault: the flag is kept,
	// Value is meaningless.
	NoValue bool
}

// Reading is one message's worth of data from one station or outlet at one time.
type Reading struct {
	Kind Kind
	// Station is the ambient station id (Kind Air).
	Station string
	// Source and Outlet identify a source outlet (Kind Source).
	Source string
	Outlet string
	// Time is the start of the averaging period, never the arrival time.
	Time   time.Time
	Period Period
	Values []Value
}

// ID names the producer of the reading for logs and metrics: the station, or source/outlet.
func (r *Reading) ID() string {
	if r.Kind == Source {
		return r.Source + "/" + r.Outlet
	}
	return r.Station
}

// Get returns the value with the given field name.
func (r *Reading) Get(name string) (Value, bool) {
	for _, v := range r.Values {
		if v.Name == name {
			return v, true
		}
	}
	return Value{}, false
}
