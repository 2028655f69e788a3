package main

import (
	"fmt"

	"lantian/alert/assess"
	"lantian/service/config"
)

// assessFromConfig takes the areas of `lantian assess` from a config file's registry, only
// its assessment stations (micro-stations and stations with assess: false never count toward
// an area), and the heating season from its assessment section.
func assessFromConfig(o *assess.Options, path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	if err := cfg.Resolve(); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	o.Areas = map[string]string{}
	for i := range cfg.Stations {
		if st := &cfg.Stations[i]; st.Assessed() {
			o.Areas[st.ID] = st.Area
		}
	}
	o.Heating = cfg.Assessment.HeatingSeason
	return nil
}
