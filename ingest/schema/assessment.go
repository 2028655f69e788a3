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
)

// Values of TagDeducted.
const (
	DeductedNo  = "false"
	DeductedYes = "true"
)
