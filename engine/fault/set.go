package fault

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Kind is what a fault does to the requests it hits.
type Kind string

// The kinds of fault. The surfaces apply them as the real service fails:
// see package web (grpc.go, insert.go) for the wire form of each.
const (
	// RateLimit refuses a request: gRPC RESOURCE_EXHAUSTED, REST 429 with
	// Retry-After.
	RateLimit Kind = "rate-limit"
	// Unavailable refuses a request: gRPC UNAVAILABLE, REST 503.
	Unavailable Kind = "unavailable"
	// Latency delays acknowledgements (a fixed time or a random one in a
	// range); the records are durable as soon as usual.
	Latency Kind = "latency"
	// Close makes the server announce the end of a gRPC stream with a
	// CloseStreamSignal, as the real server does before it rotates one.
	Close Kind = "close"
	// Timeout ends a gRPC stream with the real service's stream timeout
	// (UNAVAILABLE, "Stream timeout reached ... Error Code: 6002").
	Timeout Kind = "timeout"
)

// Kinds lists every kind, in the order error messages name them.
var Kinds = []Kind{RateLimit, Unavailable, Latency, Close, Timeout}

// DefaultSignalDuration is the duration a Close fault announces when its
// request names none: the client may finish its in-flight requests within
// it, as after the real server's signal.
const DefaultSignalDuration = 5 * time.Second

// Fault is one active fault.
type Fault struct {
	ID string
	Request
	// Parsed fields of Request.
	forDur, latency, latencyMin, latencyMax, signal time.Duration
	created, expires                                time.Time
	remaining                                       int64 // hits left of a Count fault
	hits                                            int64
}

// Info is a fault as the API lists it.
type Info struct {
	ID string `json:"fault_id"`
	Request
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at,omitempty"`
	// Remaining is how many hits a count fault has left.
	Remaining *int64 `json:"remaining,omitempty"`
	Hits      int64  `json:"hits"`
}

// Hit is a fault that hit a request: what to do to it.
type Hit struct {
	ID   string
	Kind Kind
	// Signal is the duration a Close hit announces.
	Signal time.Duration
}

// Set is the active faults of a server.
type Set struct {
	active atomic.Int64 // len(faults): the lock-free fast path of Check

	mu     sync.Mutex // guards faults
	faults []*Fault
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{} }

// Add validates r and makes it active.
func (s *Set) Add(r Request) (Info, error) {
	f, err := r.parse()
	if err != nil {
		return Info{}, err
	}
	f.ID = "f-" + uuid.NewString()[:8]
	f.created = time.Now()
	if f.forDur > 0 {
		f.expires = f.created.Add(f.forDur)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) >= MaxFaults {
		return Info{}, fmt.Errorf("%w: %d faults are active, the most zbemu keeps; clear some first (zbemu fault clear)", ErrInvalid, MaxFaults)
	}
	s.faults = append(s.faults, f)
	s.active.Store(int64(len(s.faults)))
	return f.info(), nil
}

// MaxFaults bounds the active faults, so that the memory and the cost of
// Check stay bounded whatever clients send.
const MaxFaults = 100

// List returns the active faults, oldest first.
func (s *Set) List() []Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(time.Now())
	out := make([]Info, len(s.faults))
	for i, f := range s.faults {
		out[i] = f.info()
	}
	return out
}

// Delete removes one fault.
func (s *Set) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.faults, func(f *Fault) bool { return f.ID == id })
	if i < 0 {
		return fmt.Errorf("%w: no active fault %q (list them: zbemu fault list)", ErrNotFound, id)
	}
	s.faults = slices.Delete(s.faults, i, i+1)
	s.active.Store(int64(len(s.faults)))
	return nil
}

// Clear removes every fault and returns how many there were.
func (s *Set) Clear() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.faults)
	s.faults = nil
	s.active.Store(0)
	return n
}

// Check returns the first active fault of one of kinds that targets table
// (catalog.schema.table) or stream and hits this request, consuming one
// hit of a count fault; nil when none does.
func (s *Set) Check(table, stream string, kinds ...Kind) *Hit {
	if s == nil || s.active.Load() == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(time.Now())
	for _, f := range s.faults {
		if slices.Contains(kinds, f.Kind) && f.targets(table, stream) && s.hitLocked(f) {
			return &Hit{ID: f.ID, Kind: f.Kind, Signal: f.signal}
		}
	}
	return nil
}

// Latency returns the delay the latency faults that hit this ack add (the
// sum when several match), 0 when none does.
func (s *Set) Latency(table, stream string) time.Duration {
	if s == nil || s.active.Load() == 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(time.Now())
	var d time.Duration
	for _, f := range s.faults {
		if f.Kind == Latency && f.targets(table, stream) && s.hitLocked(f) {
			d += f.delay()
		}
	}
	return d
}

// hitLocked decides whether f hits one request and counts it; a count
// fault that reaches 0 hits left is removed.
func (s *Set) hitLocked(f *Fault) bool {
	if f.Probability != nil && rand.Float64() >= *f.Probability {
		return false
	}
	f.hits++
	if f.Count != nil {
		f.remaining--
		if f.remaining <= 0 {
			s.faults = slices.DeleteFunc(s.faults, func(g *Fault) bool { return g == f })
			s.active.Store(int64(len(s.faults)))
		}
	}
	return true
}

func (s *Set) expireLocked(now time.Time) {
	n := len(s.faults)
	s.faults = slices.DeleteFunc(s.faults, func(f *Fault) bool { return !f.expires.IsZero() && !now.Before(f.expires) })
	if len(s.faults) != n {
		s.active.Store(int64(len(s.faults)))
	}
}

// targets reports whether f applies to a request of table or stream; a
// fault that names neither applies to every ingest request.
func (f *Fault) targets(table, stream string) bool {
	switch {
	case f.StreamID != "":
		return f.StreamID == stream
	case f.Table != "":
		return strings.EqualFold(f.Table, table)
	}
	return true
}

// delay is the latency one ack of a latency fault gets: fixed, or uniform
// in [latency_min, latency_max].
func (f *Fault) delay() time.Duration {
	if f.latencyMax > f.latencyMin {
		return f.latencyMin + rand.N(f.latencyMax-f.latencyMin)
	}
	return f.latency + f.latencyMin
}

func (f *Fault) info() Info {
	in := Info{ID: f.ID, Request: f.Request, CreatedAt: f.created.UTC().Format(time.RFC3339Nano), Hits: f.hits}
	if !f.expires.IsZero() {
		in.ExpiresAt = f.expires.UTC().Format(time.RFC3339Nano)
	}
	if f.Count != nil {
		r := f.remaining
		in.Remaining = &r
	}
	return in
}
