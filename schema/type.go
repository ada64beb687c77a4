package schema

// Kind is the family of a Databricks (Delta) column type.
type Kind int

// The Databricks types zbemu supports. The zero value is invalid so that a
// forgotten Kind is caught early.
const (
	KindInvalid Kind = iota
	TinyInt
	SmallInt
	Int
	BigInt
	Float
	Double
	Decimal
	String
	Binary
	Boolean
	Date
	Timestamp    // TIMESTAMP: instant, int64 µs since epoch UTC on the wire
	TimestampNTZ // TIMESTAMP_NTZ: wall clock, int64 µs since epoch on the wire
	Array
	Map
	Struct
	Variant // VARIANT: any JSON value, stored as JSON text
)

// Type is one parsed Databricks type. Types are immutable once built.
type Type struct {
	Kind Kind
	// Precision and Scale are set for Decimal only.
	Precision, Scale int
	// Elem is the element type of an Array. ElemNullable reports whether
	// elements may be null (true unless the type was built otherwise;
	// Databricks arrays hold nulls by default).
	Elem         *Type
	ElemNullable bool
	// Key and Value are set for Map; map values may be null unless
	// ValueNullable is false. Keys are never null.
	Key, Value    *Type
	ValueNullable bool
	// Fields are set for Struct, in declaration order.
	Fields []Field
}

// Field is a named member of a STRUCT.
type Field struct {
	Name     string
	Type     *Type
	Nullable bool // false for `a: INT NOT NULL`
	Comment  string
}

// Column is a top-level table column as the ingest path sees it.
type Column struct {
	Name     string
	Type     *Type
	Nullable bool
	Comment  string
	// Rescue marks the nullable VARIANT column that collects unknown fields
	// and mistyped values of JSON records (Zerobus rescue column).
	Rescue bool
}
