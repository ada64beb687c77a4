package delta

import (
	"errors"
	"fmt"
)

// Errors of reading a table. The engine maps them to Databricks' error
// classes (engine.Categories).
var (
	// ErrNotTable: the folder has no Delta log.
	ErrNotTable = errors.New("not a Delta table")
	// ErrVersionNotFound: time travel to a version the log does not have.
	ErrVersionNotFound = errors.New("version not found")
	// ErrTimestampOutOfRange: time travel to a time before the first or
	// after the last commit.
	ErrTimestampOutOfRange = errors.New("timestamp out of range")
	// ErrUnsupportedFeature: the table needs a reader feature zbemu lacks.
	ErrUnsupportedFeature = errors.New("unsupported Delta feature")
	// ErrCorruptLog: the log breaks the protocol (missing versions,
	// malformed actions, paths outside the table).
	ErrCorruptLog = errors.New("malformed Delta log")
)

// NotTableError names the folder that is not a Delta table.
type NotTableError struct{ Dir string }

func (e *NotTableError) Error() string {
	return fmt.Sprintf("%s doesn't exist, or is not a Delta table (it has no %s folder with commits)", e.Dir, LogDir)
}

func (e *NotTableError) Unwrap() error { return ErrNotTable }

// VersionError is time travel to a version outside [Earliest, Latest].
type VersionError struct{ Version, Earliest, Latest int64 }

func (e *VersionError) Error() string {
	return fmt.Sprintf("Cannot time travel Delta table to version %d. Available versions: [%d, %d].", e.Version, e.Earliest, e.Latest)
}

func (e *VersionError) Unwrap() error { return ErrVersionNotFound }

// TimestampError is time travel to a time outside the commits' times (Unix
// milliseconds). After tells which side.
type TimestampError struct {
	Requested, Earliest, Latest int64
	After                       bool
}

func (e *TimestampError) Error() string {
	if e.After {
		return fmt.Sprintf("Timestamp %s is after the table's latest version (%s). Use a timestamp at or before %s.",
			formatMillis(e.Requested), formatMillis(e.Latest), formatMillis(e.Latest))
	}
	return fmt.Sprintf("The provided timestamp (%s) is before the earliest version available to this table (%s). Please use a timestamp after %s.",
		formatMillis(e.Requested), formatMillis(e.Earliest), formatMillis(e.Earliest))
}

func (e *TimestampError) Unwrap() error { return ErrTimestampOutOfRange }

// FeatureError names the table feature zbemu cannot read.
type FeatureError struct{ Feature string }

func (e *FeatureError) Error() string {
	return fmt.Sprintf("Unsupported Delta read feature: the table requires reader table feature(s) that are unsupported by zbemu: %s", e.Feature)
}

func (e *FeatureError) Unwrap() error { return ErrUnsupportedFeature }
