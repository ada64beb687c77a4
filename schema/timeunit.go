package schema

import (
	"strconv"
	"time"
)

// Zerobus takes TIMESTAMP values as integer microseconds since the epoch,
// and the real service accepts any integer: a client that sends
// milliseconds (JavaScript's Date.now()) or seconds (Python's time.time())
// gets its rows in 1970. The decoders therefore classify every integer
// timestamp: one that is not between 1990 and 2200 when read as
// microseconds, but is when read as seconds or milliseconds, is reported as
// a TimeWarning. Nanoseconds of such instants are past the year 9999 as
// microseconds, so they are refused as out of range anyway, with the
// nanoseconds hint. Values that fit no unit (0, negative instants, far-off
// sentinels) are neither: nothing says what they meant.

// TimeUnit is the unit an integer timestamp looks like it was sent in.
type TimeUnit uint8

// The units. Micros is the expected one: a plausible value, or one no
// other unit explains.
const (
	Micros TimeUnit = iota
	Seconds
	Millis
	Nanos
)

// The plausible window, in seconds since the epoch: 1990-01-01T00:00:00Z
// up to (not including) 2200-01-01T00:00:00Z.
const (
	plausibleFrom = 631152000
	plausibleTo   = 7258118400
)

// ClassifyMicros returns the unit v, an integer sent for a TIMESTAMP
// column, looks like: Micros when it is plausible as microseconds (or fits
// no unit), otherwise the unit in which it falls between 1990 and 2200.
func ClassifyMicros(v int64) TimeUnit {
	switch {
	case v >= plausibleFrom*1e6 && v < plausibleTo*1e6:
		return Micros
	case v >= plausibleFrom && v < plausibleTo:
		return Seconds
	case v >= plausibleFrom*1e3 && v < plausibleTo*1e3:
		return Millis
	case v >= plausibleFrom*1e9 && v < plausibleTo*1e9:
		return Nanos
	}
	return Micros
}

var unitNames = [...]string{"microseconds", "seconds", "milliseconds", "nanoseconds"}

// String names the unit in lower case, e.g. "milliseconds".
func (u TimeUnit) String() string {
	if int(u) < len(unitNames) {
		return unitNames[u]
	}
	return "unit(" + strconv.Itoa(int(u)) + ")"
}

// Hint says how to turn a value of unit u into microseconds.
func (u TimeUnit) Hint() string {
	switch u {
	case Seconds:
		return "this looks like seconds since the epoch; multiply by 1,000,000 to send microseconds"
	case Millis:
		return "this looks like milliseconds since the epoch; multiply by 1000 to send microseconds"
	case Nanos:
		return "this looks like nanoseconds since the epoch; divide by 1000 to send microseconds"
	}
	return ""
}

// Instant is v read in unit u.
func (u TimeUnit) Instant(v int64) time.Time {
	switch u {
	case Seconds:
		return time.Unix(v, 0).UTC()
	case Millis:
		return time.UnixMilli(v).UTC()
	case Nanos:
		return time.Unix(0, v).UTC()
	}
	return time.UnixMicro(v).UTC()
}

// TimeWarning is an integer timestamp that a decoder accepted although it
// looks like seconds or milliseconds (see ClassifyMicros).
type TimeWarning struct {
	// Path is the column, or for a nested value its path with [] for any
	// element: "ts", "payload.ts", "events[].at".
	Path  string
	Unit  TimeUnit
	Value int64 // as received
}

// ReasonImplausibleTime is the reason of a TimeWarning refused as an error.
const ReasonImplausibleTime = "implausible timestamp"

// RecordError is the warning as a rejection, for servers that refuse such
// timestamps instead of accepting them.
func (w TimeWarning) RecordError() *RecordError {
	return &RecordError{Path: w.Path, Reason: ReasonImplausibleTime,
		Expected: "integer microseconds since the epoch (between 1990 and 2200)",
		Received: strconv.FormatInt(w.Value, 10) + " (" + Micros.Instant(w.Value).Format(time.RFC3339) + " as microseconds, " +
			w.Unit.Instant(w.Value).Format(time.RFC3339) + " as " + w.Unit.String() + ")",
		Hint: w.Unit.Hint()}
}

// noteTime appends a warning for v to *warn when v, sent for a TIMESTAMP
// at path, is implausible as microseconds. warn may be nil (no checks).
func noteTime(warn *[]TimeWarning, path string, v int64) {
	if warn == nil {
		return
	}
	if u := ClassifyMicros(v); u != Micros {
		*warn = append(*warn, TimeWarning{Path: path, Unit: u, Value: v})
	}
}
