package engine

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

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
			// Padded with blanks, so that rows are worth keeping.
			rec := []byte(tc.rec[:1] + strings.Repeat(" ", 100) + tc.rec[1:])
			recs := [][]byte{rec, rec, rec}
			rows, _, size, _, err := decodeRows(40, recs, dec, nil)
			if err != nil || len(rows) != len(recs) {
				t.Fatalf("%d rows, %v; want %d", len(rows), err, len(recs))
			}
			if size != int64(3*len(rec)) {
				t.Errorf("size %d, want %d", size, 3*len(rec))
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

// TestDecodeRowsMemoryFollowsRequest: decoding allocates at most
// keepFactor × the request, not records × columns (3 MB of {} on 2,001
// columns took 100 GB before), nor 24 bytes of row header per record;
// rows that would cost more are not kept (nil), whatever their size.
func TestDecodeRowsMemoryFollowsRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what decoding allocates; this bound is checked by the plain run")
	}
	for _, ncols := range []int{30, 2001} {
		dec := schema.NewJSONDecoder(wideColumns(ncols))
		dense := make([]string, ncols)
		for i := range dense {
			dense[i] = fmt.Sprintf(`"c%d":%d`, i, i%10)
		}
		for _, rec := range []string{`{}`, `{"c1":1}`, fmt.Sprintf(`{"c%d":1}`, ncols-1), `{"c1":1,   "c20":2}`,
			"{" + strings.Join(dense, ",") + "}", "{" + strings.Repeat(" ", 200) + `"c3":1}`} {
			n := min(100_000, (8<<20)/len(rec))
			recs := bytes.Split(bytes.Repeat([]byte(rec+"\n"), n)[:n*(len(rec)+1)-1], []byte("\n"))
			decodeRows(ncols, recs[:1], dec, nil) // the decoder's pooled state and the scratch row
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rows, _, _, _, err := decodeRows(ncols, recs, dec, nil)
			runtime.ReadMemStats(&after)
			if err != nil || (rows != nil && len(rows) != n) {
				t.Fatalf("%d rows, %v", len(rows), err)
			}
			got := int64(after.TotalAlloc - before.TotalAlloc)
			limit := int64(keepFactor * n * len(rec))
			if got > limit {
				t.Errorf("%d columns, %d × %.20s: decoding allocated %d bytes (%.1f× the request), want ≤ %d (%d×); rows kept: %v",
					ncols, n, rec, got, float64(got)/float64(n*len(rec)), limit, keepFactor, rows != nil)
			}
		}
	}
}

// TestDecodeRowsAllocations: ordinary rows cost what the decoder allocates
// plus one allocation per request (the list of its chunks of slots) once
// the rows and slots of applied requests are given back for reuse.
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
	got := testing.AllocsPerRun(20, func() {
		rows, chunks, _, _, _ := decodeRows(len(cols), recs, dec, nil)
		releaseRows(rows, chunks)
	})
	if got > decoder+1 {
		t.Errorf("decodeRows of 100 records: %v allocations, want ≤ %v (the decoder's %v + 1)", got, decoder+1, decoder)
	}
}

// TestDecodeRowsGivesUpDenseTinyValues: protobuf values of two bytes each
// would cost 8× the request as rows (a 16-byte slot each); decodeRows
// stops keeping them at keepFactor × the request and validates the rest,
// still finding a bad record after that point.
func TestDecodeRowsGivesUpDenseTinyValues(t *testing.T) {
	const ncols = 30
	fields := make([]*descriptorpb.FieldDescriptorProto, ncols)
	var rec []byte
	for i := range fields {
		fields[i] = &descriptorpb.FieldDescriptorProto{Name: proto.String(fmt.Sprintf("c%d", i)), Number: proto.Int32(int32(i + 1)),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum()}
		rec = protowire.AppendVarint(protowire.AppendTag(rec, protowire.Number(i+1), protowire.VarintType), uint64(i))
	}
	desc, err := proto.Marshal(&descriptorpb.DescriptorProto{Name: proto.String("W"), Field: fields})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := schema.NewProtoDecoder(wideColumns(ncols), desc)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50_000
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = rec
	}
	decodeRows(ncols, recs[:1], dec, nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rows, _, size, _, err := decodeRows(ncols, recs, dec, nil)
	runtime.ReadMemStats(&after)
	if err != nil || rows != nil || size != int64(n*len(rec)) {
		t.Fatalf("%d rows of %d bytes, %v; want none kept of %d bytes", len(rows), size, err, n*len(rec))
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(keepFactor*n*len(rec)); got > limit {
		t.Errorf("decoding %d bytes allocated %d; want ≤ %d (%d×)", n*len(rec), got, limit, keepFactor)
	}
	recs[n-1] = []byte{0xff}
	if _, _, _, i, err := decodeRows(ncols, recs, dec, nil); err == nil || i != n-1 {
		t.Errorf("bad last record: index %d, %v; want %d and an error", i, err, n-1)
	}
}
