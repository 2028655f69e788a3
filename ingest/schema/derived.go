package schema

// Field and tag names of the derived measurements, grouped by the measurement that first
// writes them; a name another measurement shares is named again in that one's comment. The
// writers (alert/stream, alert/source, alert/office) and the readers (ingest/influx's Reader,
// the Grafana boards) both take them from here. docs/assessment.md, docs/sources.md and
// docs/warnings.md describe the measurements for outside tools.

// aqi_hourly and aqi_daily (alert/stream), tags area, county, scope and, in scope station,
// station. FieldPublished and FieldPrimary are always written, so that a rewrite never leaves a
// stale primary behind; FieldAQI, FieldLevel and FieldCategory only when an AQI may be published.
const (
	FieldPublished = "published" // bool: the AQI may be published
	FieldAQI       = "aqi"       // int; also the forecast AQI of forecast
	FieldLevel     = "level"     // int: the AQI level, 1 (优) … 6 (严重污染)
	FieldCategory  = "category"  // string: the level's category, 优 … 严重污染
	FieldPrimary   = "primary"   // string: the primary pollutants, "+"-joined, empty when none; also of forecast (daily)
)

// IAQIFields are the individual indices (int) of aqi_hourly, one per pollutant in the order of
// AirPollutants. Only the indices that could be computed are written; iaqi_so2 is the 24-h one
// when the 2012 rules switch SO2 above 800 µg/m³ to it.
var IAQIFields = [len(AirPollutants)]string{"iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3"}

// DailyFields are the HJ 663 daily values of aqi_daily, one per pollutant in the order of
// AirPollutants: float, rounded as the offline daily report prints them (µg/m³, CO mg/m³ with
// one decimal); 24-h means, for O3 the daily maximum 8-h mean. Only valid values are written.
var DailyFields = [len(AirPollutants)]string{FieldPM25, "pm10", "so2", "no2", "co", FieldO3_8h}

// Further fields of aqi_daily.
const (
	FieldO3_8h = "o3_8h" // float µg/m³: the daily maximum 8-h mean of O3
	FieldO3_1h = "o3_1h" // float µg/m³: the daily maximum 1-h value of O3
	FieldValid = "valid" // bool: every daily indicator met its HJ 663 data rule
	FieldFinal = "final" // bool: the day is past its end plus the lateness and will not change
)

// county_progress (alert/stream), tags area and county, stamped with the start of the as-of
// day: a county's year to date. Figures are rounded half to even to one decimal; the float
// fields are left out when there is no data or no target.
const (
	FieldDays         = "days"           // int: days with a daily record
	FieldValidDays    = "valid_days"     // int: days with a published daily AQI
	FieldGoodDays     = "good_days"      // int: valid days with AQI ≤ 100
	FieldHeavyDays    = "heavy_days"     // int: valid days with AQI > 200
	FieldPM25YTD      = "pm25_ytd"       // float µg/m³: mean PM2.5 of the year to date
	FieldGoodRatioYTD = "good_ratio_ytd" // float %: good days among valid days
	FieldPM25Target   = "pm25_target"    // float µg/m³: the plan's PM2.5 target
	FieldGoodTarget   = "good_target"    // float %: the plan's good-day ratio target
	FieldPM25Gap      = "pm25_gap"       // float µg/m³: pm25_ytd − pm25_target, positive is worse
	FieldGoodGap      = "good_gap"       // float %: good_ratio_ytd − good_target, negative is short
)

// forecast (alert/office): one point per forecast day (kind daily, at the day's start) and hour
// (kind hourly, at the hour's start), tags area, kind, lead and source; fields FieldAQI,
// FieldPrimary (daily only) and FieldIssued.
const (
	TagKind     = "kind"   // KindDaily or KindHourly
	TagLead     = "lead"   // days from the issue date to the day forecast: 0, 1, 2 …
	FieldIssued = "issued" // int: the forecast's issue time, Unix seconds
)

// Values of the kind tag of forecast.
const (
	KindDaily  = "daily"
	KindHourly = "hourly"
)

// warning_recommendation (alert/office): one point per area at every recompute, tags action
// (what to do: none issue upgrade keep downgrade lift), area, level (the recommended level's
// name), region and scheme.
const (
	TagAction           = "action"          // also of warning_event (ActionIssue …)
	TagLevel            = "level"           // warning level name: none blue yellow orange red; also of warning_event
	TagRegion           = "region"          // the key region whose unified warning decides; also of warning_event
	TagScheme           = "scheme"          // the warning scheme graded with
	FieldLevelNum       = "level_num"       // int 0 none … 4 red: the recommended level; of warning_event the warning's
	FieldCurrentNum     = "current_num"     // int 0 … 4: the level in force
	FieldForecastNum    = "forecast_num"    // int 0 … 4: the level the forecast alone grades
	FieldLiftMet        = "lift_met"        // bool: the scheme's lift condition is met
	FieldReason         = "reason"          // string: why, in words
	FieldForecastIssued = "forecast_issued" // int: issue time of the forecast used, Unix seconds
)

