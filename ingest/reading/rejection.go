package reading

import (
	"errors"
	"fmt"
)

// Reason codes of rejected input. They are label values of lantian_rejected_total and the
// "reason" of dead letters; keep them stable.
const (
	ReasonTooLarge       = "too_large"
	ReasonMalformed      = "malformed_json"
	ReasonUnknownField   = "unknown_field"
	ReasonBadTopic       = "bad_topic"
	ReasonTopicMismatch  = "topic_mismatch"
	ReasonUnknownStation = "unknown_station"
	ReasonUnknownOutlet  = "unknown_outlet"
	ReasonBadTime        = "bad_time"
	ReasonFuture         = "time_in_future"
	ReasonTooOld         = "time_too_old"
	ReasonBadPeriod      = "bad_period"
	ReasonBadValue       = "bad_value"
	ReasonNonFinite      = "non_finite"
	ReasonOutOfRange     = "out_of_range"
	ReasonBadFlag        = "bad_flag"
	ReasonNoValues       = "no_values"
	ReasonHJ212          = "hj212"
	ReasonInfluxRejected = "influx_rejected"
)

// Rejection is refused input: a stable reason code and the detail a person needs.
type Rejection struct {
	Reason string
	Err    error
}

func (r *Rejection) Error() string { return r.Reason + ": " + r.Err.Error() }
func (r *Rejection) Unwrap() error { return r.Err }

// Reject builds a rejection with a formatted detail.
func Reject(reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// ReasonOf returns the reason code of a rejection, or "internal" for any other error.
func ReasonOf(err error) string {
	var r *Rejection
	if errors.As(err, &r) {
		return r.Reason
	}
	return "internal"
}
