package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/pipeline"
)

var admin = &engine.Identity{ClientID: "zbemu-dev", Admin: true}

// env is an engine on disk with a pipeline manager over it.
type env struct {
	t   *testing.T
	dir string
	e   *engine.Engine
	m   *pipeline.Manager
	obs *observer
}

// observer counts what the Manager reports for metrics.
type observer struct {
	mu      sync.Mutex
	written map[string]int64 // by dataset
	states  []string
}

func (o *observer) FlowProgress(pipelineID, dataset string, rowsIn, rowsWritten, dropped int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.written[dataset] += rowsWritten
}

func (o *observer) UpdateDone(pipelineID, state string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.states = append(o.states, state)
}

func openEnv(t *testing.T, dir string) *env {
	t.Helper()
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{DataDir: dir, DevClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	obs := &observer{written: map[string]int64{}}
	m, err := pipeline.Open(ctx, e, pipeline.Options{WorkDir: dir, ContinuousInterval: 20 * time.Millisecond, Observer: obs})
	if err != nil {
		e.Close(ctx)
		t.Fatal(err)
	}
	v := &env{t: t, dir: dir, e: e, m: m, obs: obs}
	t.Cleanup(v.close)
	return v
}

func (v *env) close() {
	if v.m == nil {
		return
	}
	ctx := context.Background()
	if err := v.m.Close(ctx); err != nil {
		v.t.Error(err)
	}
	v.e.Close(ctx)
	v.m = nil
}

func (v *env) sql(q string) *engine.Result {
	v.t.Helper()
	r, err := v.e.Execute(context.Background(), engine.StatementRequest{SQL: q, Identity: admin})
	if err != nil {
		v.t.Fatalf("%s: %v", q, err)
	}
	return r
}

func (v *env) scalar(q string) string {
	v.t.Helper()
	r := v.sql(q)
	if len(r.Rows) != 1 || r.Rows[0][0] == nil {
		v.t.Fatalf("%s: want one non-NULL value, got %v", q, r.Rows)
	}
	return *r.Rows[0][0]
}

// insert ingests JSON records through the engine's REST ingest path.
func (v *env) insert(table string, records ...string) {
	v.t.Helper()
	recs := make([][]byte, len(records))
	for i, r := range records {
		recs[i] = []byte(r)
	}
	if err := v.e.Insert(context.Background(), admin, table, recs); err != nil {
		v.t.Fatal(err)
	}
}

func readings(from, to int, temp func(i int) string) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf(`{"device_id": "d%d", "temp": %s, "n": %d}`, i%3, temp(i), i))
	}
	return out
}

// runUpdate starts an update and waits until it ends.
func (v *env) runUpdate(id string, full bool) pipeline.Update {
	v.t.Helper()
	u, err := v.m.StartUpdate(context.Background(), admin, id, full)
	if err != nil {
		v.t.Fatal(err)
	}
	return v.waitUpdate(id, u.ID, func(u pipeline.Update) bool {
		return u.State == pipeline.UpdateCompleted || u.State == pipeline.UpdateFailed || u.State == pipeline.UpdateCanceled
	})
}

// waitUpdate polls an update until done says so; the timeout only keeps a
// broken run from hanging the test.
func (v *env) waitUpdate(id, updateID string, done func(pipeline.Update) bool) pipeline.Update {
	v.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		u, err := v.m.GetUpdate(context.Background(), admin, id, updateID)
		if err != nil {
			v.t.Fatal(err)
		}
		if done(u) {
			return u
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("update %s still %s", updateID, u.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const iotSQL = `
CREATE OR REFRESH STREAMING TABLE bronze (
  CONSTRAINT has_temp EXPECT (temp IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT sane_temp EXPECT (temp < 200) ON VIOLATION DROP ROW,
  CONSTRAINT known_device EXPECT (device_id <> 'd2')
) AS SELECT device_id, temp, n, current_timestamp() AS ingested_at FROM STREAM(main.lab.raw);

CREATE OR REFRESH LIVE TABLE thresholds AS
SELECT * FROM VALUES ('d0', 20.0), ('d1', 30.0), ('d2', 40.0) AS t(device_id, critical_temp);

CREATE OR REFRESH STREAMING TABLE silver AS
SELECT b.device_id, b.temp, b.n, b.ingested_at,
       CASE WHEN b.temp >= t.critical_temp THEN 'CRITICAL' ELSE 'NORMAL' END AS status
FROM STREAM(LIVE.bronze) b JOIN LIVE.thresholds t ON b.device_id = t.device_id;

CREATE OR REFRESH MATERIALIZED VIEW gold AS
SELECT status, count(*) AS readings FROM LIVE.silver GROUP BY status;

CREATE OR REFRESH MATERIALIZED VIEW recent AS
SELECT count(*) AS readings FROM silver WHERE ingested_at > current_timestamp() - INTERVAL 5 MINUTES;
`

func (v *env) setUpLab() {
	v.sql("CREATE SCHEMA IF NOT EXISTS main.lab")
	v.sql("CREATE TABLE IF NOT EXISTS main.lab.raw (device_id STRING, temp DOUBLE, n BIGINT)")
}

func (v *env) create(name, sql string, continuous bool) pipeline.Pipeline {
	v.t.Helper()
	p, err := v.m.Create(context.Background(), admin, pipeline.Spec{Name: name, Catalog: "main", Schema: "lab", SQL: sql, Continuous: continuous})
	if err != nil {
		v.t.Fatal(err)
	}
	return p
}

// flow returns an update's summary of one dataset.
func flow(t *testing.T, u pipeline.Update, name string) pipeline.FlowSummary {
	t.Helper()
	for _, f := range u.Flows {
		if strings.HasSuffix(f.Dataset, "."+name) {
			return f
		}
	}
	t.Fatalf("update %s has no flow %s: %+v", u.ID, name, u.Flows)
	return pipeline.FlowSummary{}
}

// expectationCounts sums the passed and failed records per expectation of
// an update's flow_progress events.
func (v *env) expectationCounts(id, updateID string) map[string][2]int64 {
	v.t.Helper()
	evs, _, err := v.m.Events(context.Background(), admin, id, pipeline.EventQuery{MaxResults: 1000, Filter: "event_type='flow_progress'"})
	if err != nil {
		v.t.Fatal(err)
	}
	out := map[string][2]int64{}
	for _, ev := range evs {
		if ev.Origin.UpdateID != updateID {
			continue
		}
		var d struct {
			FlowProgress struct {
				DataQuality struct {
					Expectations []struct {
						Name          string `json:"name"`
						Dataset       string `json:"dataset"`
						PassedRecords int64  `json:"passed_records"`
						FailedRecords int64  `json:"failed_records"`
					} `json:"expectations"`
				} `json:"data_quality"`
			} `json:"flow_progress"`
		}
		if err := json.Unmarshal([]byte(ev.Details), &d); err != nil {
			v.t.Fatal(err)
		}
		for _, e := range d.FlowProgress.DataQuality.Expectations {
			c := out[e.Dataset+"."+e.Name]
			out[e.Dataset+"."+e.Name] = [2]int64{c[0] + e.PassedRecords, c[1] + e.FailedRecords}
		}
	}
	return out
}
