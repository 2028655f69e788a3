package office

import "lantian/ingest/schema"

// newLine starts a point of one of the office's measurements (forecast, warning_event,
// warning_recommendation), encoded like every other point Lantian writes.
func newLine(measurement string) *schema.Line { return schema.NewLine(measurement, 256) }
