// Package schema is Lantian's InfluxDB data contract (docs/data-contract.md): the measurement,
// tag and field names of raw and derived points, the pollutant fields of each reading family,
// and the line-protocol builder every point is encoded with. Grafana boards, Flux queries and
// outside tools rely on these names, so they are defined here once and kept stable.
package schema

// Raw readings, one point per reading, stamped with the start of its averaging period.
const (
	// Air holds ambient-station readings (tags area, county, period, station).
	Air = "air"
	// Emission holds pollution-source outlet readings (tags area, county, industry, outlet,
	// period, source).
	Emission = "emission"
)

// Derived measurements of the streaming assessment (docs/assessment.md). A recomputed hour or
// day is written again with the same series and timestamp, so it overwrites its earlier value.
const (
	AQIHourly      = "aqi_hourly"
	AQIDaily       = "aqi_daily"
	CountyProgress = "county_progress"
)

// Derived measurements of source monitoring (docs/sources.md). Each point is keyed so that a
// recomputed value overwrites the earlier one: an hour by its start, an event by its start and
// state, a finding by its start, a day by its midnight.
const (
	EmissionHourly     = "emission_hourly"
	Exceedance         = "exceedance"
	SourceQuality      = "source_quality"
	SourceQualityDaily = "source_quality_daily"
	EmissionDaily      = "emission_daily"
)

// Measurements of the warning office (docs/warnings.md).
const (
	Forecast              = "forecast"
	WarningRecommendation = "warning_recommendation"
	WarningEvent          = "warning_event"
)

// Tag keys shared by several measurements.
const (
	TagArea     = "area"
	TagCounty   = "county"
	TagStation  = "station"
	TagSource   = "source"
	TagOutlet   = "outlet"
	TagIndustry = "industry"
	TagPeriod   = "period"
	TagScope    = "scope"
)

// Tag keys of the source-monitoring measurements (docs/sources.md).
const (
	TagPollutant = "pollutant" // exceedance, emission_daily
	TagState     = "state"     // exceedance: opened, extended, closed
	TagRule      = "rule"      // source_quality
	TagField     = "field"     // source_quality: the field a finding is about
)

// Values of the scope tag of the AQI measurements: a station's own figure or its county's
// (ScopeCounty also of emission_daily; its other values and source_quality's are in derived.go).
const (
	ScopeStation = "station"
	ScopeCounty  = "county"
)

// AirPollutants are the six pollutant fields of an ambient reading in the order of HJ 633
// (µg/m³, CO in mg/m³); they are also the field names of the `air` measurement.
var AirPollutants = [6]string{FieldPM25, "pm10", "so2", "no2", "co", "o3"}

// FieldPM25 is the PM2.5 field of an ambient reading and of aqi_daily: the pollutant the
// counties' targets are set for, which the leaders' board follows on its own.
const FieldPM25 = "pm25"

// SourcePollutants are the pollutant fields of an outlet reading, as measured (mg/m³); the
// "_zs" fields carry the values converted to the reference oxygen content.
var SourcePollutants = [4]string{"dust", "so2", "nox", "nmhc"}

// Outlet fields besides the pollutants: oxygen (%), flue-gas flow (m³/h), temperature (°C),
// pressure (kPa), humidity (%) and velocity (m/s).
const (
	FieldO2       = "o2"
	FieldFlow     = "flow"
	FieldTemp     = "temp"
	FieldPressure = "pressure"
	FieldHumidity = "humidity"
	FieldVelocity = "velocity"
)

// ConvertedSuffix is appended to an outlet pollutant for its value converted by the analyser to
// the reference oxygen content (so2_zs); RateSuffix for its emission rate in kg/h, a field of
// emission_hourly (so2_kgh).
const (
	ConvertedSuffix = "_zs"
	RateSuffix      = "_kgh"
)

// AirFields are all the fields of an ambient reading, in the data contract (JSON) and in the
// `air` measurement: the pollutants of AirPollutants, then meteorology (temp °C, rh %,
// pressure hPa, wind_speed m/s, wind_dir degrees).
var AirFields = [11]string{FieldPM25, "pm10", "so2", "no2", "co", "o3",
	"temp", "rh", "pressure", "wind_speed", "wind_dir"}

// SourceFields are all the fields of an outlet reading, in the data contract (JSON) and in the
// `emission` measurement: the pollutants of SourcePollutants as measured, the same converted
// to the reference O2 ("_zs"), then the flue gas (o2 %, flow m³/h, temp °C, pressure kPa,
// humidity %, velocity m/s).
var SourceFields = [14]string{"dust", "so2", "nox", "nmhc",
	"dust_zs", "so2_zs", "nox_zs", "nmhc_zs",
	FieldO2, FieldFlow, FieldTemp, FieldPressure, FieldHumidity, FieldVelocity}

// FlagSuffix is appended to a field name for the field that holds its data flag (pm25_flag).
const FlagSuffix = "_flag"