// warning_event (alert/office): a point per area, and one for the region, each time a warning
// is issued, changed or lifted, for Grafana's annotations; tags action, area, level, region and
// warning_id; fields FieldTitle, FieldText, FieldTags, FieldWho, FieldLevelNum, FieldVersion,
// FieldStart (int, Unix seconds) and FieldExpectedEnd.
const (
	TagWarningID     = "warning_id"
	FieldTitle       = "title"        // string: e.g. 橙色预警 发布 W20240102-001
	FieldText        = "text"         // string: the reason
	FieldTags        = "tags"         // string: comma-separated annotation tags: warning, level, action, area
	FieldWho         = "who"          // string: who made the change
	FieldVersion     = "version"      // int: the warning's version
	FieldExpectedEnd = "expected_end" // int: expected end, Unix seconds; only when given
)

// Values of the action tag of warning_event.
const (
	ActionIssue  = "issue"
	ActionChange = "change"
	ActionLift   = "lift"
)

// exceedance (alert/source): a point per event and state at the event's start, tags county,
// outlet, pollutant, source and state.
const (
	FieldLimit        = "limit"         // float mg/m³: the hourly limit exceeded
	FieldPeak         = "peak"          // float mg/m³: the highest hourly mean of the event
	FieldPeakAt       = "peak_at"       // string RFC 3339: start of the peak hour
	FieldBasis        = "basis"         // string: the value judged: device, calc, measured
	FieldHours        = "hours"         // int: exceeding hours; also of source_quality and emission_daily
	FieldGapHours     = "gap_hours"     // int: hours without a valid mean inside the event
	FieldFlaggedHours = "flagged_hours" // int: flagged hours; also of source_quality_daily
	FieldStart        = "start"         // string RFC 3339; also of source_quality, and of warning_event (int, Unix seconds)
	FieldEnd          = "end"           // string RFC 3339: end of the last exceeding hour; also of source_quality
	FieldDurationH    = "duration_h"    // float: hours from start to end
)

// Values of the state tag of exceedance: an event's opened point is kept, its extended point
// rewritten as it grows, its closed point is the final record.
const (
	StateOpened   = "opened"
	StateExtended = "extended"
	StateClosed   = "closed"
)

// source_quality (alert/source): a point per data-quality finding at its start, tags county,
// field, outlet, rule, scope (ScopeStream or ScopeDay) and source; fields FieldValue,
// FieldHours, FieldStart, FieldEnd and FieldDetail.
const (
	FieldValue  = "value"  // float: the figure the rule judged
	FieldDetail = "detail" // string: the finding in words
)

// source_quality_daily (alert/source): a point per outlet and local day at its midnight, tags
// county, outlet and source; fields FieldScore, FieldValidHours, FieldFlaggedHours,
// FieldFindings and FieldRules.
const (
	FieldScore      = "score"       // float 0–100: 100 minus the weighted findings of the day
	FieldValidHours = "valid_hours" // int
	FieldFindings   = "findings"    // int: findings of the day
	FieldRules      = "rules"       // string: the rules that found something, "rule:count;…"
)

// emission_daily (alert/source): a day's emissions at its midnight, tags county, pollutant,
// scope (ScopeSource or ScopeCounty) and source; fields FieldKg and FieldHours (the
// outlet-hours that contributed: totals are lower bounds).
const FieldKg = "kg" // float kg

// emission_hourly (alert/source): a point per outlet and hour at its start, tags county,
// industry, outlet, period (the input period the hour was built from) and source; fields
// FieldSamples, the means of FieldO2, FieldFlow and FieldTemp, and for each pollutant with data
// or a limit its measured mean (the pollutant's own field, mg/m³), its emission rate (kg/h,
// the pollutant + RateSuffix) and the pollutant with each of these suffixes.
const (
	ConvSuffix    = "_conv"    // float mg/m³: the converted mean, the one judged
	BasisSuffix   = "_basis"   // string: device, calc, measured, none
	StatusSuffix  = "_status"  // string: valid, flagged, insufficient, missing, unconverted
	LimitSuffix   = "_limit"   // float mg/m³: the hourly limit, when limited
	VerdictSuffix = "_verdict" // string: compliant, exceeding, flagged, invalid; when limited
)

// FieldSamples is the number of readings an emission_hourly point was built from (int).
const FieldSamples = "samples"

// Values of the scope tag of source_quality (the live silence check or the daily rules) and of
// emission_daily (a source's total; ScopeCounty for a county's).
const (
	ScopeStream = "stream"
	ScopeDay    = "day"
	ScopeSource = "source"
)
