package main

import (
	"math"
	"math/rand/v2"
	"time"
)

// Latency modes of zbemu serve --latency.
const (
	latencyInstant   = "instant"
	latencyRealistic = "realistic"
)

// logNormal returns a sampler of delays whose median is median and whose
// 95th percentile is p95, clamped to [lo, hi]: the shape latencies have.
func logNormal(median, p95, lo, hi time.Duration) func() time.Duration {
	sigma := math.Log(float64(p95)/float64(median)) / 1.645 // z of the 95th percentile
	return func() time.Duration {
		d := time.Duration(float64(median) * math.Exp(sigma*rand.NormFloat64()))
		return min(max(d, lo), hi)
	}
}

// realisticLatency is --latency realistic: acks after about 150 ms and rows
// queryable after about 5 s (medians), the real service's documented
// figures: "P50 ≤ 150 ms" to durability, "P50 ≤ 5 s" to the table
// (https://learn.microsoft.com/azure/databricks/ingestion/zerobus-limits,
// https://docs.databricks.com/aws/en/ingestion/zerobus-limits). The tails
// are shorter than the documented P95s (500 ms, 30 s), so a lab waits
// seconds, not half a minute.
func realisticLatency() (ack, visible func() time.Duration) {
	return logNormal(150*time.Millisecond, 400*time.Millisecond, 20*time.Millisecond, 2*time.Second),
		logNormal(5*time.Second, 10*time.Second, time.Second, 30*time.Second)
}
