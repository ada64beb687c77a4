package engine

import "testing"

// TestPoolClass: a class's capacity is the smallest of its class ≥ n, at
// most 25% above n; capacities outside the classes are not pooled, and a
// class's own capacity maps to itself (what put relies on).
func TestPoolClass(t *testing.T) {
	for _, tc := range []struct {
		n, size int
		ok      bool
	}{
		{0, 0, false}, {63, 0, false}, {64, 64, true}, {65, 80, true}, {80, 80, true}, {81, 96, true},
		{128, 128, true}, {129, 160, true}, {10_700, 12_288, true}, {1 << 24, 1 << 24, true}, {1<<24 + 1, 0, false},
	} {
		_, size, ok := poolClass(tc.n)
		if size != tc.size || ok != tc.ok {
			t.Errorf("poolClass(%d) = %d, %v; want %d, %v", tc.n, size, ok, tc.size, tc.ok)
		}
	}
	prev := -1
	for n := 64; n <= 1<<20; n++ {
		c, size, _ := poolClass(n)
		if size < n || 4*size > 5*n+4*16 || c < prev {
			t.Fatalf("poolClass(%d) = class %d of %d (previous class %d)", n, c, size, prev)
		}
		if c2, size2, _ := poolClass(size); c2 != c || size2 != size {
			t.Fatalf("poolClass(%d) = class %d of %d, but its capacity maps to class %d of %d", n, c, size, c2, size2)
		}
		prev = c
	}
}

// TestSlicePoolReuses: a buffer given back is handed out again, empty and
// zeroed, for any size of its class; one of a foreign capacity is not.
func TestSlicePoolReuses(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	var p slicePool[any]
	a := p.get(100)
	if len(a) != 0 || cap(a) != 112 {
		t.Fatalf("get(100): len %d cap %d, want 0 and 112", len(a), cap(a))
	}
	a = append(a, 1, "x")
	p.put(a)
	b := p.get(97)
	if &b[:1][0] != &a[:1][0] {
		t.Fatalf("get(97) after put of a 112-slot buffer allocated a new one")
	}
	if b[:2][0] != nil || b[:2][1] != nil {
		t.Fatalf("reused buffer holds %v, want it zeroed", b[:2])
	}
	p.put(make([]any, 0, 100)) // not a class's capacity
	if c := p.get(100); cap(c) != 112 {
		t.Fatalf("get(100) = cap %d after a foreign put, want 112", cap(c))
	}
}
