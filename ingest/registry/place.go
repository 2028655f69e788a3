package registry

import "math"

// Place is the position of a registered source (WGS-84 degrees), used by the command centre to
// name the likely source of a grid hotspot. Zero means unknown.
type Place struct {
	Lat float64 `yaml:"lat,omitempty"`
	Lon float64 `yaml:"lon,omitempty"`
}

// Located reports whether a position was given.
func (p Place) Located() bool { return p.Lat != 0 || p.Lon != 0 }

// DistanceKm is the great-circle (haversine) distance between two positions in kilometres, on a
// sphere of the mean Earth radius 6371.0088 km; at the few kilometres of a grid the error
// against the ellipsoid is well under 1 %.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0088
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// BearingDeg is the initial great-circle bearing from the first position to the second, in
// degrees clockwise from north (0–360).
func BearingDeg(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	p1, p2, dl := lat1*rad, lat2*rad, (lon2-lon1)*rad
	y := math.Sin(dl) * math.Cos(p2)
	x := math.Cos(p1)*math.Sin(p2) - math.Sin(p1)*math.Cos(p2)*math.Cos(dl)
	return math.Mod(math.Atan2(y, x)/rad+360, 360)
}
