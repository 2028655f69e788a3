package hj212

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
)

func mustParse(t testing.TB, f string) *Packet {
	t.Helper()
	p, err := Parse([]byte(f))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func values(r reading.Reading) map[string]reading.Value {
	m := map[string]reading.Value{}
	for _, v := range r.Values {
		m[v.Name] = v
	}
	return m
}

func wantValues(t *testing.T, r reading.Reading, want map[string]float64, flags map[string]reading.Flag) {
	t.Helper()
	got := values(r)
	for name, w := range want {
		v, ok := got[name]
		if !ok {
			t.Errorf("missing %s in %v", name, r.Values)
			continue
		}
		if math.Abs(v.Value-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v, want %v", name, v.Value, w)
		}
		if f, ok := flags[name]; ok && v.Flag != f {
			t.Errorf("%s flag %q, want %q", name, v.Flag, f)
		}
	}
	if len(got) != len(want) {
		t.Errorf("values %v, want exactly %v", r.Values, want)
	}
}

func TestMapAirRealTime(t *testing.T) {
	rs, err := Readings(mustParse(t, exAirRtd), testRegistry(), MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Kind != reading.Air || r.Station != "AIR-01" || r.Period != reading.RealTime ||
		!r.Time.Equal(time.Date(2024, 3, 15, 2, 30, 0, 0, time.UTC)) {
		t.Errorf("%+v", r)
	}
	wantValues(t, r, map[string]float64{"pm25": 35.2, "pm10": 61, "so2": 8, "no2": 27, "co": 0.62, "o3": 88},
		map[string]reading.Flag{"pm25": reading.FlagNormal})
}

func TestMapCEMSHour(t *testing.T) {
	// The device sends flow in m³/s: stored ×3600 as m³/h; the cumulative volume is not a rate.
	p := mustParse(t, exCEMSHour)
	rs, err := Readings(p, testRegistry(), MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Kind != reading.Source || r.Source != "PLANT-7" || r.Outlet != "DA001" || r.Period != reading.Hour {
		t.Errorf("%+v", r)
	}
	wantValues(t, r, map[string]float64{"so2": 12.4, "so2_zs": 14.9, "o2": 9.8, "temp": 52.3, "flow": 18.4 * 3600},
		map[string]reading.Flag{"so2_zs": reading.FlagNormal, "flow": reading.FlagNormal})

	rs, err = Readings(p, testRegistry(), MapOptions{Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, rs[0], map[string]float64{
		"so2": 12.4, "so2_min": 10.1, "so2_max": 15.0, "so2_zs": 14.9, "so2_cou": 0.82,
		"o2": 9.8, "temp": 52.3, "flow": 18.4 * 3600, "flow_cou": 66120.5,
	}, nil)
}

func TestMap2005(t *testing.T) {
	rs, err := Readings(mustParse(t, ex2005Rtd), testRegistry(), MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, rs[0], map[string]float64{"dust": 12.1, "dust_zs": 15.3, "so2": 30.5, "nox": 80.2, "o2": 9.1, "flow": 18.4},
		map[string]reading.Flag{"nox": reading.FlagCalibration, "flow": reading.FlagNone, "dust_zs": reading.FlagNormal})
}

// TestMapPerGroupFlags: a real 2005 packet flags -Rtd and -ZsRtd of one code differently
// (xiaoyao9184/hj-t212-parser capture, 2016-08-24 07.h212; packets.txt).
func TestMapPerGroupFlags(t *testing.T) {
	f := "##0375ST=31;CN=2011;PW=123456;MN=ZG130183201106;CP=&&DataTime=20160824072054000;B02-Rtd=0.00;01-Rtd=0.00,01-Flag=M;02-Rtd=0.00,02-Flag=M;03-Rtd=0.000,03-Flag=M;S01-Rtd=0.0,S01-Flag=M;S02-Rtd=0.00,S02-Flag=M;S03-Rtd=0.0,S03-Flag=M;S05-Rtd=0.0,S05-Flag=M;S08-Rtd=-0.121050,S08-Flag=D;S07-Rtd=3.14,S07-Flag=M;01-ZsRtd=16.62,01-Flag=N;02-ZsRtd=0.00,02-Flag=M;03-ZsRtd=0.000,03-Flag=M&&1400"
	dev := Device{MN: "ZG130183201106", Source: "S", Outlet: "O", PressureUnit: "MPa"}
	r, err := ToReading(mustParse(t, f), dev, MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := values(r)
	if v["dust"].Flag != reading.FlagMaintenance || v["dust_zs"].Flag != reading.FlagNormal || v["dust_zs"].Value != 16.62 {
		t.Errorf("dust %+v dust_zs %+v", v["dust"], v["dust_zs"])
	}
	if math.Abs(v["pressure"].Value - -121.05) > 1e-9 || v["pressure"].Flag != reading.FlagFault {
		t.Errorf("pressure MPa→kPa: %+v", v["pressure"])
	}
	if _, ok := v["raw_s07"]; ok {
		t.Errorf("unmapped S07 kept without Extras: %v", r.Values)
	}
	r, _ = ToReading(mustParse(t, f), dev, MapOptions{Extras: true})
	if _, ok := values(r)["raw_s07"]; !ok {
		t.Errorf("unmapped S07 not kept with Extras: %v", r.Values)
	}
	if !r.Time.Equal(time.Date(2016, 8, 24, 7, 20, 54, 0, Beijing())) {
		t.Errorf("time %v", r.Time)
	}
}

func TestMapPeriodsAndOptions(t *testing.T) {
	for _, tc := range []struct {
		cn     string
		period reading.Period
	}{{"2011", reading.RealTime}, {"2051", reading.Minute}, {"2061", reading.Hour}, {"2031", reading.Day}} {
		suffix := "Avg"
		if tc.cn == "2011" {
			suffix = "Rtd"
		}
		p := mustParse(t, string(frame(t, "QN=1;ST=22;CN="+tc.cn+";PW=1;MN=M1;Flag=4;CP=&&DataTime=20240315100000;a01006-"+suffix+"=101.32,a01006-Flag=X;pms_rules-"+suffix+"=7;a34004-Min=3&&")))
		// Air pressure arrives in kPa (2017 table) and is stored in hPa (contract).
		r, err := ToReading(p, Device{MN: "M1", Station: "ST1"}, MapOptions{Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		wantValues(t, r, map[string]float64{"pressure": 1013.2}, map[string]reading.Flag{"pressure": reading.FlagManual})
		if r.Period != tc.period || r.Time != time.Date(2024, 3, 15, 10, 0, 0, 0, time.UTC) {
			t.Errorf("CN %s: %v %v", tc.cn, r.Period, r.Time)
		}
		w := strings.Join(p.Warnings, "|")
		if !strings.Contains(w, "suspect") || !strings.Contains(w, "pms_rules") {
			t.Errorf("unknown flag or dropped code not warned: %v", p.Warnings)
		}
		want := map[string]float64{"pressure": 1013.2, "raw_pms_rules": 7}
		if tc.cn != "2011" {
			want["pm25_min"] = 3
		}
		r, _ = ToReading(p, Device{MN: "M1", Station: "ST1", PressureUnit: "Pa"}, MapOptions{Extras: true})
		want["pressure"] = 1.0132
		wantValues(t, r, want, nil)
	}
}

// TestMapFlagWithoutValue: an analyser in fault sends only its flag; the flag is kept.
func TestMapFlagWithoutValue(t *testing.T) {
	p := mustParse(t, string(frame(t, "ST=22;CN=2011;PW=1;MN=M1;CP=&&DataTime=20240315100000;a34004-Flag=D;a34002-Rtd=--,a34002-Flag=B;a21026-Rtd=3&&")))
	r, err := ToReading(p, Device{Station: "S"}, MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := values(r)
	if !v["pm25"].NoValue || v["pm25"].Flag != reading.FlagFault || !v["pm10"].NoValue || v["pm10"].Flag != reading.FlagCommFault ||
		v["so2"].NoValue || v["so2"].Value != 3 || len(v) != 3 {
		t.Errorf("%+v", r.Values)
	}
}

func TestMapAvgFallbackAndDuplicates(t *testing.T) {
	p := mustParse(t, string(frame(t, "ST=31;CN=2051;PW=1;MN=M;CP=&&DataTime=20240315100000;02-Rtd=5;02-Rtd=6;03-Avg=1,03-Rtd=9&&")))
	r, err := ToReading(p, Device{Source: "S", Outlet: "O"}, MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, r, map[string]float64{"so2": 6, "nox": 1}, nil)
}

func TestDataFlag(t *testing.T) {
	for in, want := range map[string]reading.Flag{
		"N": 'N', "n": 'N', "F": 'F', "M": 'M', "S": 'S', "D": 'D', "C": 'C', "T": 'T', "B": 'B', "P": 'P',
		"0": 'C', "1": 'N', "2": 'D', "3": 'N', "": 0,
	} {
		if got, known := DataFlag(in); got != want || !known {
			t.Errorf("%q: %q %v", in, got, known)
		}
	}
	if got, known := DataFlag("X"); got != reading.FlagManual || known {
		t.Errorf("X: %q %v", got, known)
	}
}

func TestMapErrors(t *testing.T) {
	reg := testRegistry()
	_, err := Readings(mustParse(t, string(frame(t, "ST=22;CN=2011;PW=1;MN=NOPE;CP=&&DataTime=20240315100000;a34004-Rtd=1&&"))), reg, MapOptions{})
	var ue *UnknownDeviceError
	if !errors.As(err, &ue) || ue.MN != "NOPE" || !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("unknown MN: %v", err)
	}
	_, err = Readings(mustParse(t, string(frame(t, "ST=22;CN=2011;PW=bad;MN=TESTAIR0000000000000001;CP=&&DataTime=20240315100000;a34004-Rtd=1&&"))), reg, MapOptions{})
	if !errors.Is(err, ErrPassword) {
		t.Errorf("password: %v", err)
	}
	_, err = Readings(mustParse(t, exAirAnswer), reg, MapOptions{})
	if !errors.Is(err, ErrNotData) {
		t.Errorf("9014: %v", err)
	}
	p, _ := Parse([]byte(exAirRtd[:len(exAirRtd)-1] + "0"))
	if _, err := ToReading(p, reg["TESTAIR0000000000000001"], MapOptions{}); !errors.Is(err, ErrCRC) {
		t.Errorf("untrusted: %v", err)
	}
	for _, f := range []string{
		"ST=22;CN=2011;PW=1;MN=M;CP=&&a34004-Rtd=1&&",
		"ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=2024031510;a34004-Rtd=1&&",
	} {
		_, err := ToReading(mustParse(t, string(frame(t, f))), Device{Station: "X"}, MapOptions{})
		var fe *FieldError
		if !errors.Is(err, ErrTime) || !errors.As(err, &fe) || fe.Field != "DataTime" {
			t.Errorf("%s: %v", f, err)
		}
	}
	p = mustParse(t, exAirRtd)
	for _, dev := range []Device{{}, {Station: "A", Source: "B"}, {Station: "A", FlowUnit: "l/s"}, {Station: "A", PressureUnit: "bar"}} {
		if _, err := ToReading(p, dev, MapOptions{}); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", dev, err)
		}
	}
}

func TestFieldNameTable(t *testing.T) {
	for _, tc := range []struct {
		kind reading.Kind
		code string
		want string
	}{
		{reading.Air, "a34004", "pm25"}, {reading.Air, "a34002", "pm10"}, {reading.Air, "a21026", "so2"},
		{reading.Air, "a21004", "no2"}, {reading.Air, "a21005", "co"}, {reading.Air, "a05024", "o3"},
		{reading.Air, "O3", "o3"}, {reading.Air, "a01001", "temp"}, {reading.Air, "a01002", "rh"},
		{reading.Air, "a01006", "pressure"}, {reading.Air, "a01007", "wind_speed"}, {reading.Air, "a01008", "wind_dir"},
		{reading.Source, "a34013", "dust"}, {reading.Source, "01", "dust"}, {reading.Source, "a21026", "so2"},
		{reading.Source, "02", "so2"}, {reading.Source, "a21002", "nox"}, {reading.Source, "03", "nox"},
		{reading.Source, "a19001", "o2"}, {reading.Source, "S01", "o2"}, {reading.Source, "a00000", "flow"},
		{reading.Source, "B02", "flow"}, {reading.Source, "a01012", "temp"}, {reading.Source, "S03", "temp"},
		{reading.Source, "a01013", "pressure"}, {reading.Source, "S08", "pressure"}, {reading.Source, "a01014", "humidity"},
		{reading.Source, "S05", "humidity"}, {reading.Source, "a24088", "nmhc"}, {reading.Source, "a01011", "velocity"},
		{reading.Source, "s02", "velocity"},
	} {
		if got, ok := FieldName(tc.kind, tc.code); !ok || got != tc.want {
			t.Errorf("%v %s: %q", tc.kind, tc.code, got)
		}
	}
	if _, ok := FieldName(reading.Air, "a34013"); ok {
		t.Error("smoke dust mapped for an air station")
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "-00999.000": true, "0031": true, "000.4": true, ".5": true,
		"235.292750833832": true, "+3": true, "": false, "-": false, "1e5": false, "NaN": false, "Inf": false,
		"0x10": false, "1.2.3": false, "1_0": false} {
		if _, ok := parseNumber(in); ok != want {
			t.Errorf("%q: %v", in, ok)
		}
	}
}

func TestDeviceWithoutPasswordIsRefusedUnlessOptedOut(t *testing.T) {
	pkt := mustParse(t, string(frame(t, "ST=22;CN=2011;PW=whatever;MN=OPEN01;CP=&&DataTime=20240315100000;a34004-Rtd=1&&")))
	reg := StaticRegistry{"OPEN01": {MN: "OPEN01", Station: "AIR-09"}}
	_, err := Readings(pkt, reg, MapOptions{})
	if !errors.Is(err, ErrNoCredentials) || Reason(err) != "no_credentials" {
		t.Errorf("device without a password accepted PW=whatever: %v", err)
	}
	reg["OPEN01"] = Device{MN: "OPEN01", Station: "AIR-09", NoPassword: true}
	if _, err := Readings(pkt, reg, MapOptions{}); err != nil {
		t.Errorf("device opted out with no_password: %v", err)
	}
	for _, pw := range []string{"", "12345", "1234567", "123457"} {
		if err := (Device{MN: "X", Password: "123456", Station: "s"}).Authenticate(pw); !errors.Is(err, ErrPassword) {
			t.Errorf("PW %q accepted for password 123456: %v", pw, err)
		}
	}
}
