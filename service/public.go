package service

import (
	"net/http"
	"time"

	"lantian/alert/assess"
	"lantian/alert/public"
	"lantian/alert/warning"
	"lantian/ingest/reading"
)

// warningColours are the CSS colours of the warning levels on the public page.
var warningColours = map[warning.Level]string{
	warning.Blue: "#3d7ff5", warning.Yellow: "#ffe600", warning.Orange: "#ff8c00", warning.Red: "#e02020",
}

// publicHTTP serves the public release page (docs/command-centre.md "Public release page"):
// no login, read-only, built from the latest stored hour of each station and the warnings in
// force.
func (s *Service) publicHTTP(mux *http.ServeMux) {
	mux.Handle("GET /public", public.Handler(s.cfg.Public, s.publicPage, s.log))
}

func (s *Service) publicPage(now time.Time) public.Page {
	var hours []public.StationHour
	for _, l := range s.board.Snapshot("air") {
		if l.StoredAt.IsZero() || !l.Registered {
			continue
		}
		r := reading.Reading{Kind: reading.Air, Station: l.ID, Time: l.Time}
		for name, v := range l.Values {
			f, _ := reading.ParseFlag(l.Flags[name])
			r.Values = append(r.Values, reading.Value{Name: name, Value: v, Flag: f})
		}
		hv, err := assess.HourFromReading(&r)
		if err != nil {
			continue
		}
		hours = append(hours, public.StationHour{Station: l.ID, Time: l.Time, Values: hv})
	}
	var warnings []public.Warning
	if s.warningStore != nil {
		list, err := s.warningStore.List(false)
		if err != nil {
			// The page still shows the figures; the log says why warnings are missing.
			s.log.Error("public page: warnings", "err", err)
		}
		for _, w := range list {
			warnings = append(warnings, public.Warning{Level: w.Level.Chinese(), Colour: warningColours[w.Level],
				Areas: w.Areas, Start: w.Start, ExpectedEnd: w.ExpectedEnd})
		}
	}
	return public.Build(s.cfg.Public, &s.cfg.Registry, hours, warnings, now, s.cfg.Location())
}
