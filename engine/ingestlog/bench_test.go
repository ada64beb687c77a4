package ingestlog

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tidwall/wal"
)

// The benchmarks write the same group-commit batches with this log and
// with tidwall/wal as the engine used it before (16 MiB segments, binary
// format, NoCopy), one batch per op, and report the p99 and max latency
// of a batch beside ns/op: the previous log's writer stalled whenever its
// in-memory segment grew. Run with e.g.
//
//	go test ./engine/ingestlog -run X -bench . -benchtime 4000x
//
// (enough batches to cross several segments).

// benchBatch is entries payloads of size bytes each, like one group
// commit of entries gRPC requests of 100 IoT records (~11 KB).
func benchBatch(entries, size int) [][]byte {
	out := make([][]byte, entries)
	for i := range out {
		out[i] = bytes.Repeat([]byte{byte('a' + i%26)}, size)
	}
	return out
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

func BenchmarkAppend(b *testing.B) {
	for _, sync := range []bool{false, true} {
		for _, entries := range []int{1, 8} {
			batch := benchBatch(entries, 11<<10)
			frames := framed(batch)
			var bytesPerOp int64
			for _, p := range batch {
				bytesPerOp += int64(len(p))
			}
			name := fmt.Sprintf("entries=%d/sync=%v", entries, sync)
			b.Run("ingestlog/"+name, func(b *testing.B) {
				l, err := Open(Options{Dir: b.TempDir(), NoSync: !sync})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				lat := make([]time.Duration, 0, b.N)
				b.SetBytes(bytesPerOp)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					t0 := time.Now()
					if _, err := l.Append(frames); err != nil {
						b.Fatal(err)
					}
					// The materialiser keeps up: applied segments are recycled.
					if err := l.DropApplied(l.LastIndex()); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				reportLatency(b, lat)
			})
			b.Run("tidwall/"+name, func(b *testing.B) {
				w, err := wal.Open(b.TempDir(), &wal.Options{NoSync: !sync, SegmentSize: 16 << 20, LogFormat: wal.Binary, AllowEmpty: true, NoCopy: true})
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				lat := make([]time.Duration, 0, b.N)
				var wb wal.Batch
				next := uint64(1)
				b.SetBytes(bytesPerOp)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					t0 := time.Now()
					for _, p := range batch {
						wb.Write(next, p)
						next++
					}
					if err := w.WriteBatch(&wb); err != nil {
						b.Fatal(err)
					}
					wb.Clear()
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				reportLatency(b, lat)
			})
		}
	}
}
