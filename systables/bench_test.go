package systables_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/systables"
)

// BenchmarkStoreEvents measures what one event costs: queueing it on the
// ingest path plus writing it to system.db (WAL) in batches.
func BenchmarkStoreEvents(b *testing.B) {
	s, err := systables.Open(context.Background(), systables.Options{Path: filepath.Join(b.TempDir(), "system.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			s.CommitEvent(engine.CommitEvent{StreamID: "s", TableID: "t", TableName: "main.default.t", CommitVersion: int64(i), CommitTime: now, CommittedRecords: 100, CommittedBytes: 11100})
		} else {
			s.StreamEvent(engine.StreamEvent{StreamID: "s", Time: now, OpenedTime: now, TableID: "t", TableName: "main.default.t", Protocol: "HTTP", DataFormat: "JSON"})
		}
		if i%10000 == 9999 {
			s.Flush(context.Background()) // stay below the queue bound
		}
	}
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStoreEnqueue is the part on the ingest path: queueing only.
func BenchmarkStoreEnqueue(b *testing.B) {
	s, err := systables.Open(context.Background(), systables.Options{Memory: true, BatchInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	ev := engine.CommitEvent{StreamID: "s", TableID: "t", TableName: "main.default.t", CommitTime: time.Now()}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.CommitEvent(ev)
	}
	b.StopTimer() // Close writes the queue; that is BenchmarkStoreEvents' part
}
