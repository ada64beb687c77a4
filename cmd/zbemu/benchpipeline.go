package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/pipeline"
)

// Pipeline benchmarks (issue 10): rows/s through a bronze→silver
// streaming pipeline as a ratio of DuckDB running the same two INSERT ...
// SELECT statements itself, and the fixed load's ack p99 with a continuous
// pipeline running over the table it feeds versus without one.

// benchPipelineSQL is the measured pipeline over bench0: bronze drops
// readings outside the sensor's range, silver converts to Fahrenheit.
const benchPipelineSQL = `
CREATE OR REFRESH STREAMING TABLE bench_bronze (
  CONSTRAINT valid_temperature EXPECT (temperature BETWEEN 0 AND 35) ON VIOLATION DROP ROW
) AS SELECT * FROM STREAM(main.default.bench0);
CREATE OR REFRESH STREAMING TABLE bench_silver AS
SELECT device_id, ts, temperature * 1.8 + 32 AS temperature_f, humidity, seq FROM STREAM(LIVE.bench_bronze)`

// benchPipelineRaw is what the pipeline does, as plain SQL.
var benchPipelineRaw = []string{
	"CREATE TABLE main.default.raw_bronze " + benchDDL,
	"CREATE TABLE main.default.raw_silver (device_id STRING, ts TIMESTAMP, temperature_f DOUBLE, humidity DOUBLE, seq BIGINT)",
	"INSERT INTO main.default.raw_bronze SELECT * FROM main.default.bench0 WHERE temperature BETWEEN 0 AND 35",
	"INSERT INTO main.default.raw_silver SELECT device_id, ts, temperature * 1.8 + 32, humidity, seq FROM main.default.raw_bronze",
}

// startBenchPipeline creates the bench pipeline and starts an update.
func (b *benchEnv) startBenchPipeline(ctx context.Context, continuous bool) (pipeline.Pipeline, pipeline.Update, error) {
	p, err := b.pipes.Create(ctx, benchAdmin, pipeline.Spec{Name: "bench", Catalog: "main", Schema: "default", SQL: benchPipelineSQL, Continuous: continuous})
	if err != nil {
		return p, pipeline.Update{}, err
	}
	u, err := b.pipes.StartUpdate(ctx, benchAdmin, p.ID, false)
	return p, u, err
}

// waitUpdate polls an update until it ends.
func (b *benchEnv) waitUpdate(ctx context.Context, u pipeline.Update) (pipeline.Update, error) {
	for {
		cur, err := b.pipes.GetUpdate(ctx, benchAdmin, u.PipelineID, u.ID)
		if err != nil {
			return cur, err
		}
		switch cur.State {
		case pipeline.UpdateCompleted:
			return cur, nil
		case pipeline.UpdateFailed, pipeline.UpdateCanceled:
			return cur, fmt.Errorf("update %s %s: %s", cur.ID, cur.State, cur.Error)
		}
		select {
		case <-ctx.Done():
			return cur, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// benchPipeline prints both pipeline figures over pairs runs of n rows.
func benchPipeline(ctx context.Context, w io.Writer, root string, cfg benchConfig) error {
	var ratios, rates, raws []float64
	for p := 0; p < cfg.pairs; p++ {
		b, err := openBenchEnv(ctx, root, noSysTables)
		if err != nil {
			return err
		}
		rate, raw, err := b.pipelineThroughput(ctx, cfg.records)
		b.close(ctx)
		if err != nil {
			return err
		}
		ratios, rates, raws = append(ratios, rate/raw), append(rates, rate), append(raws, raw)
	}
	fmt.Fprintf(w, "pipeline bronze→silver (triggered, %d rows): %.0f rows/s, DuckDB INSERT ... SELECT %.0f rows/s, ratio %.2f [%.2f-%.2f]\n",
		cfg.records, median(rates), median(raws), median(ratios), minOf(ratios), maxOf(ratios))

	// Alternating pairs, so drift of the machine hits both sides.
	var on, off, impact []float64
	for p := 0; p < cfg.pairs; p++ {
		var p99 [2]float64
		for i, withPipeline := range []bool{false, true} {
			b, err := openBenchEnv(ctx, root, nil)
			if err != nil {
				return err
			}
			f, err := b.fixedLoadWithPipeline(ctx, withPipeline, cfg.loadDur)
			b.close(ctx)
			if err != nil {
				return err
			}
			p99[i] = msFloat(percentile(f.lats, 0.99))
		}
		off, on, impact = append(off, p99[0]), append(on, p99[1]), append(impact, p99[1]/p99[0])
	}
	verdict := "MISS"
	if median(impact) <= 1.10 {
		verdict = "PASS"
	}
	fmt.Fprintf(w, "%s with a continuous pipeline on/off: ack p99 on %.2f ms, off %.2f ms, on/off %.2f [%.2f-%.2f]; target ≤ 1.10 %s\n",
		fixedLoadName, median(on), median(off), median(impact), minOf(impact), maxOf(impact), verdict)
	return nil
}

// pipelineThroughput ingests n rows into bench0, then times one triggered
// update of the bench pipeline and the same work as plain SQL.
func (b *benchEnv) pipelineThroughput(ctx context.Context, n int) (rate, raw float64, err error) {
	if _, err := b.grpcRun(ctx, 1, n, 1000, false, 64); err != nil {
		return 0, 0, err
	}
	if err := b.e.Sync(ctx); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	for _, q := range benchPipelineRaw {
		if _, err := b.e.Execute(ctx, engine.StatementRequest{SQL: q, Identity: benchAdmin}); err != nil {
			return 0, 0, err
		}
	}
	raw = float64(n) / time.Since(start).Seconds()
	start = time.Now()
	_, u, err := b.startBenchPipeline(ctx, false)
	if err != nil {
		return 0, 0, err
	}
	if _, err := b.waitUpdate(ctx, u); err != nil {
		return 0, 0, err
	}
	rate = float64(n) / time.Since(start).Seconds()
	// Both did the same work.
	res, err := b.e.Execute(ctx, engine.StatementRequest{SQL: "SELECT (SELECT count(*) FROM main.default.bench_silver) - (SELECT count(*) FROM main.default.raw_silver)", Identity: benchAdmin})
	if err != nil {
		return 0, 0, err
	}
	if d := *res.Rows[0][0]; d != "0" {
		return 0, 0, fmt.Errorf("the pipeline wrote %s rows more than the SQL", d)
	}
	return rate, raw, nil
}

// fixedLoadWithPipeline runs the fixed load, with the bench pipeline
// running continuously over bench0 when withPipeline is set.
func (b *benchEnv) fixedLoadWithPipeline(ctx context.Context, withPipeline bool, dur time.Duration) (benchFigures, error) {
	if !withPipeline {
		return b.fixedLoad(ctx, 50000, dur)
	}
	p, _, err := b.startBenchPipeline(ctx, true)
	if err != nil {
		return benchFigures{}, err
	}
	f, err := b.fixedLoad(ctx, 50000, dur)
	if serr := b.pipes.Stop(ctx, benchAdmin, p.ID); serr != nil && err == nil {
		err = serr
	}
	return f, err
}
