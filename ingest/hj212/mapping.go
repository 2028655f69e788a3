package hj212

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/schema"
)

// Device is the configuration of one data logger, keyed by its MN. Station is set for an
// ambient air station, Source and Outlet for a pollution-source outlet; the kind of reading is
// decided by this configuration, never by the packet's ST (CEMS packets say ST=32 as often as 31).
type Device struct {
	MN       string
	Password string // compared with PW by Authenticate
	Station  string
	Source   string
	Outlet   string
	// FlowUnit is the unit the device sends waste-gas flow (a00000/B02) in: "m3/h" (default) or
	// "m3/s" (the 2017 text's unit), converted to m³/h.
	FlowUnit string
	// PressureUnit is the unit of pressure items (a01006, a01013/S08): "kPa" (default), "Pa",
	// "hPa" or "MPa", converted to kPa.
	PressureUnit string
	// NoPassword accepts any PW from a device that has no Password: an explicit opt-out for
	// closed networks. Without it a device with no Password is refused.
	NoPassword bool
}

// Kind says whether the device is an air station or a source outlet.
func (d Device) Kind() (reading.Kind, error) {
	switch {
	case d.Station != "" && d.Source == "":
		return reading.Air, nil
	case d.Station == "" && d.Source != "":
		return reading.Source, nil
	}
	return 0, fmt.Errorf("%w: device %q needs exactly one of Station or Source", ErrConfig, d.MN)
}

// Registry resolves an MN to its device configuration.
type Registry interface {
	Device(mn string) (Device, bool)
}

// StaticRegistry is a Registry backed by a map from MN to Device.
type StaticRegistry map[string]Device

// Device implements Registry.
func (r StaticRegistry) Device(mn string) (Device, bool) {
	d, ok := r[mn]
	return d, ok
}

// MapOptions tune ToReading.
type MapOptions struct {
	// Location of DataTime; Beijing time when nil.
	Location *time.Location
	// Extras adds values outside the data contract: field+"_min", "_max", "_cou" (cumulative
	// amount), "_zs_min", "_zs_max", "_zs" of non-concentration fields, and "raw_<code>" for codes
	// with no Lantian field. Off by default because the ingest validator rejects a whole reading
	// that carries a field it does not know.
	Extras bool
}

// PeriodOf maps a data CN to the reading period. CN 2051 is "minute data" covering MinInterval
// minutes (often 5 or 10); it is labelled 1m as the data contract has no other sub-hour period.
func PeriodOf(cn string) (reading.Period, bool) {
	switch cn {
	case "2011":
		return reading.RealTime, true
	case "2051":
		return reading.Minute, true
	case "2061":
		return reading.Hour, true
	case "2031":
		return reading.Day, true
	}
	return "", false
}

// CanonicalCode translates an HJ/T 212-2005 pollutant code (and seen aliases) to the HJ
// 212-2017 code, case-insensitively. Codes it does not know are returned unchanged.
func CanonicalCode(code string) string {
	switch lowerASCII(strings.TrimSpace(code)) {
	case "01":
		return "a34013" // smoke dust
	case "02":
		return "a21026" // SO2
	case "03":
		return "a21002" // NOx
	case "04":
		return "a21005" // CO
	case "05":
		return "a21028" // H2S
	case "06":
		return "a21018" // fluoride
	case "08":
		return "a21024" // HCl
	case "10":
		return "a21001" // NH3
	case "25":
		return "a24087" // total hydrocarbons
	case "30":
		return "a05001" // CO2
	case "s01":
		return "a19001" // O2
	case "s02":
		return "a01011" // flue-gas velocity
	case "s03":
		return "a01012" // flue-gas temperature
	case "s04":
		return "a01017" // dynamic pressure
	case "s05":
		return "a01014" // flue-gas humidity
	case "s06":
		return "a01015" // cooling temperature
	case "s07":
		return "a01016" // duct cross-section
	case "s08":
		return "a01013" // flue-gas pressure
	case "b02":
		return "a00000" // waste-gas flow
	case "o3", "o31104":
		return "a05024"
	}
	return code
}

