package validate

import (
	"testing"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

func TestUnknownStationIDsAreRestrictedToASafeCharacterSet(t *testing.T) {
	reg := &registry.Registry{Areas: registry.DefaultAreas()}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	c := &Checker{Registry: reg, AcceptUnknown: true, MaxAge: time.Hour, MaxFuture: time.Minute}
	for id, ok := range map[string]bool{
		"new-station_01.a": true, "${x}": false, "$(id)<b>": false, "站点": false, "a b": false, "": false,
		"x'; DROP": false, "a\u202eb": false, string(make([]byte, 65)): false,
	} {
		_, err := c.Check(reading.Reading{Kind: reading.Air, Station: id, Time: time.Now(), Period: reading.Hour,
			Values: []reading.Value{{Name: "pm25", Value: 10}}})
		if (err == nil) != ok {
			t.Errorf("station id %q: %v, want accepted %v", id, err, ok)
		}
	}
}
