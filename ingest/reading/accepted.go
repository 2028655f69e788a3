package reading

// Accepted is a validated reading with the registry facts stored beside it as tags.
type Accepted struct {
	Reading
	// County is the registered county or park of the station or source: the unit of targets
	// and rankings.
	County string
	// Area is the key region the county belongs to (wcs for 乌-昌-石), or the county itself.
	Area string
	// Industry is the source's industry (Kind Source only).
	Industry string
	// Unregistered marks a reading of a station not in the registry, accepted because
	// accept_unknown_stations is on.
	Unregistered bool
}
