package source

// morePresets are the presets of GB 13223-2011 for oil and gas boilers and gas turbines, the
// general limits of the cement and coking standards, the petrochemical standard GB 31571-2015
// and the VOCs standard GB 37822-2019. Every number here was written from the standards as
// remembered and summarised in public copies, not checked against the standard's text: all are
// marked U except where the project's reference (air-quality-standards.md §6) confirms them.
// Check them against the standard before using a preset for enforcement (docs/sources.md).
func morePresets() []Preset {
	u3 := [3]Confidence{Unverified, Unverified, Unverified}
	power := func(name, what, table string, o2 float64, v [3]float64) Preset {
		return Preset{
			Name: name, Title: "GB 13223-2011 thermal power, " + what + " (" + table + ")",
			// Reference O2 of GB 13223-2011: oil and gas boilers 3 %, gas turbines 15 % (U in
			// the reference, §6.2).
			ReferenceO2Pct: o2, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: v[0], SO2: v[1], NOx: v[2]},
			Confidence: map[string]Confidence{Dust: u3[0], SO2: u3[1], NOx: u3[2]},
			Citation:   "GB 13223-2011 " + table,
		}
	}
	return []Preset{
		// GB 13223-2011 Table 1: oil boilers (new units SO2 100; existing 200), natural-gas
		// boilers, gas turbines on natural gas and on oil.
		power("gb13223-2011-oil-boiler", "oil-fired boiler, new unit", "Table 1", 3, [3]float64{30, 100, 100}),
		power("gb13223-2011-oil-boiler-special", "oil-fired boiler, special limits", "Table 2", 3, [3]float64{20, 50, 100}),
		power("gb13223-2011-gas-boiler", "natural-gas boiler (general and special limits alike)", "Tables 1 and 2", 3, [3]float64{5, 35, 100}),
		power("gb13223-2011-gas-turbine", "natural-gas turbine (general and special limits alike)", "Tables 1 and 2", 15, [3]float64{5, 35, 50}),
		power("gb13223-2011-oil-turbine", "oil-fired gas turbine, new unit", "Table 1", 15, [3]float64{30, 100, 120}),
		power("gb13223-2011-oil-turbine-special", "oil-fired gas turbine, special limits", "Table 2", 15, [3]float64{20, 50, 120}),
		{
			Name: "gb4915-2013-cement-kiln", Title: "GB 4915-2013 cement kiln tail, general limits (Table 1)",
			ReferenceO2Pct: 10, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: 30, SO2: 200, NOx: 400},
			Confidence: map[string]Confidence{Dust: Unverified, SO2: Unverified, NOx: Unverified},
			Citation:   "GB 4915-2013 Table 1",
		},
		{
			// Kiln head, dryers, coal mills and coolers: particulate only, on measured values.
			Name: "gb4915-2013-kiln-head-special", Title: "GB 4915-2013 kiln head, coal mill, cooler, special limit (Table 2)",
			ReferenceO2Pct: 0, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: 10},
			Confidence: map[string]Confidence{Dust: Unverified},
			Citation:   "GB 4915-2013 Table 2",
		},
		{
			Name: "gb16171-2012-coke-oven", Title: "GB 16171-2012 coke-oven stack, limits for new plants (Table 5)",
			ReferenceO2Pct: 8, O2Confidence: C1,
			Values:     map[string]float64{Dust: 30, SO2: 50, NOx: 500},
			Confidence: map[string]Confidence{Dust: Unverified, SO2: Unverified, NOx: Unverified},
			Citation:   "GB 16171-2012 Table 5",
		},
		{
			// Process heaters of petrochemical plants (工艺加热炉).
			Name: "gb31571-2015-heater", Title: "GB 31571-2015 petrochemical process heater (Table 4)",
			ReferenceO2Pct: 3, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: 20, SO2: 100, NOx: 150},
			Confidence: map[string]Confidence{Dust: Unverified, SO2: Unverified, NOx: Unverified},
			Citation:   "GB 31571-2015 Table 4",
		},
		{
			Name: "gb31571-2015-heater-special", Title: "GB 31571-2015 petrochemical process heater, special limits (Table 5)",
			ReferenceO2Pct: 3, O2Confidence: Unverified,
			Values:     map[string]float64{Dust: 20, SO2: 50, NOx: 100},
			Confidence: map[string]Confidence{Dust: Unverified, SO2: Unverified, NOx: Unverified},
			Citation:   "GB 31571-2015 Table 5",
		},
		{
			// Organic waste gas of waste-water treatment: NMHC 120 mg/m³ on measured values. The
			// standard's other NMHC requirement (removal efficiency of the treatment unit) needs
			// inlet and outlet data and is not a limit Lantian can check.
			Name: "gb31571-2015-voc-vent", Title: "GB 31571-2015 organic waste-gas vent of waste-water treatment (Table 4)",
			ReferenceO2Pct: 0, O2Confidence: Unverified,
			Values:     map[string]float64{NMHC: 120},
			Confidence: map[string]Confidence{NMHC: Unverified},
			Citation:   "GB 31571-2015 Table 4",
		},
		{
			// Fugitive VOCs at a monitoring point inside the plant (厂区内), 1-h mean; the
			// standard's other value (any single reading, 30 mg/m³) is not an hourly limit.
			Name: "gb37822-2019-site-nmhc", Title: "GB 37822-2019 fugitive VOCs inside the plant, NMHC 1-h mean (Appendix A)",
			ReferenceO2Pct: 0, O2Confidence: Unverified,
			Values:     map[string]float64{NMHC: 10},
			Confidence: map[string]Confidence{NMHC: Unverified},
			Citation:   "GB 37822-2019 Appendix A, Table A.1",
		},
		{
			Name: "gb37822-2019-site-nmhc-special", Title: "GB 37822-2019 fugitive VOCs inside the plant, special limit (Appendix A)",
			ReferenceO2Pct: 0, O2Confidence: Unverified,
			Values:     map[string]float64{NMHC: 6},
			Confidence: map[string]Confidence{NMHC: Unverified},
			Citation:   "GB 37822-2019 Appendix A, Table A.1 (special limit)",
		},
	}
}
