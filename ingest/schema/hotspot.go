package schema

// The grid-hotspot measurement (alert/hotspot; docs/command-centre.md): one point per judged
// station-hour, tagged station and county.
const (
	MeasurementHotspot = "grid_hotspot"
	// MeasurementHotspotDaily is one point per station and natural day (stamped at local
	// midnight): value, excess_neighbours and excess_county are the day's means over its judged
	// hours, hot_hours counts its hot hours, hours its judged hours.
	MeasurementHotspotDaily = "grid_hotspot_daily"

	FieldHotspotValue      = "value"             // float µg/m³: the station's hourly value of the judged pollutant
	FieldHotspotNeighbours = "neighbour_median"  // float µg/m³: median of the neighbours within the radius
	FieldHotspotCounty     = "county_mean"       // float µg/m³: mean of the county's assessment stations (absent if none reported)
	FieldHotspotExcessN    = "excess_neighbours" // float µg/m³: value − neighbour_median
	FieldHotspotExcessC    = "excess_county"     // float µg/m³: value − county_mean
	FieldHotspotRatio      = "ratio"             // float: value / neighbour_median
	FieldHotspotHot        = "hot"               // bool: the hour meets the hot-hour rule
	FieldHotspotRun        = "hot_hours"         // int: consecutive hot hours ending with this one
	FieldHotspotIsHotspot  = "hotspot"           // bool: the station is a persistent hotspot at this hour
	FieldHotspotSource     = "likely_source"     // string: nearest registered source within the source radius
	FieldHotspotHours      = "hours"             // int (daily): judged hours of the day
	FieldHotspotLat        = "lat"               // float degrees: the station's registry latitude (for map panels)
	FieldHotspotLon        = "lon"               // float degrees: the station's registry longitude
)

// The ambient-station quality measurement (alert/stationqc): one point per finding, tagged
// county, pollutant, rule (sudden_drop, stuck, pm25_over_pm10) and station.
const (
	MeasurementStationQuality = "station_quality"

	FieldQCValue            = "value"            // float µg/m³: the station's value in the flagged hour
	FieldQCPrevious         = "previous"         // float µg/m³: its value the hour before
	FieldQCNeighbours       = "neighbour_median" // float µg/m³: neighbours' median in the flagged hour
	FieldQCNeighboursBefore = "neighbour_before" // float µg/m³: neighbours' median the hour before
	FieldQCPM10             = "pm10"             // float µg/m³: the hour's PM10 (rule pm25_over_pm10)
	FieldQCHours            = "hours"            // int: length of the run of equal values (rule stuck)
)
