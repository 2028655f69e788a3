package office

import "lantian/ingest/influx"

// newLine starts a point of one of the office's measurements (forecast, warning_event,
// warning_recommendation), encoded like every other point Lantian writes.
func newLine(measurement string) *influx.Line { return influx.NewLine(measurement, 256) }
