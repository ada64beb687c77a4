package engine

import (
	"math/bits"
	"sync"
	"unsafe"
)

// slicePool reuses the buffers a request needs from decoding until the
// materialiser has applied it: its ingest log frame and its decoded rows.
// Without it every record's bytes were allocated twice more on their way
// into DuckDB (issue 16: at most 1.5× the record's bytes allocated per
// record on the JSON path).
//
// Buffers are pooled by capacity class, four classes per power of two, so
// a reused buffer is at most 25% larger than asked for and the backlog's
// memory estimate (which counts lengths) stays close. A class holds only
// buffers of exactly its capacity, so a buffer is stored as the pointer to
// its first element: putting a pointer in a sync.Pool does not allocate,
// and the class restores the slice.
type slicePool[T any] struct {
	classes [poolClasses]sync.Pool
}

// Capacity classes: from 1<<minPooledLog2 elements to 1<<maxPooledLog2.
// Smaller buffers are allocated at their exact size (a class's rounding
// would cost more than it saves), larger ones too.
const (
	minPooledLog2 = 6
	maxPooledLog2 = 24
	poolClasses   = 1 + 4*(maxPooledLog2-minPooledLog2)
)

// poolClass returns the class of the smallest capacity ≥ n and that
// capacity; ok is false when n is outside the classes.
func poolClass(n int) (class, size int, ok bool) {
	if n < 1<<minPooledLog2 {
		return 0, 0, false
	}
	if n == 1<<minPooledLog2 {
		return 0, n, true
	}
	k := bits.Len(uint(n-1)) - 1 // 2^k < n ≤ 2^(k+1)
	if k >= maxPooledLog2 {
		return 0, 0, false
	}
	step := 1 << (k - 2)
	j := (n - 1<<k + step - 1) / step // 1…4
	return (k-minPooledLog2)*4 + j, 1<<k + j*step, true
}

// get returns an empty slice with room for n elements.
func (p *slicePool[T]) get(n int) []T {
	c, size, ok := poolClass(n)
	if !ok {
		return make([]T, 0, n)
	}
	if first, _ := p.classes[c].Get().(*T); first != nil {
		return unsafe.Slice(first, size)[:0]
	}
	return make([]T, 0, size)
}

// put gives s back for reuse; the caller must not use it any more. Its
// elements up to len(s), all that were written, are zeroed first so that a
// pooled buffer pins nothing. A slice whose capacity is not a class's (not
// from get) is left to the GC.
func (p *slicePool[T]) put(s []T) {
	c, size, ok := poolClass(cap(s))
	if !ok || size != cap(s) {
		return
	}
	clear(s)
	p.classes[c].Put(unsafe.SliceData(s))
}