// FieldName gives the Lantian field of a pollutant code (either edition) for a device kind.
func FieldName(kind reading.Kind, code string) (string, bool) {
	c := lowerASCII(CanonicalCode(code))
	if kind == reading.Air {
		switch c {
		case "a34004":
			return "pm25", true
		case "a34002":
			return "pm10", true
		case "a21026":
			return "so2", true
		case "a21004":
			return "no2", true
		case "a21005":
			return "co", true
		case "a05024":
			return "o3", true
		case "a01001":
			return "temp", true
		case "a01002":
			return "rh", true
		case "a01006":
			return "pressure", true
		case "a01007":
			return "wind_speed", true
		case "a01008":
			return "wind_dir", true
		}
		return "", false
	}
	switch c {
	case "a34013":
		return "dust", true
	case "a21026":
		return "so2", true
	case "a21002":
		return "nox", true
	case "a19001":
		return "o2", true
	case "a00000":
		return "flow", true
	case "a01011":
		return "velocity", true
	case "a01012":
		return "temp", true
	case "a01013":
		return "pressure", true
	case "a01014":
		return "humidity", true
	case "a24088":
		return "nmhc", true
	}
	return "", false
}

// Readings looks up the packet's device and maps it; see ToReading. An unregistered MN gives an
// *UnknownDeviceError, a refused password an error wrapping ErrPassword (see Authenticate).
func Readings(p *Packet, reg Registry, opts MapOptions) ([]reading.Reading, error) {
	dev, ok := reg.Device(p.MN)
	if !ok {
		return nil, &UnknownDeviceError{MN: p.MN}
	}
	if err := dev.Authenticate(p.PW); err != nil {
		return nil, err
	}
	r, err := ToReading(p, dev, opts)
	if err != nil {
		return nil, err
	}
	return []reading.Reading{r}, nil
}

// ToReading turns a data packet (CN 2011/2051/2061/2031) into a reading of dev.
//
// Values: CN 2011 takes -Rtd as the field; aggregates (2051/2061/2031) take -Avg, falling back to
// -Rtd when a device sends no Avg. Converted concentrations (-ZsRtd/-ZsAvg) of dust, so2, nox and
// nmhc become field+"_zs". With opts.Extras, -Min/-Max/-Cou and unmapped codes are kept too (see
// MapOptions). A code that has a -Flag but no number (an analyser in fault) gives a value with
// NoValue set, so the flag is not lost.
//
// Flags: each value takes the -Flag of its own ';' group (2005 devices flag -Rtd and -ZsRtd
// separately), else the code's first flag; see DataFlag for unknown letters. Deviations (unknown
// flags, non-numeric values, dropped codes) are appended to p.Warnings.
//
// Units: flow is stored in m³/h (Device.FlowUnit "m3/s" multiplies by 3600; -Cou volumes are not
// rates and are left alone); pressure is stored in hPa for air stations and kPa for sources,
// converted from Device.PressureUnit (default kPa, the 2017 table's unit).
func ToReading(p *Packet, dev Device, opts MapOptions) (reading.Reading, error) {
	var r reading.Reading
	if !p.Trusted() {
		return r, fmt.Errorf("refusing untrusted packet: %w", checkFrame(p.Raw).err)
	}
	period, ok := PeriodOf(p.CN)
	if !ok {
		return r, fmt.Errorf("CN=%s: %w", p.CN, ErrNotData)
	}
	kind, err := dev.Kind()
	if err != nil {
		return r, err
	}
	flowK, err := flowFactor(dev.FlowUnit)
	if err != nil {
		return r, err
	}
	presK, err := pressureFactor(dev.PressureUnit)
	if err != nil {
		return r, err
	}
	if kind == reading.Air {
		presK *= 10 // kPa → hPa, the contract's unit for ambient pressure
	}
	t, err := p.DataTime(opts.Location)
	if err != nil {
		return r, err
	}
	r = reading.Reading{Kind: kind, Time: t, Period: period}
	if kind == reading.Air {
		r.Station = dev.Station
	} else {
		r.Source, r.Outlet = dev.Source, dev.Outlet
	}

	// The bookkeeping below lives in arrays on the stack and is searched linearly: a packet
	// has tens of items, and maps or string concatenation would allocate for every field.
	var avgBuf, droppedBuf [32]string
	var flaggedBuf [32][2]string
	hasAvg := avgBuf[:0] // codes with an -Avg item
	coded := 0
	for i := range p.CP {
		it := &p.CP[i]
		if it.Code != "" {
			coded++
		}
		if it.Suffix == "Avg" {
			hasAvg = append(hasAvg, it.Code)
		}
	}
	r.Values = make([]reading.Value, 0, coded)
	flagged := flaggedBuf[:0] // main field and code of every mapped code that sent a flag
	dropped := droppedBuf[:0]
	for i := range p.CP {
		it := &p.CP[i]
		if it.Code == "" {
			continue
		}
		base, known := FieldName(kind, it.Code)
		if known && it.Suffix == "Flag" {
			flagged = append(flagged, [2]string{base, it.Code})
		}
		suffix, zs := valueRole(it.Suffix, period == reading.RealTime, containsFold(hasAvg, it.Code))
		if suffix == "-" {
			continue
		}
		extra := suffix != "" || (zs && (kind != reading.Source || !zsField(base)))
		if !known {
			if suffix != "" || zs {
				continue
			}
			extra = true
		}
		if extra && !opts.Extras {
			if !known && !slices.Contains(dropped, it.Code) {
				dropped = append(dropped, it.Code)
				p.warn("code %q has no Lantian field; dropped", it.Code)
			}
			continue
		}
		v, ok := parseNumber(it.Value)
		if !ok {
			p.warn("%s=%q is not a number; skipped", it.Name, it.Value)
			continue
		}
		if suffix != "_cou" {
			switch base {
			case "flow":
				v *= flowK
			case "pressure":
				v *= presK
			}
		}
		var name string
		if known {
			name = valueName(base, zs, suffix)
		} else {
			name = "raw_" + sanitizeName(it.Code)
		}
		f := p.flagFor(it.Code, it.Group, zs)
		if i := valueIndex(r.Values, name); i >= 0 {
			r.Values[i] = reading.Value{Name: name, Value: v, Flag: f}
			continue
		}
		r.Values = append(r.Values, reading.Value{Name: name, Value: v, Flag: f})
	}
	for _, fc := range flagged {
		base, code := fc[0], fc[1]
		if valueIndex(r.Values, base) >= 0 {
			continue
		}
		r.Values = append(r.Values, reading.Value{Name: base, Flag: p.flagFor(code, -1, false), NoValue: true})
	}
	return r, nil
}

