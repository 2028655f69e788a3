// Package validate checks decoded readings against the registry, physical ranges and the clock,
// whichever protocol they came in (package jsonreading for the JSON contract, package hj212).
// Everything it refuses comes back as a *reading.Rejection with a stable reason code used in
// metrics and dead letters.
package validate

import (
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// Checker validates decoded readings. It is safe for concurrent use.
type Checker struct {
	Registry      *registry.Registry
	AcceptUnknown bool
	MaxFuture     time.Duration
	MaxAge        time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Check validates r against the registry, the physical ranges and the clock.
func (c *Checker) Check(r reading.Reading) (reading.Accepted, error) {
	a := reading.Accepted{Reading: r}
	var ranges map[string]fieldRange
	switch r.Kind {
	case reading.Air:
		ranges = airFields
		st, ok := c.Registry.Station(r.Station)
		switch {
		case ok:
			a.County, a.Area = st.Area, c.regionOf(st.Area)
		case c.AcceptUnknown:
			if err := CheckIncomingID(r.Station); err != nil {
				return a, reading.Reject(reading.ReasonBadTopic, "unregistered station: %v", err)
			}
			a.Area, a.County, a.Unregistered = registry.UnknownCounty, registry.UnknownCounty, true
		default:
			return a, reading.Reject(reading.ReasonUnknownStation, "station %q is not in the registry", r.Station)
		}
	case reading.Source:
		ranges = sourceFields
		ref, ok := c.Registry.Outlet(r.Source, r.Outlet)
		if !ok {
			return a, reading.Reject(reading.ReasonUnknownOutlet, "outlet %s/%s is not in the registry", r.Source, r.Outlet)
		}
		a.County, a.Area = ref.Source.Area, c.regionOf(ref.Source.Area)
		a.Industry = ref.Source.Industry
	default:
		return a, reading.Reject(reading.ReasonBadTopic, "reading of unknown kind %v", r.Kind)
	}
	if len(r.Values) == 0 {
		return a, reading.Reject(reading.ReasonNoValues, "reading of %s carries no values", r.ID())
	}
	for _, v := range r.Values {
		rg, ok := ranges[v.Name]
		if !ok {
			return a, reading.Reject(reading.ReasonUnknownField, "%s reading has no field %q", r.Kind, v.Name)
		}
		if v.NoValue {
			continue
		}
		if v.Value != v.Value || v.Value > 1e300 || v.Value < -1e300 {
			return a, reading.Reject(reading.ReasonNonFinite, "%s is %v", v.Name, v.Value)
		}
		if v.Value < rg.min || v.Value > rg.max {
			return a, reading.Reject(reading.ReasonOutOfRange, "%s = %g is outside the plausible range [%g, %g]", v.Name, v.Value, rg.min, rg.max)
		}
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	switch {
	case r.Time.After(now.Add(c.MaxFuture)):
		return a, reading.Reject(reading.ReasonFuture, "time %s is %s ahead of the clock (max %s)", r.Time.Format(time.RFC3339), r.Time.Sub(now).Round(time.Second), c.MaxFuture)
	case r.Time.Before(now.Add(-c.MaxAge)):
		return a, reading.Reject(reading.ReasonTooOld, "time %s is older than %s", r.Time.Format(time.RFC3339), c.MaxAge)
	}
	return a, nil
}

func (c *Checker) regionOf(county string) string {
	if regions := c.Registry.RegionsOf(county); len(regions) > 0 {
		return regions[0]
	}
	return county
}
