package engine

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"runtime"
	"testing"

	"github.com/zbemu/zbemu/schema"
)

func wideColumns(n int) []schema.Column {
	cols := make([]schema.Column, n)
	for i := range cols {
		cols[i] = schema.Column{Name: fmt.Sprintf("c%d", i), Type: &schema.Type{Kind: schema.BigInt}, Nullable: true}
	}
	return cols
}

// TestDecodeRowsShapes: rows keep slots up to their last value, far-apart
// values become a sparseRow, and expandRow gives back one value per column.
func TestDecodeRowsShapes(t *testing.T) {
	dec := schema.NewJSONDecoder(wideColumns(40))
	for _, tc := range []struct {
		rec    string
		slots  int  // len of the stored row
		sparse bool // stored as []any{sparseRow}
		want   map[int]int64
	}{
		{`{}`, 0, false, nil},
		{`{"c0":1,"c1":2}`, 2, false, map[int]int64{0: 1, 1: 2}},
		{`{"c5":7}`, 6, false, map[int]int64{5: 7}},
		{`{"c39":9}`, 1, true, map[int]int64{39: 9}},
		{`{"c1":1,"c38":3}`, 1, true, map[int]int64{1: 1, 38: 3}},
	} {
		t.Run(tc.rec, func(t *testing.T) {
			// Three copies: the slots of a sparse row are reused by the next.
			recs := [][]byte{[]byte(tc.rec), []byte(tc.rec), []byte(tc.rec)}
			rows, size, _, err := decodeRows(40, recs, dec)
			if err != nil {
				t.Fatal(err)
			}
			if size != int64(3*len(tc.rec)) {
				t.Errorf("size %d, want %d", size, 3*len(tc.rec))
			}
			for _, row := range rows {
				isSparse := false
				if len(row) == 1 {
					_, isSparse = row[0].(sparseRow)
				}
				if len(row) != tc.slots || isSparse != tc.sparse {
					t.Fatalf("row %v: %d slots sparse=%v, want %d sparse=%v", row, len(row), isSparse, tc.slots, tc.sparse)
				}
				args := make([]driver.Value, 40)
				for i := range args {
					args[i] = "stale"
				}
				expandRow(args, row)
				for i, v := range args {
					want, ok := tc.want[i]
					if (!ok && v != nil) || (ok && v != want) {
						t.Fatalf("column %d: %v, want %v", i, v, tc.want[i])
					}
				}
			}
		})
	}
}

// TestDecodeRowsMemoryFollowsRequest: decoding allocates in proportion to
// the request, not to records × columns (3 MB of {} on 2,001 columns took
// 100 GB before).
func TestDecodeRowsMemoryFollowsRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what decoding allocates; this bound is checked by the plain run")
	}
	for _, ncols := range []int{30, 2001} {
		dec := schema.NewJSONDecoder(wideColumns(ncols))
		for _, rec := range []string{`{}`, `{"c1":1}`, fmt.Sprintf(`{"c%d":1}`, ncols-1)} {
			const n = 100_000
			recs := bytes.Split(bytes.Repeat([]byte(rec+"\n"), n)[:n*(len(rec)+1)-1], []byte("\n"))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rows, _, _, err := decodeRows(ncols, recs, dec)
			runtime.ReadMemStats(&after)
			if err != nil || len(rows) != n {
				t.Fatal(err)
			}
			got := int64(after.TotalAlloc - before.TotalAlloc)
			limit := int64(16*n*len(rec) + 112*n)
			if got > limit {
				t.Errorf("%d columns, %d × %s: decoding allocated %d bytes, want ≤ %d (16 per request byte + 112 per record)", ncols, n, rec, got, limit)
			}
		}
	}
}

// TestDecodeRowsAllocations: ordinary rows cost what the decoder allocates
// plus two allocations per request (the rows and one chunk of slots), as
// before rows became compact.
func TestDecodeRowsAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what decoding allocates; this count is checked by the plain run")
	}
	cols := []schema.Column{{Name: "device_id", Type: &schema.Type{Kind: schema.String}},
		{Name: "ts", Type: &schema.Type{Kind: schema.BigInt}}, {Name: "temp", Type: &schema.Type{Kind: schema.Double}}}
	dec := schema.NewJSONDecoder(cols)
	var recs [][]byte
	for i := 0; i < 100; i++ {
		recs = append(recs, []byte(fmt.Sprintf(`{"device_id":"d%d","ts":%d,"temp":1.5}`, i, i)))
	}
	row := make([]any, len(cols))
	decoder := testing.AllocsPerRun(20, func() {
		for _, r := range recs {
			dec.Decode(r, row)
		}
	})
	got := testing.AllocsPerRun(20, func() { decodeRows(len(cols), recs, dec) })
	if got > decoder+2 {
		t.Errorf("decodeRows of 100 records: %v allocations, want ≤ %v (the decoder's %v + 2)", got, decoder+2, decoder)
	}
}
