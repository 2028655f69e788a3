package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"lantian/ingest/conf"
	"lantian/service/config"
)

// configSource names where the configuration came from, for `run` and `config check`.
func configSource(file string) string {
	if file == "" {
		return "built-in defaults (no --config, no LANTIAN_CONFIG, no " + defaultConfigPath + ")"
	}
	if abs, err := filepath.Abs(file); err == nil {
		return abs
	}
	return file
}

// printCredentialCheck lists the HJ 212 devices that nothing would be accepted from (no
// password, no no_password) and the Alertmanager URLs, redacted.
func printCredentialCheck(w io.Writer, cfg *config.Config) {
	var mns []string
	for _, s := range cfg.Stations {
		if s.MN != "" {
			mns = append(mns, s.MN+" (station "+s.ID+")")
		}
	}
	for _, src := range cfg.Sources {
		for _, o := range src.Outlets {
			if o.MN != "" {
				mns = append(mns, o.MN+" (outlet "+src.ID+"/"+o.ID+")")
			}
		}
	}
	bare := make([]string, len(mns))
	for i, m := range mns {
		bare[i], _, _ = strings.Cut(m, " ")
	}
	missing := map[string]bool{}
	for _, mn := range cfg.HJ212.WithoutCredentials(bare) {
		missing[mn] = true
	}
	var lines []string
	for i, m := range mns {
		if missing[bare[i]] {
			lines = append(lines, m)
		}
	}
	open := 0
	for _, d := range cfg.HJ212.AllDevices() {
		if d.NoPassword {
			open++
		}
	}
	fmt.Fprintf(w, "hj212 devices: %d with an MN, %d without credentials (refused), %d opted out with no_password\n", len(mns), len(lines), open)
	for _, l := range lines {
		fmt.Fprintf(w, "  no password (set hj212.devices[].password_file, or no_password on a closed network): %s\n", l)
	}
	for i, u := range cfg.Alertmanager.URLs {
		fmt.Fprintf(w, "alertmanager.urls[%d]: %s\n", i, conf.RedactURL(u))
	}
}