// containsFold reports whether codes holds code, ignoring ASCII case.
func containsFold(codes []string, code string) bool {
	for _, c := range codes {
		if strings.EqualFold(c, code) {
			return true
		}
	}
	return false
}

// valueIndex is the position of the value named name, or -1.
func valueIndex(vs []reading.Value, name string) int {
	for i := range vs {
		if vs[i].Name == name {
			return i
		}
	}
	return -1
}

// valueNames holds every field name a known code can give, base + "_zs"? + suffix, built once
// so that mapping a value does not concatenate strings. It is never written after init.
var valueNames = func() map[[3]string]string {
	m := map[[3]string]string{}
	codes := []string{"a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002",
		"a01006", "a01007", "a01008", "a34013", "a21002", "a19001", "a00000", "a01011", "a01012",
		"a01013", "a01014", "a24088"}
	for _, kind := range []reading.Kind{reading.Air, reading.Source} {
		for _, c := range codes {
			base, ok := FieldName(kind, c)
			if !ok {
				continue
			}
			for _, zs := range []string{"", "_zs"} {
				for _, suffix := range []string{"", "_min", "_max", "_cou"} {
					m[[3]string{base, zs, suffix}] = base + zs + suffix
				}
			}
		}
	}
	return m
}()

// valueName is base, "_zs" when zs, and suffix, without allocating for known fields.
func valueName(base string, zs bool, suffix string) string {
	z := ""
	if zs {
		z = "_zs"
	}
	if n, ok := valueNames[[3]string{base, z, suffix}]; ok {
		return n
	}
	return base + z + suffix
}

// zsField reports whether a source field has a converted (折算) variant in the contract: the
// concentrations that emission limits apply to.
func zsField(base string) bool { return slices.Contains(schema.SourcePollutants[:], base) }

// valueRole says which reading field a suffix feeds: the name suffix ("" for the main value,
// "_min", "_max", "_cou"), whether it is a converted (Zs) value, or "-" for items that are not
// values of this period.
func valueRole(suffix string, realTime, hasAvg bool) (string, bool) {
	switch suffix {
	case "Rtd":
		if realTime || !hasAvg {
			return "", false
		}
	case "ZsRtd":
		if realTime {
			return "", true
		}
	case "Avg":
		if !realTime {
			return "", false
		}
	case "ZsAvg":
		if !realTime {
			return "", true
		}
	case "Min":
		if !realTime {
			return "_min", false
		}
	case "Max":
		if !realTime {
			return "_max", false
		}
	case "ZsMin":
		if !realTime {
			return "_min", true
		}
	case "ZsMax":
		if !realTime {
			return "_max", true
		}
	case "Cou":
		return "_cou", false
	}
	return "-", false
}

