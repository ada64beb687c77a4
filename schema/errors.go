package schema

import (
	"errors"
	"fmt"
)

// The package's error catalogue. Callers test with errors.Is; every error
// schema returns wraps exactly one of these, so the wire layer can map it to
// a gRPC status or REST error code without parsing messages.
var (
	// These errors occur when type text (DDL, UC type_text) is parsed.

	// ErrBadTypeText reports malformed type text: an unknown type name, a
	// missing bracket, an out-of-range DECIMAL precision and the like. It is
	// the user's typo, so the message names the position and what was
	// expected there.
	ErrBadTypeText = errors.New("bad type text")

	// ErrUnsupportedType reports a well-formed type that Zerobus cannot
	// ingest (INTERVAL, GEOGRAPHY, GEOMETRY, VOID, OBJECT, complex map
	// keys), or a type that has no encoding in the requested mapping (nested
	// arrays in a .proto file). zbemu refuses it up front, as the real
	// service refuses such tables, rather than failing on the first record.
	ErrUnsupportedType = errors.New("unsupported type")

	// These errors occur when records and descriptors are checked against a
	// table.

	// ErrInvalidRecord reports a record that does not match the table: a
	// missing NOT NULL column, an unknown field, a value of the wrong type or
	// out of range.
	ErrInvalidRecord = errors.New("invalid record")

	// ErrDescriptorMismatch reports a protobuf descriptor that parses but
	// does not describe the table (missing or extra fields, wrong field
	// types, optional vs required disagreeing with nullability).
	ErrDescriptorMismatch = errors.New("descriptor does not match table")

	// ErrBadDescriptor reports descriptor bytes that cannot be parsed as a
	// protobuf DescriptorProto, or that reference types they do not define.
	ErrBadDescriptor = errors.New("bad descriptor")

	// ErrArrowSchemaMismatch reports an Arrow schema that does not
	// describe the table (fields that are no columns, out of the table's
	// order, of incompatible types, or NOT NULL columns left out); the
	// error is an *ArrowSchemaError listing each.
	ErrArrowSchemaMismatch = errors.New("arrow schema does not match table")
)

// TypeTextError is the error Parse returns. It keeps the text and the byte
// offset of the problem separately so that a UI can point at the offending
// token, while Error gives a one-line message fit for an API response.
type TypeTextError struct {
	Text string // the whole type text as given to Parse
	Pos  int    // 0-based byte offset of the problem in Text
	Msg  string // what went wrong at Pos, e.g. `expected ">" at position 9, found end of text`
	Err  error  // ErrBadTypeText or ErrUnsupportedType
}

// Error implements error.
func (e *TypeTextError) Error() string {
	return fmt.Sprintf("type text %q: %s", e.Text, e.Msg)
}

// Unwrap returns the sentinel the error belongs to.
func (e *TypeTextError) Unwrap() error { return e.Err }
