package web

import (
	"fmt"
	"sync"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// Quotas are the real service's documented limits, enforced when
// Options.Quotas is set (zbemu serve --quotas). A request that would pass
// one is refused with the error the real service gives: gRPC
// RESOURCE_EXHAUSTED (retried by the SDK), REST 429 with Retry-After.
type Quotas struct {
	// RecordsPerSecond and BytesPerSecond limit each gRPC stream.
	RecordsPerSecond float64
	BytesPerSecond   float64
	// RESTPerSecond limits REST insert requests, all tables together.
	RESTPerSecond float64
	// MessageBytes limits one gRPC message or REST body (at most
	// engine.MaxMessageBytes, which applies with or without quotas).
	MessageBytes int
}

// DefaultQuotas are the documented limits: 100,000 records/s and 100 MB/s
// per stream and 10,000 REST requests/s
// (https://docs.databricks.com/aws/en/ingestion/zerobus-limits, the
// quotas table), 10 MB per message
// (https://github.com/databricks/zerobus-sdk/pull/331).
var DefaultQuotas = Quotas{RecordsPerSecond: 100_000, BytesPerSecond: 100 << 20, RESTPerSecond: 10_000, MessageBytes: engine.MaxMessageBytes}

// messageLimit is the largest message the server accepts.
func (s *Server) messageLimit() int {
	if q := s.opts.Quotas; q != nil && q.MessageBytes > 0 && q.MessageBytes < engine.MaxMessageBytes {
		return q.MessageBytes
	}
	return engine.MaxMessageBytes
}

// bucket is a token bucket holding at most one second of its rate (and
// at least one token), so a client may burst up to the per-second quota
// and no further. take never waits: a request it refuses is refused whole.
type bucket struct {
	rate, burst float64

	mu     sync.Mutex // guards tokens, last
	tokens float64
	last   time.Time
}

func newBucket(rate float64) *bucket {
	if rate <= 0 {
		return nil
	}
	burst := max(rate, 1)
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

// take takes n tokens if the bucket holds them; a nil bucket has no limit.
func (b *bucket) take(n float64) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if n > b.tokens {
		return false
	}
	b.tokens -= n
	return true
}

// streamQuota is one gRPC stream's share of the quotas.
type streamQuota struct {
	records, bytes *bucket
	q              *Quotas
}

func (s *Server) newStreamQuota() *streamQuota {
	q := s.opts.Quotas
	if q == nil {
		return nil
	}
	return &streamQuota{records: newBucket(q.RecordsPerSecond), bytes: newBucket(q.BytesPerSecond), q: q}
}

// admit refuses a request of n records and size bytes that would pass
// the stream's quota.
func (sq *streamQuota) admit(table string, n, size int) error {
	if sq == nil {
		return nil
	}
	if !sq.records.take(float64(n)) {
		return fmt.Errorf("%w: the stream to %s passed its quota of %.0f records per second (this request has %d); slow down or open more streams (zbemu serve --quotas)",
			engine.ErrRateLimited, table, sq.q.RecordsPerSecond, n)
	}
	if !sq.bytes.take(float64(size)) {
		return fmt.Errorf("%w: the stream to %s passed its quota of %.0f bytes per second (this request has %d bytes); slow down or open more streams (zbemu serve --quotas)",
			engine.ErrRateLimited, table, sq.q.BytesPerSecond, size)
	}
	return nil
}

// admitREST refuses a REST request past the REST quota.
func (s *Server) admitREST() error {
	if !s.restQuota.take(1) {
		return fmt.Errorf("%w: more than %.0f REST requests per second; retry after %ds with exponential backoff, or batch more records per request (zbemu serve --quotas)",
			engine.ErrRateLimited, s.opts.Quotas.RESTPerSecond, retryAfter)
	}
	return nil
}
