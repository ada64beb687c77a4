package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The goldens are real output of zbemu bench --pairs 1 --records 10000
// --load-duration 1s: previous.txt from the build before the targets
// (without the appender µs/row and the verdicts), current.txt from this one.
func TestBenchCompareParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want map[string]map[string]float64 // a sample of the figures
	}{
		{"previous.txt", map[string]map[string]float64{
			"grpc json batch=100":              {figRate: 215760, figAckP99: 44.99, figCPU: 4.66, figRatio: 1.00},
			"grpc json single, 1000 in flight": {figRate: 93599, figAckP99: 10.94, figCPU: 10.11, figRatio: 0.33},
			"rest batch=1000, 4 clients":       {figRate: 294046, figAckP99: 17.88, figCPU: 5.62, figRatio: 1.02},
			fixedLoadName:                      {figRate: 49970, figAckP99: 7.83, figAckMax: 9.83, figQueryP99: 64.08},
		}},
		{"current.txt", map[string]map[string]float64{
			"grpc json batch=100":              {figRate: 328314, figAckP99: 27.91, figCPU: 4.43, figRatio: 1.07},
			"grpc json single, 1000 in flight": {figRate: 100365, figAckP99: 15.50, figCPU: 15.57, figRatio: 0.27},
			"grpc proto 4 streams x 4 tables":  {figRate: 761862, figAckP99: 12.26, figCPU: 2.17, figRatio: 2.03},
			fixedLoadName:                      {figRate: 50022, figAckP99: 6.13, figAckMax: 7.52, figQueryP99: 60.73},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "bench", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			run, order, err := parseBenchOutput(f)
			if err != nil {
				t.Fatal(err)
			}
			wantOrder := []string{"grpc json batch=100", "grpc json batch=1000", "grpc proto batch=100", "grpc json single, 1000 in flight",
				"grpc json 4 streams x 4 tables", "grpc proto 4 streams x 4 tables", "rest batch=1000, 4 clients", fixedLoadName}
			if strings.Join(order, "|") != strings.Join(wantOrder, "|") || len(run) != len(wantOrder) {
				t.Fatalf("workloads %q, want %q", order, wantOrder)
			}
			for wl, figs := range tc.want {
				if len(run[wl]) != len(figs) {
					t.Errorf("%s: figures %v, want %v", wl, run[wl], figs)
				}
				for fig, v := range figs {
					if got, ok := run[wl][fig]; !ok || got != v {
						t.Errorf("%s %s = %v (present %v), want %v", wl, fig, got, ok, v)
					}
				}
			}
		})
	}
}

func TestBenchComparePairRatios(t *testing.T) {
	t.Parallel()
	r := func(rate float64) benchRun { return benchRun{"w": {figRate: rate}} }
	for _, tc := range []struct {
		name       string
		news, olds []benchRun
		want       []float64
	}{
		{"pairs in order", []benchRun{r(200), r(300)}, []benchRun{r(100), r(100)}, []float64{2, 3}},
		{"a pair whose old run lacks the workload is left out", []benchRun{r(200), r(300)}, []benchRun{{}, r(100)}, []float64{3}},
		{"old zero is left out", []benchRun{r(200)}, []benchRun{r(0)}, nil},
		{"an unpaired run is left out", []benchRun{r(200), r(300)}, []benchRun{r(100)}, []float64{2}},
		{"no runs", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pairRatios(tc.news, tc.olds, "w", figRate)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestBenchMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
		{nil, math.NaN()},
	} {
		got := median(tc.in)
		if got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestBenchVerdicts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		workload string
		figs     map[string]float64
		want     string
	}{
		{"grpc json batch=100", map[string]float64{figRatio: 1.0, figCPU: 2.01}, "≥ 1.0× PASS, CPU ≤ 2.0 µs/rec MISS"},
		{"grpc json batch=100", map[string]float64{figRatio: 0.99, figCPU: 2.0}, "≥ 1.0× MISS, CPU ≤ 2.0 µs/rec PASS"},
		{"grpc proto batch=100", map[string]float64{figRatio: 1.39}, "≥ 1.4× MISS"},
		{"grpc proto 4 streams x 4 tables", map[string]float64{figRatio: 1.8}, "≥ 1.8× PASS"},
		{"rest batch=1000, 4 clients", map[string]float64{figRatio: math.NaN()}, "≥ 0.6× MISS"},
		{fixedLoadName, map[string]float64{figAckP99: 5, figAckMax: 20.5, figQueryP99: 99}, "ack p99 ≤ 5.0 ms PASS, max ≤ 20.0 ms MISS, ack→queryable p99 ≤ 100.0 ms PASS"},
		{fixedLoadName, map[string]float64{}, "ack p99 ≤ 5.0 ms MISS, max ≤ 20.0 ms MISS, ack→queryable p99 ≤ 100.0 ms MISS"},
		{"grpc json batch=1000", map[string]float64{figRatio: 9}, "-"},
	} {
		if got := verdicts(tc.workload, tc.figs); got != tc.want {
			t.Errorf("verdicts(%s, %v) = %q, want %q", tc.workload, tc.figs, got, tc.want)
		}
	}
}

func TestBenchCompareRefusesANonBenchBinary(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := Run(t.Context(), []string{"bench", "--compare", "/bin/true", "--short", "--pairs", "1"}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "/bin/true is not a zbemu binary whose bench subcommand has -pairs") {
		t.Fatalf("err = %v, want the binary named as not a zbemu bench", err)
	}
}

// TestBenchCompareItself runs the real binary against itself: one pair of
// one fast workload, so it exercises the processes, the flags an older build
// has, and reading the figures back. --pairs 1 must win over --short's 3.
func TestBenchCompareItself(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs two bench processes")
	}
	cmd := exec.Command(binPath, "bench", "--compare", binPath, "--short", "--pairs", "1", "--records", "20000", "--only", "grpc proto batch=100")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, re := range []string{
		`each run: bench --pairs 1 --records 20000 --load-duration 5s --only grpc proto batch=100\n`,
		`(?m)^grpc proto batch=100 +records/s +\d+ +\d+  \d+\.\d{3} \[\d+\.\d{3}-\d+\.\d{3}\]$`,
		// Two decimals below 1000 (a loaded machine's ack p99 may pass it).
		`(?m)^ +ack p99 ms +\d+(\.\d\d)? +\d+(\.\d\d)?  \d+\.\d{3} \[`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %q:\n%s", re, out)
		}
	}
	if n := strings.Count(stderr.String(), "compare: pair "); n != 2 {
		t.Errorf("%d runs, want 2 (one pair):\n%s", n, stderr.String())
	}
}
