package hj212

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns about a packet wraps one of them, so callers
// can route with errors.Is and get details with errors.As on the typed errors below.
var (
	// ErrHeader: the frame does not start with "##" and four decimal digits, or is too short to
	// hold a CRC.
	ErrHeader = errors.New("hj212: bad frame header")
	// ErrLength: the declared length does not match the data segment (see *LengthError).
	ErrLength = errors.New("hj212: frame length mismatch")
	// ErrCRC: the checksum is not hex or does not match (see *CRCError).
	ErrCRC = errors.New("hj212: CRC mismatch")
	// ErrTooLarge: a frame declares more bytes than the configured cap (see *TooLargeError).
	ErrTooLarge = errors.New("hj212: frame too large")
	// ErrTruncated: the stream ended (or the next frame began) before the declared end.
	ErrTruncated = errors.New("hj212: frame truncated")
	// ErrJunk: bytes between frames that belong to no frame (see *JunkError).
	ErrJunk = errors.New("hj212: junk bytes between frames")
	// ErrField: a header field or CP item needed for the packet is missing or malformed (see
	// *FieldError).
	ErrField = errors.New("hj212: bad field")
	// ErrTime: a DataTime (or other time stamp) is not 14 or 17 digits of a valid date.
	ErrTime = errors.New("hj212: bad time stamp")
	// ErrNotData: the packet's CN carries no monitoring data (answers, heartbeats, requests).
	ErrNotData = errors.New("hj212: not a data packet")
	// ErrUnknownDevice: the MN is not in the registry (see *UnknownDeviceError).
	ErrUnknownDevice = errors.New("hj212: unknown device")
	// ErrPassword: the PW does not match the registered password.
	ErrPassword = errors.New("hj212: wrong password")
	// ErrNoCredentials: the device has no password configured and is not opted out with
	// no_password, so nothing it sends is accepted.
	ErrNoCredentials = errors.New("hj212: device has no password configured")
	// ErrConfig: a device's configuration cannot be applied (unknown unit, no station/source).
	ErrConfig = errors.New("hj212: bad device configuration")
	// ErrStore: the sink could not store the readings (yet); the logger is not answered.
	ErrStore = errors.New("hj212: store failed")
	// ErrRefused is for Sink implementations: wrap it into a Store error to say the readings are
	// invalid for good (validation). The gateway then dead-letters the packet and still answers
	// it, so the logger does not resend what will never be accepted.
	ErrRefused = errors.New("hj212: readings refused")
)

// CRCError says which checksum was expected and which arrived. Foreign is set when the received
// value cannot come from the HJ 212 algorithm at all (the sender uses another CRC), Variant names
// the algorithm when it could be identified.
type CRCError struct {
	Expected uint16 // computed over the data segment as received
	Actual   uint16 // as received; meaningless when Text is not hex
	Text     string // the four characters as received
	Foreign  bool
	Variant  string // e.g. "CRC-16/MODBUS, low byte first"; empty when unknown
}

func (e *CRCError) Error() string {
	s := fmt.Sprintf("hj212: CRC mismatch: packet says %q, data segment gives %04X", e.Text, e.Expected)
	switch {
	case e.Variant != "":
		s += " (sender uses " + e.Variant + ")"
	case e.Foreign:
		s += " (not an HJ 212 CRC value: sender uses another algorithm)"
	}
	return s
}

func (e *CRCError) Is(target error) bool { return target == ErrCRC }

// LengthError compares the declared data-segment length with the bytes (and characters) found.
type LengthError struct {
	Declared int
	Actual   int // bytes of the data segment as delimited by the frame
	Runes    int // UTF-8 characters of the same segment
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("hj212: frame length mismatch: declared %d, data segment has %d bytes", e.Declared, e.Actual)
}

func (e *LengthError) Is(target error) bool { return target == ErrLength }

// TooLargeError reports a frame whose declared size exceeds the cap.
type TooLargeError struct {
	Size int // whole frame size implied by the length field
	Max  int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("hj212: frame of %d bytes exceeds the %d-byte cap", e.Size, e.Max)
}

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// JunkError reports bytes dropped between frames (DTU registration frames, heartbeats, noise).
type JunkError struct {
	Bytes  int
	Sample []byte // the first few dropped bytes
}

func (e *JunkError) Error() string {
	return fmt.Sprintf("hj212: dropped %d junk bytes (starting %q)", e.Bytes, e.Sample)
}

func (e *JunkError) Is(target error) bool { return target == ErrJunk }

// FieldError names a header field or CP item that is missing or malformed.
type FieldError struct {
	Field string
	Value string
	Err   error // a sentinel (ErrField, ErrTime) possibly wrapping a strconv error
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("hj212: field %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("hj212: field %s=%q: %v", e.Field, e.Value, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// UnknownDeviceError carries the MN that is not registered, so the caller can dead-letter and
// report it.
type UnknownDeviceError struct{ MN string }

func (e *UnknownDeviceError) Error() string { return fmt.Sprintf("hj212: unknown device MN=%q", e.MN) }

func (e *UnknownDeviceError) Is(target error) bool { return target == ErrUnknownDevice }

// FrameError is what Splitter.Next returns for a frame (or run of bytes) it had to reject while
// the stream stays usable: Raw holds the offending bytes (for a dead-letter queue), Offset their
// position in the stream, and Err the cause (*CRCError, *LengthError, *TooLargeError, *JunkError,
// ErrTruncated, ErrHeader). Any error from Next that is not a *FrameError is fatal for the stream.
type FrameError struct {
	Offset int64
	Raw    []byte
	Err    error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("hj212: stream offset %d: %v", e.Offset, e.Err)
}

func (e *FrameError) Unwrap() error { return e.Err }

// Reason condenses an error into a short, stable label for metrics, logs and the decode JSON.
func Reason(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrJunk):
		return "junk"
	case errors.Is(err, ErrTruncated):
		return "truncated"
	case errors.Is(err, ErrHeader):
		return "header"
	case errors.Is(err, ErrLength):
		return "length"
	case errors.Is(err, ErrCRC):
		return "crc"
	case errors.Is(err, ErrTime):
		return "time"
	case errors.Is(err, ErrField):
		return "field"
	case errors.Is(err, ErrUnknownDevice):
		return "unknown_device"
	case errors.Is(err, ErrPassword):
		return "password"
	case errors.Is(err, ErrNoCredentials):
		return "no_credentials"
	case errors.Is(err, ErrConfig):
		return "config"
	case errors.Is(err, ErrNotData):
		return "not_data"
	case errors.Is(err, ErrRefused):
		return "refused"
	case errors.Is(err, ErrStore):
		return "store"
	}
	return "other"
}