// flagFor finds the data flag of a value: the code's flag in the same ';' group (ZsFlag first
// for Zs values), else the code's first flag anywhere, else none.
func (p *Packet) flagFor(code string, group int, zs bool) reading.Flag {
	var same, sameZs, first string
	var haveSame, haveSameZs, haveFirst bool
	for _, it := range p.CP {
		if !strings.EqualFold(it.Code, code) || (it.Suffix != "Flag" && it.Suffix != "ZsFlag") {
			continue
		}
		if !haveFirst && it.Suffix == "Flag" {
			first, haveFirst = it.Value, true
		}
		if it.Group == group {
			if it.Suffix == "ZsFlag" {
				sameZs, haveSameZs = it.Value, true
			} else {
				same, haveSame = it.Value, true
			}
		}
	}
	var s string
	switch {
	case zs && haveSameZs:
		s = sameZs
	case haveSame:
		s = same
	case haveFirst:
		s = first
	default:
		return reading.FlagNone
	}
	f, known := DataFlag(s)
	if !known {
		p.warn("%s-Flag=%q unknown; stored as suspect (S)", code, s)
	}
	return f
}

// DataFlag converts an HJ 212 data flag. Known letters map to themselves; the 2005 air-station
// digit flags map to their letter equivalents (0 calibration → C, 1 meteorological → N, 2
// abnormal → D, 3 normal → N). Anything else is returned as reading.FlagManual ("suspect":
// kept and usable, but marked) with known == false, because reading.Flag has no "unknown" value
// and dropping or invalidating data over a vendor letter would lose it.
func DataFlag(s string) (f reading.Flag, known bool) {
	s = strings.TrimSpace(s)
	// The digits first: ParseFlag's error for them would allocate on every 2005 value.
	switch s {
	case "0":
		return reading.FlagCalibration, true
	case "1", "3":
		return reading.FlagNormal, true
	case "2":
		return reading.FlagFault, true
	}
	if f, err := reading.ParseFlag(s); err == nil {
		return f, true
	}
	return reading.FlagManual, false
}

func flowFactor(unit string) (float64, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(unit), "³", "3")) {
	case "", "m3/h":
		return 1, nil
	case "m3/s":
		return 3600, nil
	}
	return 0, fmt.Errorf("%w: flow unit %q (want m3/h or m3/s)", ErrConfig, unit)
}

func pressureFactor(unit string) (float64, error) {
	switch strings.TrimSpace(unit) {
	case "", "kPa", "kpa":
		return 1, nil
	case "Pa", "pa":
		return 0.001, nil
	case "hPa", "hpa":
		return 0.1, nil
	case "MPa", "mpa":
		return 1000, nil
	}
	return 0, fmt.Errorf("%w: pressure unit %q (want kPa, Pa, hPa or MPa)", ErrConfig, unit)
}

// parseNumber accepts what HJ 212 numbers look like (optional sign, digits, optional fraction;
// leading zeros allowed) and nothing else: no exponents, hex, Inf or NaN, which ParseFloat would
// let through and which no device sends.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0, false
		}
	}
	if digits == 0 || len(s) > 32 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return v, err == nil
}

// sanitizeName makes a vendor code usable as a field name: lower case, [a-z0-9_] only.
func sanitizeName(code string) string {
	b := []byte(strings.ToLower(strings.TrimSpace(code)))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// lowerASCII lower-cases ASCII letters. It runs for every item, so it does not allocate when
// there are none, nor for the codes this package knows (real gear sends "B02", "S01" or
// "A34013"): those come back as the interned lower-case string.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			var buf [16]byte
			if len(s) > len(buf) {
				return strings.ToLower(s)
			}
			b := buf[:len(s)]
			for j := 0; j < len(s); j++ {
				c := s[j]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				b[j] = c
			}
			if k, ok := knownCodes[string(b)]; ok {
				return k
			}
			return string(b)
		}
	}
	return s
}

// knownCodes interns the codes of CanonicalCode and FieldName; never written after init.
var knownCodes = func() map[string]string {
	m := map[string]string{}
	for _, c := range []string{"01", "02", "03", "04", "05", "06", "08", "10", "25", "30", "s01", "s02",
		"s03", "s04", "s05", "s06", "s07", "s08", "b02", "o3", "o31104",
		"a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002", "a01006",
		"a01007", "a01008", "a34013", "a21002", "a19001", "a00000", "a01011", "a01012", "a01013",
		"a01014", "a24088", "a21028", "a21018", "a21024", "a21001", "a24087", "a05001", "a01017",
		"a01015", "a01016"} {
		m[c] = c
	}
	return m
}()
