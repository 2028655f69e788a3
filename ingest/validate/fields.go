package validate

// fieldRange is the physically plausible range of a field. Values outside are instrument or
// transmission errors, not pollution: even the worst dust storms on record in Xinjiang stay below
// these PM10 bounds, and analysers' measuring ranges (HJ 653/654 and HJ 75/76) end well below
// them. Bounds are inclusive.
type fieldRange struct{ min, max float64 }

// airFields are the plausible ranges of schema.AirFields: µg/m³, CO in mg/m³, meteorology in
// °C, %, hPa, m/s and degrees. A name that is not a key is not a field of an ambient reading.
var airFields = map[string]fieldRange{
	"pm25":       {0, 3000},
	"pm10":       {0, 10000},
	"so2":        {0, 10000},
	"no2":        {0, 5000},
	"co":         {0, 150},
	"o3":         {0, 2000},
	"temp":       {-60, 60},
	"rh":         {0, 100},
	"pressure":   {500, 1100},
	"wind_speed": {0, 75},
	"wind_dir":   {0, 360},
}

// sourceFields are the plausible ranges of schema.SourceFields: concentrations in mg/m³ as
// measured (the "_zs" variants are converted to the reference O2), o2 in %, flow in m³/h, temp
// in °C, pressure in kPa, humidity in %, velocity in m/s. A name that is not a key is not a
// field of an outlet reading.
var sourceFields = map[string]fieldRange{
	"dust":     {0, 10000},
	"so2":      {0, 30000},
	"nox":      {0, 30000},
	"nmhc":     {0, 50000},
	"dust_zs":  {0, 10000},
	"so2_zs":   {0, 30000},
	"nox_zs":   {0, 30000},
	"nmhc_zs":  {0, 50000},
	"o2":       {0, 25},
	"flow":     {0, 1e8},
	"temp":     {-50, 1200},
	"pressure": {-200, 1000},
	"humidity": {0, 100},
	"velocity": {0, 100},
}
