package schema

// warning_compliance (alert/office): the compliance of a warning's emergency-list sources, one
// point per warning, scope (source, county, list), id and pollutant at every computation
// (docs/warnings.md, "Compliance"). Tags county (the source's or county's; empty for the
// list), id (source id, county id, or the warning id for the list), pollutant (dust so2 nox
// nmhc), scope and warning_id.
const (
	WarningCompliance = "warning_compliance"

	TagID                = "id"
	FieldStatus          = "status"            // string: compliant, not_compliant, no_baseline, no_data, no_requirement
	FieldName            = "name"              // string: the source's or county's name
	FieldReductionPct    = "reduction_pct"     // float %: mass cut against the baseline mass
	FieldRequiredPct     = "required_pct"      // float %: the level's ratio, or the 一厂一策 commitment when higher
	FieldEmittedKg       = "emitted_kg"        // float kg over the warning hours (stopped hours 0, missing filled)
	FieldBaselineKg      = "baseline_kg"       // float kg the baseline rate gives over the same hours
	FieldHoursRunning    = "hours_running"     // int
	FieldHoursStopped    = "hours_stopped"     // int
	FieldHoursMissing    = "hours_missing"     // int: filled with the baseline rate
	FieldWarningHours    = "warning_hours"     // int: closed warning hours judged
	FieldBelowAfterGrace = "below_after_grace" // bool: not compliant and past the grace period (alerted)
)

// Values of the scope tag of warning_compliance.
const (
	ComplianceScopeSource = "source"
	ComplianceScopeCounty = "county"
	ComplianceScopeList   = "list"
)
