package registry

// Assessed reports whether the station counts toward its area's assessment against the plan's
// targets (考核点位): the `assess` flag when given, otherwise true for national (国控) and
// provincial (省控) stations and false for grid micro-stations, which serve the grid and the
// command centre, never the score.
func (s *Station) Assessed() bool {
	if s.Assess != nil {
		return *s.Assess
	}
	return s.Class == National || s.Class == Provincial
}

// AssessmentStations lists, in registry order, the ids of the stations that count toward the
// assessment of area id.
func (r *Registry) AssessmentStations(id string) []string {
	var out []string
	for i := range r.Stations {
		if s := &r.Stations[i]; s.Area == id && s.Assessed() {
			out = append(out, s.ID)
		}
	}
	return out
}
