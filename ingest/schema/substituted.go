package schema

// Fields of emission_daily beside FieldKg (alert/source, HJ 75-style substitution of missing
// hours; docs/sources.md): the substituted total, the hours it filled and those it could not,
// and for county points with a configured quota, the quota and the substituted total's share.
const (
	FieldKgSubstituted    = "kg_substituted"    // float kg: measured plus substituted hours
	FieldSubstitutedHours = "substituted_hours" // int: outlet-hours filled by the rule
	FieldUnknownHours     = "unknown_hours"     // int: outlet-hours with nothing to fill them from
	FieldQuotaKg          = "quota_kg"          // float kg: the county's daily quota
	FieldQuotaRatio       = "quota_ratio"       // float: kg_substituted / quota_kg
)
