package main

import (
	"fmt"
	"math"
	"strings"
)

// The figures zbemu bench prints and --compare reads back, by the name
// they have in the targets and in the comparison table.
const (
	figRate     = "records/s"
	figAckP99   = "ack p99 ms"
	figAckMax   = "ack max ms"
	figQueryP99 = "ack→queryable p99 ms"
	figCPU      = "CPU µs/rec"
	figRatio    = "× appender"
	// Memory and start-up (benchmem.go, benchstartup.go).
	figAllocs     = "allocs/rec"
	figAllocBytes = "alloc B ÷ record B"
	figRSS        = "RSS MB"
	figGrowth     = "RSS growth %"
	figStartCrash = "start-up after kill -9 s"
	figStartClean = "start-up after clean stop s"
)

// fixedLoadName starts the fixed-load line and names it in the targets and
// in a comparison.
const fixedLoadName = "fixed load 50,000 records/s"

// benchTarget is one target of the ingest-pace issue (#16): a figure of a
// workload line that must be at least (or at most) limit.
type benchTarget struct {
	workload string
	figure   string
	atLeast  bool
	limit    float64
	label    string // how the verdict names the figure, before the comparison
	unit     string
}

// benchTargets is every target zbemu bench gives a verdict on. Ratios are
// the median over the pairs of workload ÷ raw DuckDB appender measured in
// the same run. CPU is the whole process's (client and server share it), so
// a PASS holds for the server alone and a MISS may be the client's share.
var benchTargets = []benchTarget{
	{"grpc json batch=100", figRatio, true, 1.0, "", "×"},
	{"grpc json batch=100", figCPU, false, 2.0, "CPU", " µs/rec"},
	{"grpc proto batch=100", figRatio, true, 1.4, "", "×"},
	{"grpc proto 4 streams x 4 tables", figRatio, true, 1.8, "", "×"},
	{"rest batch=1000, 4 clients", figRatio, true, 0.6, "", "×"},
	{"arrow flight batch=10000", figRatio, true, 1.5, "", "×"},
	{fixedLoadName, figAckP99, false, 5, "ack p99", " ms"},
	{fixedLoadName, figAckMax, false, 20, "max", " ms"},
	{fixedLoadName, figQueryP99, false, 100, "ack→queryable p99", " ms"},
	{allocsName, figAllocs, false, 2, "allocations", "/record"},
	{allocsName, figAllocBytes, false, 1.5, "bytes", "× the record"},
	{rssName, figRSS, false, 300, "RSS", " MB"},
	{soakName, figRSS, false, 300, "RSS", " MB"},
	{soakName, figGrowth, false, 5, "growth", "%"},
	{startupName, figStartCrash, false, 1, "after kill -9", " s"},
	{startupName, figStartClean, false, 1, "after clean stop", " s"},
}

// verdicts returns the workload's targets with PASS or MISS each, e.g.
// "≥ 1.0× MISS, CPU ≤ 2.0 µs/rec PASS", or "-" if it has none. A figure
// that is missing or not a number misses.
func verdicts(workload string, figs map[string]float64) string {
	var out []string
	for _, t := range benchTargets {
		if t.workload != workload {
			continue
		}
		v, ok := figs[t.figure]
		op, pass := "≤", v <= t.limit
		if t.atLeast {
			op, pass = "≥", v >= t.limit
		}
		verdict := "MISS"
		if ok && !math.IsNaN(v) && pass {
			verdict = "PASS"
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %.1f%s %s", t.label, op, t.limit, t.unit, verdict)))
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}
