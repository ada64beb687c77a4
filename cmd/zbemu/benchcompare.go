package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// zbemu bench --compare OLD_BINARY measures a change's effect in one run:
// it runs whole `bench` processes of this build and of OLD_BINARY (e.g.
// built from an older commit) alternately, --pairs times, the order swapped
// every pair so drift of a shared machine hits both builds alike, and
// prints new ÷ old per workload and figure as median [min-max] over the
// pairs. Each run prints only the text table, so the figures are read back
// from it: the parser reads this build's lines and the older lines without
// the appender µs/row and the targets.

// benchRun is what one bench process printed: workload → figure → value.
type benchRun map[string]map[string]float64

var (
	// A workload line: name, records/s, MB/s, ack p50, ack p99, CPU µs/rec,
	// ratio [min-max], appender rows/s, then (since the targets) more.
	benchWorkloadLine = regexp.MustCompile(`^(\S.*?)\s+(\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+) \[\d+\.\d+-\d+\.\d+\]\s+\d+`)
	benchFixedLine    = regexp.MustCompile(`^(fixed load [\d,]+ records/s) for .*: achieved (\d+) records/s, ack p50 \d+\.\d+ p99 (\d+\.\d+) max (\d+\.\d+) ms; ack→queryable p50 \d+\.\d+ p99 (\d+\.\d+) ms`)
)

// parseBenchOutput reads the figures of the workload lines and of the
// fixed-load line of a bench run's output; other lines are skipped.
func parseBenchOutput(r io.Reader) (benchRun, []string, error) {
	run := benchRun{}
	var order []string
	add := func(workload string, figs map[string]string) error {
		m := map[string]float64{}
		for k, s := range figs {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", workload, k, err)
			}
			m[k] = v
		}
		if _, dup := run[workload]; !dup {
			order = append(order, workload)
		}
		run[workload] = m
		return nil
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		var err error
		if m := benchWorkloadLine.FindStringSubmatch(line); m != nil {
			err = add(m[1], map[string]string{figRate: m[2], figAckP99: m[5], figCPU: m[6], figRatio: m[7]})
		} else if m := benchFixedLine.FindStringSubmatch(line); m != nil {
			err = add(m[1], map[string]string{figRate: m[2], figAckP99: m[3], figAckMax: m[4], figQueryP99: m[5]})
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return run, order, sc.Err()
}

// pairRatios returns new ÷ old of one figure for every pair in which both
// runs printed it (and old is not zero).
func pairRatios(news, olds []benchRun, workload, figure string) []float64 {
	var ratios []float64
	for i := 0; i < len(news) && i < len(olds); i++ {
		n, okN := news[i][workload][figure]
		o, okO := olds[i][workload][figure]
		if okN && okO && o != 0 {
			ratios = append(ratios, n/o)
		}
	}
	return ratios
}

// runFigure returns one figure over the runs that printed it.
func runFigure(runs []benchRun, workload, figure string) []float64 {
	var v []float64
	for _, r := range runs {
		if x, ok := r[workload][figure]; ok {
			v = append(v, x)
		}
	}
	return v
}

// compareFigures is what the comparison prints per workload: throughput
// (higher is better), then the latencies and CPU (lower is better).
var compareFigures = []string{figRate, figRatio, figCPU, figAckP99, figAckMax, figQueryP99}

// printComparison prints, per workload (in the order the runs printed
// them) and figure, the median of each build and new ÷ old over the pairs.
func printComparison(w io.Writer, order []string, news, olds []benchRun) {
	fmt.Fprintf(w, "%-34s %-21s %12s %12s  %s\n", "workload", "figure", "new median", "old median", "new/old median [min-max] over pairs")
	for _, wl := range order {
		name := wl
		for _, fig := range compareFigures {
			nv, ov := runFigure(news, wl, fig), runFigure(olds, wl, fig)
			if len(nv) == 0 && len(ov) == 0 {
				continue
			}
			ratio := "old build printed no such figure"
			if r := pairRatios(news, olds, wl, fig); len(r) > 0 {
				ratio = fmt.Sprintf("%.3f [%.3f-%.3f]", median(r), minOf(r), maxOf(r))
			} else if len(nv) == 0 {
				ratio = "new build printed no such figure"
			}
			fmt.Fprintf(w, "%-34s %-21s %12s %12s  %s\n", name, fig, compareValue(nv), compareValue(ov), ratio)
			name = ""
		}
	}
}

func compareValue(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	m, prec := median(v), 2
	if m >= 1000 {
		prec = 0 // records/s
	}
	return strconv.FormatFloat(m, 'f', prec, 64)
}

// runCompare is zbemu bench --compare OLD_BINARY.
func runCompare(ctx context.Context, cfg benchConfig, old string, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("compare: finding this binary: %w", err)
	}
	// Only flags every zbemu bench has had, so that an older build accepts
	// them; one pair per process, the pairs are the alternation here.
	args := []string{"bench", "--pairs", "1", "--records", strconv.Itoa(cfg.records), "--load-duration", cfg.loadDur.String()}
	if cfg.only != "" {
		args = append(args, "--only", cfg.only)
	}
	help, _ := exec.CommandContext(ctx, old, "bench", "-h").CombinedOutput()
	for _, f := range []string{"-pairs", "-records", "-load-duration", "-only"} {
		if !bytes.Contains(help, []byte(f)) {
			return fmt.Errorf("compare: %s is not a zbemu binary whose bench subcommand has %s; `%s bench -h` printed: %.200q", old, f, old, help)
		}
	}
	fmt.Fprintf(stdout, "zbemu bench --compare: new = %s, old = %s; %d pairs, order alternating; each run: %s\n", self, old, cfg.pairs, strings.Join(args, " "))
	builds := [2]string{self, old}
	var runs [2][]benchRun
	var order []string
	seen := map[string]bool{}
	for p := 0; p < cfg.pairs; p++ {
		for k := 0; k < 2; k++ {
			i := (p + k) % 2 // new first in even pairs, old first in odd ones
			fmt.Fprintf(stderr, "compare: pair %d/%d: %s\n", p+1, cfg.pairs, [2]string{"new", "old"}[i])
			var out bytes.Buffer
			cmd := exec.CommandContext(ctx, builds[i], args...)
			cmd.Stdout, cmd.Stderr = &out, stderr
			// On ^C the run stops as on its own ^C and removes its data directory.
			cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
			cmd.WaitDelay = 30 * time.Second
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("compare: %s %s: %w; it printed: %s", builds[i], strings.Join(args, " "), err, out.String())
			}
			run, names, err := parseBenchOutput(&out)
			if err != nil {
				return fmt.Errorf("compare: reading the output of %s: %w", builds[i], err)
			}
			if len(run) == 0 {
				return fmt.Errorf("compare: %s printed no workload figures (does --only %q match a workload?): %s", builds[i], cfg.only, out.String())
			}
			for _, n := range names {
				if !seen[n] {
					seen[n] = true
					order = append(order, n)
				}
			}
			runs[i] = append(runs[i], run)
		}
	}
	printComparison(stdout, order, runs[0], runs[1])
	return nil
}
