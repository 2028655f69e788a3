package jsonreading

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"lantian/ingest/reading"
)

// Encode writes a reading in the data contract's JSON and returns the topic it belongs on
// under prefix: <prefix>/air/<station> or <prefix>/source/<source>/<outlet>. DecodeAir or
// DecodeSource of the result gives the reading back. The HJ 212 gateway of an ingest instance
// uses it to put the readings of TCP loggers on the broker, where the whole pipeline
// (every ingest and the derive instance) sees them (docs/scaling.md).
func Encode(prefix string, r *reading.Reading) (topic string, payload []byte, err error) {
	m := make(map[string]any, len(r.Values)+3)
	flags := map[string]string{}
	for _, v := range r.Values {
		if !v.NoValue {
			if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
				return "", nil, fmt.Errorf("encode %s: %s is not finite", r.ID(), v.Name)
			}
			m[v.Name] = v.Value
		}
		if v.Flag != reading.FlagNone {
			flags[v.Name] = v.Flag.String()
		}
	}
	if len(flags) > 0 {
		m["flags"] = flags
	}
	m["time"] = r.Time.Format(time.RFC3339Nano)
	m["period"] = string(r.Period)
	switch r.Kind {
	case reading.Air:
		topic = prefix + "/air/" + r.Station
	case reading.Source:
		topic = prefix + "/source/" + r.Source + "/" + r.Outlet
	default:
		return "", nil, fmt.Errorf("encode %s: unknown kind %v", r.ID(), r.Kind)
	}
	payload, err = json.Marshal(m)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", r.ID(), err)
	}
	return topic, payload, nil
}
