package config

import (
	"fmt"
	"slices"
	"strings"

	"lantian/ingest/registry"
)

// validateAssessment checks the assessment and sand_dust sections against the registry.
func (c *Config) validateAssessment() []error {
	known := func(id string) bool {
		a, ok := c.Registry.Area(id)
		return ok && a.Kind != registry.Region
	}
	var errs []error
	if err := c.Assessment.Validate(known); err != nil {
		errs = append(errs, err)
	}
	if err := c.SandDust.Validate(known); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// AreaAssessment is one area's line of `lantian config check`: its assessment stations.
type AreaAssessment struct {
	Area, Name string
	// Assessment and Other count the stations that do and do not count toward the area's
	// figures (registry.Station.Assessed).
	Assessment, Other int
	HasTarget         bool
	// HasBase: assessment.base gives the base year (trajectory, NO2/O3 goals).
	HasBase bool
}

// Warning is the problem of an area with targets but no assessment station: its figures would
// be empty.
func (a AreaAssessment) Warning() string {
	if a.HasTarget && a.Assessment == 0 {
		return fmt.Sprintf("warning: %s (%s) has targets but no assessment station: its county figures stay empty", a.Area, a.Name)
	}
	return ""
}

// AssessmentByArea lists the counties and parks with their assessment stations, in registry
// order.
func (c *Config) AssessmentByArea() []AreaAssessment {
	var out []AreaAssessment
	for _, a := range c.Areas {
		if a.Kind == registry.Region {
			continue
		}
		row := AreaAssessment{Area: a.ID, Name: a.Name}
		for i := range c.Stations {
			if st := &c.Stations[i]; st.Area == a.ID {
				if st.Assessed() {
					row.Assessment++
				} else {
					row.Other++
				}
			}
		}
		row.HasTarget = slices.ContainsFunc(c.Targets, func(t registry.Target) bool { return t.Area == a.ID })
		_, row.HasBase = c.Assessment.Base[a.ID]
		out = append(out, row)
	}
	return out
}

// FormatAssessment is the per-area block of `lantian config check`.
func FormatAssessment(rows []AreaAssessment) string {
	var b strings.Builder
	b.WriteString("assessment stations per area (考核点位; micro-stations never count):\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-16s %d assessment, %d other", r.Area, r.Assessment, r.Other)
		if r.HasTarget {
			b.WriteString(", targets")
			if !r.HasBase {
				b.WriteString(" (no assessment.base: no trajectory)")
			}
		}
		b.WriteString("  " + r.Name + "\n")
	}
	for _, r := range rows {
		if w := r.Warning(); w != "" {
			b.WriteString(w + "\n")
		}
	}
	return b.String()
}
