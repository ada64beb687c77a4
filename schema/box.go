package schema

import (
	"time"
	"unsafe"
)

// boxes hands out interface values whose data lives in shared chunks.
//
// Converting an int64, a float64, a time.Time or a slice header to `any`
// costs Go one small allocation per value, and a nested record holds dozens
// of them: for a 30-column row with STRUCT, ARRAY and MAP columns they were
// half the decoder's allocations. A box is built instead from the type word
// of its Go type and a pointer to a slot of a chunk, which is exactly what
// the compiler's own conversion builds, with the slot in a fresh allocation.
// The rules of the other chunks (jsonsmall.go) hold: a slot is written once,
// before its value is handed out, and a full chunk is replaced, never
// reused, so a value pins at most its chunk.
type boxes struct {
	i16     []int16
	i32     []int32
	i64     []int64
	f32     []float32
	f64     []float64
	times   []time.Time
	strs    []string
	bins    [][]byte
	lists   [][]any
	structs []StructValue
	maps    [][]MapEntry
	decs    []DecimalValue
}

const boxChunk = 32

// eface is the layout of an empty interface value (runtime.eface); reflect
// depends on the same layout.
type eface struct {
	typ, data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// The type words of the boxed types. Only types whose values are not
// pointer-shaped may be boxed this way: their interface data is a pointer
// to the value rather than the value itself.
var (
	twInt16   = typeWord(int16(0))
	twInt32   = typeWord(int32(0))
	twInt64   = typeWord(int64(0))
	twFloat32 = typeWord(float32(0))
	twFloat64 = typeWord(float64(0))
	twTime    = typeWord(time.Time{})
	twString  = typeWord("")
	twBytes   = typeWord([]byte(nil))
	twList    = typeWord([]any(nil))
	twStruct  = typeWord(StructValue(nil))
	twMap     = typeWord([]MapEntry(nil))
	twDecimal = typeWord(DecimalValue{})
)

// boxIn stores v in a slot of *chunk and returns the interface value of
// type typ (v's type) that points at it.
func boxIn[T any](chunk *[]T, typ unsafe.Pointer, v T) any {
	if len(*chunk) == cap(*chunk) {
		*chunk = make([]T, 0, boxChunk)
	}
	*chunk = append(*chunk, v)
	var x any
	e := (*eface)(unsafe.Pointer(&x))
	e.typ, e.data = typ, unsafe.Pointer(&(*chunk)[len(*chunk)-1])
	return x
}

func (b *boxes) float64(f float64) any         { return boxIn(&b.f64, twFloat64, f) }
func (b *boxes) float32(f float32) any         { return boxIn(&b.f32, twFloat32, f) }
func (b *boxes) time(t time.Time) any          { return boxIn(&b.times, twTime, t) }
func (b *boxes) bytes(s []byte) any            { return boxIn(&b.bins, twBytes, s) }
func (b *boxes) list(l []any) any              { return boxIn(&b.lists, twList, l) }
func (b *boxes) structValue(s StructValue) any { return boxIn(&b.structs, twStruct, s) }
func (b *boxes) mapValue(m []MapEntry) any     { return boxIn(&b.maps, twMap, m) }
func (b *boxes) decimal(d DecimalValue) any    { return boxIn(&b.decs, twDecimal, d) }

func (b *boxes) string(s string) any {
	if s == "" {
		return "" // the compiler's box of "" does not allocate
	}
	return boxIn(&b.strs, twString, s)
}

// integer converts i to the Go value of kind k, as intOfKind does; ok is
// false when i is out of the kind's range.
func (b *boxes) integer(k Kind, i int64) (any, bool) {
	if !intInRange(k, i) {
		return nil, false
	}
	switch k {
	case TinyInt:
		return int8(i), true // one-byte boxes never allocate
	case SmallInt:
		return boxIn(&b.i16, twInt16, int16(i)), true
	case Int:
		return boxIn(&b.i32, twInt32, int32(i)), true
	case Date, Timestamp, TimestampNTZ:
		return b.time(timeOfKind(k, i)), true
	}
	return boxIn(&b.i64, twInt64, i), true
}
