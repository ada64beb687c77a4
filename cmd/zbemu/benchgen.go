package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/fixtures/gen"
)

// genName is the generator's line in zbemu bench: the highest rate zbemu
// gen --via grpc sustains (no rate limit, batches of 100, 256 in flight —
// the shape of "grpc json batch=100"), as a ratio of bench's gRPC client
// sending the same scenario's records made beforehand, in the same pair
// (issue 12: ≥ 0.8×): what generating and pacing on the fly cost. The
// ratio to "grpc json batch=100" itself is printed too; it also carries
// the cost of the scenario's larger rows (10 columns with a STRUCT).
const genName = "gen --via grpc (iot, batch=100)"

func benchGen(ctx context.Context, w io.Writer, root string, pairs, n int) error {
	var ratios, wlRatios, rates, premade, wl []float64
	recBytes := 0
	for p := 0; p < pairs; p++ {
		base, err := withBenchEnv(ctx, root, func(b *benchEnv) (benchFigures, error) { return b.grpcRun(ctx, 1, n, 100, false, 256) })
		if err != nil {
			return err
		}
		var pre benchFigures
		var s gen.Summary
		for _, onTheFly := range []bool{false, true} {
			b, err := openBenchEnv(ctx, root, nil)
			if err != nil {
				return err
			}
			if onTheFly {
				s, recBytes, err = b.genRun(ctx, n)
			} else {
				pre, err = b.genPremade(ctx, n)
			}
			b.close(ctx)
			if err != nil {
				return err
			}
		}
		ratios, wlRatios = append(ratios, s.Rate()/pre.rate()), append(wlRatios, s.Rate()/base.rate())
		rates, premade, wl = append(rates, s.Rate()), append(premade, pre.rate()), append(wl, base.rate())
	}
	verdict := "MISS"
	if median(ratios) >= 0.8 {
		verdict = "PASS"
	}
	fmt.Fprintf(w, "%s: %.0f records/s (JSON ~%d B); same records made beforehand %.0f records/s, ratio %.2f [%.2f-%.2f], target ≥ 0.8× %s; "+
		"vs grpc json batch=100 (%.0f records/s, ~111 B) %.2f [%.2f-%.2f]\n",
		genName, median(rates), recBytes, median(premade), median(ratios), minOf(ratios), maxOf(ratios), verdict,
		median(wl), median(wlRatios), minOf(wlRatios), maxOf(wlRatios))
	return nil
}

// genTable creates the IoT scenario's table main.default.gen.
func (b *benchEnv) genTable(ctx context.Context) error {
	cols, err := gen.Columns("iot")
	if err != nil {
		return err
	}
	_, err = b.e.Execute(ctx, engine.StatementRequest{SQL: "CREATE TABLE main.default.gen " + cols, Identity: benchAdmin})
	return err
}

// genPremade sends n records of the IoT generator, made before the clock
// starts, with bench's gRPC client.
func (b *benchEnv) genPremade(ctx context.Context, n int) (benchFigures, error) {
	if err := b.genTable(ctx); err != nil {
		return benchFigures{}, err
	}
	g, err := gen.New("iot", gen.Options{Seed: 1, AnomalyRate: 0.01})
	if err != nil {
		return benchFigures{}, err
	}
	now := time.Now()
	recs := make([]string, n)
	for i := range recs {
		recs[i] = g.Next(now.Add(time.Duration(i) * time.Microsecond)).JSON
	}
	rows := benchRows{table: func(int) string { return "main.default.gen" }, row: func(i int) (string, []byte) { return recs[i], nil }}
	return b.grpcRunRows(ctx, rows, 1, n, 100, false, 256)
}

// genRun runs the IoT generator as fast as acks allow into a new table
// and returns its summary and the size of a record.
func (b *benchEnv) genRun(ctx context.Context, n int) (gen.Summary, int, error) {
	if err := b.genTable(ctx); err != nil {
		return gen.Summary{}, 0, err
	}
	g, err := gen.New("iot", gen.Options{Seed: 1, AnomalyRate: 0.01})
	if err != nil {
		return gen.Summary{}, 0, err
	}
	size := len(g.Next(time.Now()).JSON)
	s, err := gen.Run(ctx, g, gen.RunOptions{Scenario: "iot", Table: "main.default.gen", Via: "grpc", URL: "http://" + b.addr, Token: "dapi-bench",
		Count: int64(n), Batch: 100})
	if err == nil && s.Acked != int64(n) {
		err = fmt.Errorf("generator: %d of %d records acknowledged", s.Acked, n)
	}
	return s, size, err
}
