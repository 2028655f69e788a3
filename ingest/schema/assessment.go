package schema

// Assessment figures added to county_progress (alert/stream): every point carries TagDeducted,
// the figures of the plan's goals, and the prefecture row under county CountyPrefecture.
const (
	// TagDeducted is "true" on figures that leave out the particulate data of sand-dust
	// periods (扣沙, 环办监测〔2016〕120号) and "false" on the others. Public AQI (aqi_hourly,
	// aqi_daily) never carries it: it is never deducted.
	TagDeducted = "deducted"
	// CountyPrefecture is the county tag (and area tag) of the prefecture row: the mean of the
	// target counties' figures (自治州7县市平均).
	CountyPrefecture = "prefecture"

	FieldIncompleteDays   = "incomplete_days"     // int: days with a record that are not valid days (counted apart)
	FieldPM25Trajectory   = "pm25_trajectory"     // float µg/m³: the on-track YTD PM2.5 (base year's same period scaled to the target)
	FieldPM25TrajGap      = "pm25_trajectory_gap" // float µg/m³: pm25_ytd − pm25_trajectory, positive is off track
	FieldGoodBudget       = "good_budget"         // int: non-good days the rest of the year can afford, negative is out of reach
	FieldPrefectureCounty = "counties"            // int: prefecture row only, the counties averaged
	// The plan's other goals: YTD SO2 mean and CO 95th percentile of daily means against Grade
	// II, YTD NO2 mean and O3 90th percentile of daily max 8 h against the base year.
	FieldSO2YTD   = "so2_ytd"    // float µg/m³
	FieldSO2Limit = "so2_limit"  // float µg/m³: 60, Grade II annual
	FieldCOP95YTD = "co_p95_ytd" // float mg/m³, two decimals
	FieldCOLimit  = "co_limit"   // float mg/m³: 4, Grade II 24 h
	FieldNO2YTD   = "no2_ytd"    // float µg/m³
	FieldNO2Base  = "no2_base"   // float µg/m³: the base year's annual mean (configured)
	FieldO3P90YTD = "o3_p90_ytd" // float µg/m³
	FieldO3Base   = "o3_base"    // float µg/m³: the base year's 90th percentile (configured)
	// The gaps: figure minus what it is held against; positive is worse (above Grade II, or
	// risen since the base year).
	FieldSO2Gap = "so2_gap"
	FieldCOGap  = "co_gap"
	FieldNO2Gap = "no2_gap"
	FieldO3Gap  = "o3_gap"
)

// Values of TagDeducted.
const (
	DeductedNo  = "false"
	DeductedYes = "true"
)

// county_month (alert/stream): the monthly county ranking by composite index, as the offline
// period report (`lantian assess --report period --period month`) computes it from the same
// county days. Tags county, area, deducted; stamped with the local start of the month; fields
// below plus FieldPrimary (the period's primary pollutants), FieldValidDays, FieldGoodDays,
// FieldIncompleteDays and FieldDays.
const (
	CountyMonth    = "county_month"
	FieldComposite = "composite"  // float: composite index I_sum, two decimals as printed
	FieldRank      = "rank"       // int: 1 = cleanest among the areas that month; equal printed indices share a rank
	FieldMonthPM25 = "pm25"       // float µg/m³: the month's mean of daily PM2.5, one decimal
	FieldMonthGood = "good_ratio" // float %: good days among valid days, one decimal
	FieldMonthTo   = "to"         // string: the last day included (month to date), 2006-01-02
)

// county_season (alert/stream): a county's heating season to date, as of each day inside the
// season (assessment.heating_season). Tags county, area, deducted, season ("heating-2025" for
// 2025-26); fields FieldDays, FieldValidDays, FieldGoodDays, FieldHeavyDays,
// FieldIncompleteDays, FieldPM25YTD (the season's mean PM2.5) and FieldGoodRatioYTD.
const (
	CountySeason = "county_season"
	TagSeason    = "season"
)
