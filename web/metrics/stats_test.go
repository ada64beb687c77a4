package metrics

import (
	"math"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) // window created here
	type add struct {
		at      time.Duration // after t0
		records int
	}
	tests := []struct {
		name    string
		adds    []add
		read    time.Duration // after t0
		records int64
		span    float64
	}{
		{name: "empty", read: 30 * time.Second, span: 30},
		{name: "young window spans since creation", adds: []add{{0, 10}, {1500 * time.Millisecond, 20}}, read: 2 * time.Second, records: 30, span: 2},
		{name: "full window", adds: []add{{0, 5}, {31 * time.Second, 5}, {89 * time.Second, 5}}, read: 90 * time.Second, records: 10, span: 59},
		{name: "second 59 ago is the oldest kept", adds: []add{{30 * time.Second, 5}, {31 * time.Second, 1}}, read: 90 * time.Second, records: 1, span: 59},
		{name: "span includes the current partial second", adds: []add{{100 * time.Second, 7}}, read: 100*time.Second + 250*time.Millisecond, records: 7, span: 59.25},
		{name: "second 60 ago has slid out", adds: []add{{10 * time.Second, 1}, {11 * time.Second, 2}}, read: 70 * time.Second, records: 2, span: 59},
		{name: "slot reused after wrapping", adds: []add{{5 * time.Second, 100}, {65 * time.Second, 3}}, read: 65 * time.Second, records: 3, span: 59},
		{name: "stale slots not reused are ignored", adds: []add{{5 * time.Second, 100}}, read: 10 * time.Minute, records: 0, span: 59},
		{name: "same second accumulates", adds: []add{{3 * time.Second, 1}, {3*time.Second + 999*time.Millisecond, 1}}, read: 4 * time.Second, records: 2, span: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(t0, true)
			for _, a := range tc.adds {
				w.add(t0.Add(a.at), a.records, 10*a.records, time.Millisecond)
			}
			sum := w.sum(t0.Add(tc.read))
			if sum.records != tc.records || sum.bytes != 10*tc.records {
				t.Errorf("records, bytes = %d, %d; want %d, %d", sum.records, sum.bytes, tc.records, 10*tc.records)
			}
			if math.Abs(sum.span-tc.span) > 1e-9 {
				t.Errorf("span = %v, want %v", sum.span, tc.span)
			}
			var acks uint64
			for _, a := range tc.adds {
				if d := tc.read - a.at; d >= 0 && t0.Add(tc.read).Unix()-t0.Add(a.at).Unix() < windowSeconds {
					acks++
				}
			}
			if sum.acks != acks {
				t.Errorf("acks = %d, want %d", sum.acks, acks)
			}
		})
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		span float64
		want float64
	}{
		{"over a minute", 600, 60, 10},
		{"over two seconds", 10, 2, 5},
		{"younger than a second counts as one", 10, 0.1, 10},
		{"nothing", 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rate(tc.n, tc.span); got != tc.want {
				t.Errorf("rate(%d, %v) = %v, want %v", tc.n, tc.span, got, tc.want)
			}
		})
	}
}

func TestLatencyBuckets(t *testing.T) {
	prev := -1
	for us := int64(0); us < 1<<31; us = us*9/8 + 1 {
		d := time.Duration(us) * time.Microsecond
		i := latIndex(d)
		if i < prev {
			t.Fatalf("latIndex(%v) = %d, below %d of a shorter latency", d, i, prev)
		}
		prev = i
		lo, hi := latBounds(i)
		if i < latBuckets-1 && (float64(us) < lo || float64(us) >= hi) {
			t.Fatalf("%d µs in bucket %d = [%v, %v)", us, i, lo, hi)
		}
		if i >= 8 && (hi-lo)/lo > 0.25+1e-9 {
			t.Fatalf("bucket %d = [%v, %v) wider than a quarter octave", i, lo, hi)
		}
	}
	if got := latIndex(-time.Second); got != 0 {
		t.Errorf("negative latency in bucket %d", got)
	}
	if got := latIndex(time.Hour); got != latBuckets-1 {
		t.Errorf("an hour in bucket %d, want the last", got)
	}
}

func TestQuantile(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lats     []time.Duration
		p50, p99 float64 // ms
	}{
		{name: "none"},
		{name: "one", lats: []time.Duration{2 * time.Millisecond}, p50: 2, p99: 2},
		{name: "1 to 100 ms", lats: func() []time.Duration {
			var out []time.Duration
			for i := 1; i <= 100; i++ {
				out = append(out, time.Duration(i)*time.Millisecond)
			}
			return out
		}(), p50: 50, p99: 99},
		{name: "tail", lats: append(make([]time.Duration, 98), time.Second, time.Second), p50: 0, p99: 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(t0, true)
			for i, d := range tc.lats {
				w.add(t0.Add(time.Duration(i)*100*time.Millisecond), 1, 1, d)
			}
			sum := w.sum(t0.Add(20 * time.Second))
			for _, q := range []struct {
				q, want float64
			}{{0.5, tc.p50}, {0.99, tc.p99}} {
				got := sum.quantile(q.q)
				// Buckets are a quarter octave wide: the midpoint is within 12.5%.
				if math.Abs(got-q.want) > 0.125*q.want+0.001 {
					t.Errorf("p%v = %v ms, want %v ms ± 12.5%%", q.q*100, got, q.want)
				}
			}
			if l := sum.latency(); (l == nil) != (len(tc.lats) == 0) {
				t.Errorf("latency() = %+v with %d acks", l, len(tc.lats))
			}
		})
	}
}
