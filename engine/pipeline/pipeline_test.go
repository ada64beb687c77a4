package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/pipeline"
)

func TestTriggeredUpdatesProcessOnlyNewRows(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	p := v.create("iot", iotSQL, false)
	// 30 rows: n%10 == 0 has no temp (dropped), n%10 == 1 is 500 (dropped),
	// the rest d0..d2 with temp n.
	temp := func(i int) string {
		switch i % 10 {
		case 0:
			return "null"
		case 1:
			return "500"
		}
		return fmt.Sprint(i)
	}
	v.insert("main.lab.raw", readings(0, 30, temp)...)
	u1 := v.runUpdate(p.ID, false)
	if u1.State != pipeline.UpdateCompleted {
		t.Fatalf("first update %s: %s", u1.State, u1.Error)
	}
	if f := flow(t, u1, "bronze"); f.RowsIn != 30 || f.RowsWritten != 24 {
		t.Errorf("first bronze: %+v, want 30 in, 24 written", f)
	}
	if got := v.scalar("SELECT count(*) FROM main.lab.silver"); got != "24" {
		t.Errorf("silver has %s rows, want 24", got)
	}
	v.insert("main.lab.raw", readings(30, 50, temp)...)
	u2 := v.runUpdate(p.ID, false)
	if u2.State != pipeline.UpdateCompleted {
		t.Fatalf("second update %s: %s", u2.State, u2.Error)
	}
	if f := flow(t, u2, "bronze"); f.RowsIn != 20 || f.RowsWritten != 16 {
		t.Errorf("second bronze: %+v, want only the 20 new rows read and 16 written", f)
	}
	if f := flow(t, u2, "silver"); f.RowsIn != 16 || f.RowsWritten != 16 {
		t.Errorf("second silver: %+v, want 16 in and written", f)
	}
	for table, want := range map[string]string{"bronze": "40", "silver": "40", "recent": "1"} {
		if got := v.scalar("SELECT count(*) FROM main.lab." + table); got != want {
			t.Errorf("%s has %s rows, want %s", table, got, want)
		}
	}
	if got := v.scalar("SELECT readings FROM main.lab.recent"); got != "40" {
		t.Errorf("recent counts %s readings of the last 5 minutes, want 40", got)
	}
	if got := v.scalar("SELECT count(DISTINCT n) FROM main.lab.silver"); got != "40" {
		t.Errorf("silver has %s distinct rows, want 40 (none twice)", got)
	}
	// gold is recomputed: critical is temp >= threshold of its device.
	want := v.scalar("SELECT count(*) FROM main.lab.silver WHERE status = 'CRITICAL'")
	if got := v.scalar("SELECT readings FROM main.lab.gold WHERE status = 'CRITICAL'"); got != want {
		t.Errorf("gold CRITICAL = %s, want %s", got, want)
	}
	// The second update's expectation counts cover only its 20 new rows:
	// 2 without temp, 2 at 500, and the d2 rows (n%3 == 2) among 30..49.
	d2 := 0
	for i := 30; i < 50; i++ {
		if i%3 == 2 {
			d2++
		}
	}
	wantCounts := map[string][2]int64{
		"bronze.has_temp": {18, 2}, "bronze.sane_temp": {16, 4}, "bronze.known_device": {int64(20 - d2), int64(d2)},
	}
	got := v.expectationCounts(p.ID, u2.ID)
	for k, w := range wantCounts {
		if got[k] != w {
			t.Errorf("expectation %s: passed/failed %v, want %v (all: %v)", k, got[k], w, got)
		}
	}
	for _, table := range []string{"bronze", "silver"} {
		ti, err := v.e.GetTable(context.Background(), "main.lab."+table)
		if err != nil || ti.TableType != engine.TableTypeStreaming || ti.PipelineID != p.ID {
			t.Errorf("%s: %+v %v, want a STREAMING_TABLE of the pipeline", table, ti.TableType, err)
		}
	}
	if ti, _ := v.e.GetTable(context.Background(), "main.lab.gold"); ti.TableType != engine.TableTypeMaterializedView {
		t.Errorf("gold is %s, want MATERIALIZED_VIEW", ti.TableType)
	}
}

func TestFailUpdateWritesNothing(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	failing := `CREATE OR REFRESH STREAMING TABLE checked (
  CONSTRAINT sane_temp EXPECT (temp < 200) ON VIOLATION FAIL UPDATE
) AS SELECT device_id, temp, n FROM STREAM(main.lab.raw)`
	p := v.create("fail", failing, false)
	v.insert("main.lab.raw", readings(0, 10, func(i int) string { return fmt.Sprint(i) })...)
	if u := v.runUpdate(p.ID, false); u.State != pipeline.UpdateCompleted {
		t.Fatalf("clean update %s: %s", u.State, u.Error)
	}
	v.insert("main.lab.raw", readings(10, 20, func(i int) string {
		if i == 15 {
			return "900"
		}
		return fmt.Sprint(i)
	})...)
	u := v.runUpdate(p.ID, false)
	if u.State != pipeline.UpdateFailed || !strings.Contains(u.Error, "EXPECTATION_VIOLATION") ||
		!strings.Contains(u.Error, "'checked'") || !strings.Contains(u.Error, "'sane_temp'") || !strings.Contains(u.Error, `"n":15`) {
		t.Fatalf("update %s with error %q, want FAILED with EXPECTATION_VIOLATION naming flow, expectation and record", u.State, u.Error)
	}
	if got := v.scalar("SELECT count(*) FROM main.lab.checked"); got != "10" {
		t.Errorf("checked has %s rows after the failed update, want 10 (nothing of the batch)", got)
	}
	if got, _ := v.m.Get(context.Background(), admin, p.ID); got.State != pipeline.StateFailed {
		t.Errorf("pipeline state %s, want FAILED", got.State)
	}
	// Handled by deleting the bad row: a non-append change of the source,
	// which a streaming read refuses until a full refresh.
	v.sql("DELETE FROM main.lab.raw WHERE temp >= 200")
	u = v.runUpdate(p.ID, false)
	if u.State != pipeline.UpdateFailed || !strings.Contains(u.Error, "DELTA_SOURCE_TABLE_IGNORE_CHANGES") {
		t.Fatalf("update after DELETE %s (%q), want FAILED with DELTA_SOURCE_TABLE_IGNORE_CHANGES", u.State, u.Error)
	}
	if u = v.runUpdate(p.ID, true); u.State != pipeline.UpdateCompleted {
		t.Fatalf("full refresh %s: %s", u.State, u.Error)
	}
	if got := v.scalar("SELECT count(*) FROM main.lab.checked"); got != "19" {
		t.Errorf("checked has %s rows after the full refresh, want 19", got)
	}
	// Appends after the refresh stream again, once.
	v.insert("main.lab.raw", readings(20, 25, func(i int) string { return fmt.Sprint(i) })...)
	if u = v.runUpdate(p.ID, false); u.State != pipeline.UpdateCompleted || flow(t, u, "checked").RowsIn != 5 {
		t.Fatalf("update after refresh %s (%q) %+v, want COMPLETED reading 5 rows", u.State, u.Error, u.Flows)
	}
	if got := v.scalar("SELECT count(DISTINCT n) || '/' || count(*) FROM main.lab.checked"); got != "24/24" {
		t.Errorf("checked distinct/all = %s, want 24/24", got)
	}
}

func TestFailUpdateHandledByDropRow(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	def := `CREATE OR REFRESH STREAMING TABLE checked (
  CONSTRAINT sane_temp EXPECT (temp < 200) ON VIOLATION %s
) AS SELECT device_id, temp, n FROM STREAM(main.lab.raw)`
	p := v.create("fail", fmt.Sprintf(def, "FAIL UPDATE"), false)
	v.insert("main.lab.raw", readings(0, 10, func(i int) string { return fmt.Sprint(i * 50) })...)
	if u := v.runUpdate(p.ID, false); u.State != pipeline.UpdateFailed {
		t.Fatalf("update %s, want FAILED", u.State)
	}
	// The offset did not move: the same batch, now with DROP ROW, is
	// read again and the 6 rows at 200 and above are dropped.
	spec := p.Spec
	spec.SQL = fmt.Sprintf(def, "DROP ROW")
	if _, err := v.m.Edit(context.Background(), admin, p.ID, spec); err != nil {
		t.Fatal(err)
	}
	u := v.runUpdate(p.ID, false)
	if u.State != pipeline.UpdateCompleted {
		t.Fatalf("update %s: %s", u.State, u.Error)
	}
	if f := flow(t, u, "checked"); f.RowsIn != 10 || f.RowsWritten != 4 {
		t.Errorf("flow %+v, want 10 read, 4 written", f)
	}
}

func TestValidationErrors(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	tests := []struct {
		name, sql, want string
	}{
		{"cycle", `CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT * FROM LIVE.b;
CREATE OR REFRESH MATERIALIZED VIEW b AS SELECT * FROM LIVE.a`, "cycle: a -> b -> a"},
		{"unknown live", `CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT * FROM LIVE.nope`, "LIVE.nope is not a dataset of this pipeline"},
		{"duplicate", `CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT 1 AS x;
CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT 2 AS x`, "defined more than once"},
		{"stream of a view", `CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT 1 AS x;
CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(LIVE.a)`, "is a materialized view"},
		{"not a dataset", `SELECT 1`, "a pipeline source defines datasets"},
		{"unknown source in configuration", `CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(LIVE.${source})`, "LIVE.missing is not a dataset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.m.Create(context.Background(), admin, pipeline.Spec{Name: tc.name, Catalog: "main", Schema: "lab", SQL: tc.sql,
				Configuration: map[string]string{"source": "missing"}})
			if !(errors.Is(err, engine.ErrInvalidArgument) || errors.Is(err, engine.ErrUnsupported)) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want INVALID_PARAMETER_VALUE or NOT_IMPLEMENTED containing %q", err, tc.want)
			}
		})
	}
	if l, _ := v.m.List(context.Background(), admin); len(l) != 0 {
		t.Errorf("invalid pipelines were stored: %+v", l)
	}
}

func TestDatasetsAreProtected(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	p := v.create("iot", iotSQL, false)
	v.insert("main.lab.raw", readings(0, 5, func(i int) string { return "10" })...)
	if u := v.runUpdate(p.ID, false); u.State != pipeline.UpdateCompleted {
		t.Fatalf("update %s: %s", u.State, u.Error)
	}
	for _, q := range []string{
		"INSERT INTO main.lab.silver SELECT * FROM main.lab.silver",
		"DELETE FROM main.lab.bronze",
		"UPDATE main.lab.gold SET readings = 0",
		"ALTER TABLE main.lab.bronze ADD COLUMNS (x INT)",
		"ALTER TABLE main.lab.gold SET TBLPROPERTIES ('a' = 'b')",
	} {
		_, err := v.e.Execute(context.Background(), engine.StatementRequest{SQL: q, Identity: admin})
		if err == nil || !strings.Contains(err.Error(), "OPERATION_NOT_ALLOWED") {
			t.Errorf("%s: %v, want OPERATION_NOT_ALLOWED", q, err)
		}
	}
	if err := v.e.Insert(context.Background(), admin, "main.lab.bronze", [][]byte{[]byte(`{"device_id":"x"}`)}); err == nil {
		t.Error("Zerobus ingest into a streaming table was accepted")
	}
	if got := v.scalar("SELECT count(*) FROM main.lab.bronze"); got != "5" {
		t.Errorf("bronze has %s rows, want 5", got)
	}
	// The owner may drop a dataset.
	v.sql("DROP TABLE main.lab.gold")
}

func TestGrantlessOwnerIsRefused(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	ctx := context.Background()
	pr, _, err := v.e.CreatePrincipal(ctx, "learner")
	if err != nil {
		t.Fatal(err)
	}
	who := &engine.Identity{ClientID: pr.ClientID}
	p, err := v.m.Create(ctx, who, pipeline.Spec{Name: "mine", Catalog: "main", Schema: "lab",
		SQL: "CREATE OR REFRESH STREAMING TABLE copy AS SELECT * FROM STREAM(main.lab.raw)"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := v.m.StartUpdate(ctx, who, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	u = v.waitUpdate(p.ID, u.ID, func(u pipeline.Update) bool {
		return u.State == pipeline.UpdateFailed || u.State == pipeline.UpdateCompleted
	})
	if u.State != pipeline.UpdateFailed || !strings.Contains(u.Error, "USE") {
		t.Fatalf("update %s (%q), want FAILED naming the missing privilege", u.State, u.Error)
	}
	if _, err := v.e.GetTable(ctx, "main.lab.copy"); !errors.Is(err, engine.ErrTableNotFound) {
		t.Errorf("the refused update created its table: %v", err)
	}
	// Another principal may not see or start it.
	other, _, _ := v.e.CreatePrincipal(ctx, "other")
	if _, err := v.m.StartUpdate(ctx, &engine.Identity{ClientID: other.ClientID}, p.ID, false); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("another principal started the update: %v", err)
	}
}

func TestEventLogInSQL(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	p := v.create("iot", iotSQL, false)
	v.insert("main.lab.raw", readings(0, 10, func(i int) string {
		if i < 2 {
			return "null"
		}
		return fmt.Sprint(i)
	})...)
	u := v.runUpdate(p.ID, false)
	if u.State != pipeline.UpdateCompleted {
		t.Fatalf("update %s: %s", u.State, u.Error)
	}
	if got := v.scalar(fmt.Sprintf("SELECT count(*) FROM event_log('%s') WHERE event_type = 'flow_progress' AND origin.update_id = '%s'", p.ID, u.ID)); got != "5" {
		t.Errorf("%s flow_progress events, want 5 (bronze, thresholds, silver, gold, recent)", got)
	}
	if got := v.scalar(fmt.Sprintf("SELECT details:flow_progress.metrics.num_output_rows FROM event_log(TABLE(main.lab.bronze)) WHERE event_type = 'flow_progress' AND origin.flow_name = 'bronze'")); got != "8" {
		t.Errorf("bronze num_output_rows %s, want 8", got)
	}
	// The data-quality query of Databricks' docs, unchanged but for its source.
	dq := fmt.Sprintf(`SELECT row_expectations.dataset as dataset, row_expectations.name as expectation,
  SUM(row_expectations.passed_records) as passing_records, SUM(row_expectations.failed_records) as failing_records
FROM (SELECT explode(from_json(details:flow_progress:data_quality:expectations,
        "array<struct<name: string, dataset: string, passed_records: int, failed_records: int>>")) row_expectations
      FROM event_log('%s') WHERE event_type = 'flow_progress' AND origin.update_id = '%s')
GROUP BY row_expectations.dataset, row_expectations.name ORDER BY expectation`, p.ID, u.ID)
	var got []string
	for _, r := range v.sql(dq).Rows {
		got = append(got, fmt.Sprintf("%s.%s=%s/%s", *r[0], *r[1], *r[2], *r[3]))
	}
	want := "bronze.has_temp=8/2 bronze.known_device=7/3 bronze.sane_temp=8/2"
	if strings.Join(got, " ") != want {
		t.Errorf("data-quality query: %v, want %s", got, want)
	}
	// Only the owner (or an admin) reads the event log, and never through
	// the hidden table itself.
	ctx := context.Background()
	pr, _, _ := v.e.CreatePrincipal(ctx, "other")
	v.sql("GRANT USE CATALOG ON CATALOG main TO `" + pr.ClientID + "`")
	v.sql("GRANT USE SCHEMA, SELECT ON SCHEMA main.lab TO `" + pr.ClientID + "`")
	other := &engine.Identity{ClientID: pr.ClientID}
	for _, q := range []string{
		fmt.Sprintf("SELECT count(*) FROM event_log('%s')", p.ID),
		"SELECT count(*) FROM event_log(TABLE(main.lab.bronze))",
		"SELECT count(*) FROM main.__zbemu.pipeline_events",
		"SELECT count(*) FROM __zbemu.pipeline_events",
	} {
		if _, err := v.e.Execute(ctx, engine.StatementRequest{SQL: q, Identity: other}); !errors.Is(err, engine.ErrPermissionDenied) {
			t.Errorf("%s as another principal: %v, want PERMISSION_DENIED", q, err)
		}
	}
	if _, err := v.e.Execute(ctx, engine.StatementRequest{SQL: "SELECT count(*) FROM main.__zbemu.pipeline_events", Identity: admin}); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("an admin read __zbemu.pipeline_events directly: %v", err)
	}
}

func TestContinuousResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	v := openEnv(t, dir)
	v.setUpLab()
	sql := `CREATE OR REFRESH STREAMING TABLE kept (
  CONSTRAINT even EXPECT (n % 2 = 0) ON VIOLATION DROP ROW
) AS SELECT * FROM STREAM(main.lab.raw)`
	p := v.create("cont", sql, true)
	u, err := v.m.StartUpdate(context.Background(), admin, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	v.waitUpdate(p.ID, u.ID, func(u pipeline.Update) bool { return u.State == pipeline.UpdateRunning })
	temp := func(i int) string { return "1" }
	total := 0
	waitKept := func(v *env, want int) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for v.scalar("SELECT count(*) FROM main.lab.kept") != fmt.Sprint(want) {
			if got, _ := v.m.Get(context.Background(), admin, p.ID); got.State == pipeline.StateFailed || time.Now().After(deadline) {
				t.Fatalf("kept has %s rows, want %d (pipeline %+v)", v.scalar("SELECT count(*) FROM main.lab.kept"), want, got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for batch := 0; batch < 5; batch++ {
		v.insert("main.lab.raw", readings(total, total+20, temp)...)
		total += 20
	}
	waitKept(v, total/2)
	// Rows keep arriving while the server stops: some are processed before
	// the close, the rest after the restart.
	v.insert("main.lab.raw", readings(total, total+40, temp)...)
	total += 40
	v.close()
	v = openEnv(t, dir)
	got, err := v.m.Get(context.Background(), admin, p.ID)
	if err != nil || got.State != pipeline.StateRunning || len(got.Latest) < 2 || got.Latest[0].Cause != "SERVICE_UPGRADE" {
		t.Fatalf("after restart: %+v %v, want a resumed RUNNING pipeline", got, err)
	}
	v.insert("main.lab.raw", readings(total, total+20, temp)...)
	total += 20
	waitKept(v, total/2)
	// A new column of the source reaches the running pipeline's table.
	v.sql("ALTER TABLE main.lab.raw ADD COLUMNS (site STRING)")
	v.insert("main.lab.raw", `{"device_id": "d1", "temp": 1, "n": 1000, "site": "north"}`)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, err := v.e.Execute(context.Background(), engine.StatementRequest{SQL: "SELECT site FROM main.lab.kept WHERE n = 1000", Identity: admin})
		if err == nil && len(r.Rows) == 1 && r.Rows[0][0] != nil && *r.Rows[0][0] == "north" {
			break
		}
		if got, _ := v.m.Get(context.Background(), admin, p.ID); got.State == pipeline.StateFailed || time.Now().After(deadline) {
			t.Fatalf("the new column did not arrive: %v %v (pipeline %+v)", r, err, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	total += 2 // the row counts twice in total/2 below
	if d := v.scalar("SELECT count(DISTINCT n) FROM main.lab.kept"); d != fmt.Sprint(total/2) {
		t.Errorf("kept has %s distinct rows, want %d (none twice, none skipped)", d, total/2)
	}
	if err := v.m.Stop(context.Background(), admin, p.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = v.m.Get(context.Background(), admin, p.ID)
	if got.State != pipeline.StateIdle || got.Latest[0].State != pipeline.UpdateCanceled {
		t.Errorf("after Stop: pipeline %s, update %s; want IDLE and CANCELED", got.State, got.Latest[0].State)
	}
}

// TestContinuousSeesEveryWritePath checks that continuous pipelines, which
// skip a cycle when nothing was written since the last one, still pick up
// rows from every write path: a SQL INSERT, Zerobus ingest, and another
// pipeline's flow (b streams the table that a writes).
func TestContinuousSeesEveryWritePath(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	start := func(p pipeline.Pipeline) {
		u, err := v.m.StartUpdate(context.Background(), admin, p.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		v.waitUpdate(p.ID, u.ID, func(u pipeline.Update) bool { return u.State == pipeline.UpdateRunning })
	}
	a := v.create("a", "CREATE OR REFRESH STREAMING TABLE copied AS SELECT * FROM STREAM(main.lab.raw)", true)
	start(a)
	b := v.create("b", "CREATE OR REFRESH STREAMING TABLE recopied AS SELECT * FROM STREAM(main.lab.copied)", true)
	start(b)
	writes := []struct {
		name  string
		write func(from, to int)
	}{
		{"SQL INSERT", func(from, to int) {
			var rows []string
			for i := from; i < to; i++ {
				rows = append(rows, fmt.Sprintf("('d0', 1, %d)", i))
			}
			v.sql("INSERT INTO main.lab.raw VALUES " + strings.Join(rows, ", "))
		}},
		{"ingest", func(from, to int) { v.insert("main.lab.raw", readings(from, to, func(int) string { return "1" })...) }},
	}
	total := 0
	for round := 0; round < 2; round++ {
		for _, w := range writes {
			w.write(total, total+10)
			total += 10
			deadline := time.Now().Add(2 * time.Minute)
			for v.scalar("SELECT count(*) FROM main.lab.recopied") != fmt.Sprint(total) {
				for _, p := range []pipeline.Pipeline{a, b} {
					if got, _ := v.m.Get(context.Background(), admin, p.ID); got.State != pipeline.StateRunning {
						t.Fatalf("after %s: pipeline %s is %s", w.name, p.Spec.Name, got.State)
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("after %s: recopied has %s rows, want %d", w.name, v.scalar("SELECT count(*) FROM main.lab.recopied"), total)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	if d := v.scalar("SELECT count(DISTINCT n) FROM main.lab.recopied"); d != fmt.Sprint(total) {
		t.Errorf("recopied has %s distinct rows, want %d", d, total)
	}
}

func TestLifecycle(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	ctx := context.Background()
	p := v.create("iot", iotSQL, true)
	u, err := v.m.StartUpdate(ctx, admin, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.m.StartUpdate(ctx, admin, p.ID, false); !errors.Is(err, pipeline.ErrUpdateActive) || !errors.Is(err, engine.ErrAlreadyExists) {
		t.Errorf("second start: %v, want ErrUpdateActive", err)
	}
	v.insert("main.lab.raw", readings(0, 6, func(i int) string { return "10" })...)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, err := v.e.Execute(ctx, engine.StatementRequest{SQL: "SELECT count(*) FROM main.lab.silver", Identity: admin})
		if err == nil && *r.Rows[0][0] == "6" {
			break
		}
		if time.Now().After(deadline) {
			got, _ := v.m.Get(ctx, admin, p.ID)
			t.Fatalf("silver: %v %v (pipeline %+v)", r, err, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	v.obs.mu.Lock()
	if w := v.obs.written["main.lab.bronze"]; w != 6 {
		t.Errorf("observer saw %d rows written to bronze, want 6", w)
	}
	v.obs.mu.Unlock()
	// Editing a running continuous pipeline restarts it with the new SQL.
	spec := p.Spec
	spec.SQL += "\nCREATE OR REFRESH MATERIALIZED VIEW extra AS SELECT count(*) AS n FROM LIVE.bronze;"
	got, err := v.m.Edit(ctx, admin, p.ID, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Latest) != 2 || got.Latest[0].Cause != "USER_ACTION" || got.Latest[1].State != pipeline.UpdateCanceled {
		t.Errorf("after Edit: %+v, want a new USER_ACTION update after the canceled one", got.Latest)
	}
	for {
		r, err := v.e.Execute(ctx, engine.StatementRequest{SQL: "SELECT n FROM main.lab.extra", Identity: admin})
		if err == nil && len(r.Rows) == 1 && *r.Rows[0][0] == "6" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("extra: %v %v", r, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := v.m.Delete(ctx, admin, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.m.Get(ctx, admin, p.ID); !errors.Is(err, pipeline.ErrPipelineNotFound) || !errors.Is(err, engine.ErrStatementNotFound) {
		t.Errorf("Get after Delete: %v, want ErrPipelineNotFound", err)
	}
	for _, table := range []string{"bronze", "silver", "gold", "thresholds", "extra"} {
		if _, err := v.e.GetTable(ctx, "main.lab."+table); !errors.Is(err, engine.ErrTableNotFound) {
			t.Errorf("%s after Delete: %v, want dropped", table, err)
		}
	}
	v.obs.mu.Lock()
	if len(v.obs.states) != 2 || v.obs.states[0] != pipeline.UpdateCanceled || v.obs.states[1] != pipeline.UpdateCanceled {
		t.Errorf("observer saw updates end %v, want [CANCELED CANCELED] (update %s)", v.obs.states, u.ID)
	}
	v.obs.mu.Unlock()
}

func TestDatasetQueriesAreSealed(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	tests := []struct{ name, sql string }{
		{"file", "CREATE OR REFRESH MATERIALIZED VIEW f AS SELECT * FROM read_csv('/etc/passwd')"},
		{"hidden schema", "CREATE OR REFRESH MATERIALIZED VIEW h AS SELECT * FROM (SELECT * FROM main.__zbemu.pipelines) AS x"},
		{"hidden in expectation", "CREATE OR REFRESH MATERIALIZED VIEW e (CONSTRAINT c EXPECT (__zbemu_x() > 0)) AS SELECT 1 AS x"},
		{"subquery in expectation", "CREATE OR REFRESH MATERIALIZED VIEW s (CONSTRAINT c EXPECT ((SELECT count(*) FROM main.lab.raw) > 0)) AS SELECT 1 AS x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := v.create(tc.name, tc.sql, false)
			u := v.runUpdate(p.ID, false)
			if u.State != pipeline.UpdateFailed || !(strings.Contains(u.Error, "sealed") || strings.Contains(u.Error, "subquery") || strings.Contains(u.Error, "does not exist")) {
				t.Errorf("update %s (%q), want FAILED by the sealed-SQL rules", u.State, u.Error)
			}
		})
	}
}

func TestLibrariesFromFiles(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Join(v.dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"src/1_bronze.sql": "CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM(main.lab.raw);",
		"src/2_gold.sql":   "CREATE OR REFRESH MATERIALIZED VIEW gold AS SELECT count(*) AS n FROM LIVE.bronze;",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(v.dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		libs []pipeline.Library
		want string // error text; "" for success
	}{
		{"missing file", []pipeline.Library{{File: "src/nope.sql"}}, "cannot read"},
		{"empty glob", []pipeline.Library{{Glob: "nope/*.sql"}}, "matches no file"},
		{"no path", []pipeline.Library{{}}, "names no file"},
		{"files", []pipeline.Library{{File: "src/1_bronze.sql"}, {Notebook: filepath.Join(v.dir, "src/2_gold.sql")}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.m.Create(ctx, admin, pipeline.Spec{Name: tc.name, Catalog: "main", Schema: "lab", Libraries: tc.libs})
			if tc.want != "" {
				if !errors.Is(err, engine.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v.insert("main.lab.raw", readings(0, 3, func(int) string { return "1" })...)
			if u := v.runUpdate(p.ID, false); u.State != pipeline.UpdateCompleted {
				t.Fatalf("update %s: %s", u.State, u.Error)
			}
			if got := v.scalar("SELECT n FROM main.lab.gold"); got != "3" {
				t.Errorf("gold n = %s, want 3", got)
			}
		})
	}
	// A glob names the same two files.
	p, err := v.m.Create(ctx, admin, pipeline.Spec{Name: "glob", Catalog: "main", Schema: "other", Libraries: []pipeline.Library{{Glob: "src/*.sql"}}})
	if !errors.Is(err, engine.ErrSchemaNotFound) {
		t.Errorf("pipeline into a missing schema: %v %+v, want SCHEMA_DOES_NOT_EXIST", err, p)
	}
}

// TestWorkshopIoTPipeline runs the workshop's IoT pipeline (the dialect's
// test source) triggered twice with new rows in between.
func TestWorkshopIoTPipeline(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.sql("CREATE SCHEMA main.iot")
	v.sql("CREATE TABLE main.iot.sensor_readings (machine_id STRING, machine_type STRING, temperature DOUBLE, vibration DOUBLE, event_time TIMESTAMP)")
	src, err := filepath.Abs(filepath.Join("..", "dialect", "testdata", "iot_pipeline.sql"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.m.Create(context.Background(), admin, pipeline.Spec{Name: "iot", Catalog: "main", Schema: "iot", Libraries: []pipeline.Library{{File: src}}})
	if err != nil {
		t.Fatal(err)
	}
	types := []string{"press", "lathe", "drill"}
	warn := map[string]float64{"press": 80, "lathe": 70, "drill": 60}
	crit := map[string]float64{"press": 95, "lathe": 90, "drill": 85}
	type counts struct{ valid, anomalies, failed [4]int }
	var total counts
	batch := func(from, to int) counts {
		var c counts
		var recs []string
		now := time.Now().UnixMicro()
		for i := from; i < to; i++ {
			machine, typ, temp, vib, ts := fmt.Sprintf(`"m%d"`, i%7), types[i%3], 50+float64(i%50), 1.0, fmt.Sprint(now)
			switch i % 10 {
			case 0:
				machine = "null"
			case 1:
				temp = 300
			case 2:
				vib = -1
			case 3:
				ts = "null"
			}
			for k, bad := range []bool{i%10 == 0, i%10 == 1, i%10 == 2, i%10 == 3} {
				if bad {
					c.failed[k]++
				}
			}
			if i%10 > 3 {
				c.valid[0]++
				if temp >= warn[typ] || temp >= crit[typ] {
					c.anomalies[0]++
				}
			}
			recs = append(recs, fmt.Sprintf(`{"machine_id": %s, "machine_type": %q, "temperature": %v, "vibration": %v, "event_time": %s}`, machine, typ, temp, vib, ts))
		}
		v.insert("main.iot.sensor_readings", recs...)
		return c
	}
	for round, n := range []int{60, 40} {
		c := batch(round*1000, round*1000+n)
		total.valid[0] += c.valid[0]
		total.anomalies[0] += c.anomalies[0]
		u := v.runUpdate(p.ID, false)
		if u.State != pipeline.UpdateCompleted {
			t.Fatalf("update %d: %s %s", round, u.State, u.Error)
		}
		if f := flow(t, u, "bronze_readings"); f.RowsIn != int64(n) || f.RowsWritten != int64(c.valid[0]) {
			t.Errorf("update %d bronze: %+v, want %d in, %d written", round, f, n, c.valid[0])
		}
		if f := flow(t, u, "gold_anomalies"); f.RowsWritten != int64(c.anomalies[0]) {
			t.Errorf("update %d gold_anomalies: %+v, want %d written", round, f, c.anomalies[0])
		}
		got := v.expectationCounts(p.ID, u.ID)
		for k, name := range []string{"valid_machine", "valid_temperature", "valid_vibration", "valid_timestamp"} {
			if want := [2]int64{int64(n - c.failed[k]), int64(c.failed[k])}; got["bronze_readings."+name] != want {
				t.Errorf("update %d %s: %v, want %v", round, name, got["bronze_readings."+name], want)
			}
		}
	}
	for table, want := range map[string]int{"bronze_readings": total.valid[0], "silver_readings": total.valid[0], "gold_anomalies": total.anomalies[0]} {
		if got := v.scalar("SELECT count(*) FROM main.iot." + table); got != fmt.Sprint(want) {
			t.Errorf("%s has %s rows, want %d", table, got, want)
		}
	}
	if got := v.scalar("SELECT sum(readings) FROM main.iot.gold_machine_health"); got != fmt.Sprint(total.valid[0]) {
		t.Errorf("gold_machine_health counts %s readings of the last 5 minutes, want %d", got, total.valid[0])
	}
	if _, err := v.e.GetTable(context.Background(), "main.iot.recent_critical"); !errors.Is(err, engine.ErrTableNotFound) {
		t.Errorf("the temporary view was published: %v", err)
	}
}

// TestCloseLeavesNoGoroutines closes a manager with a running continuous
// update and checks that every goroutine it started has ended.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	p := v.create("cont", "CREATE OR REFRESH STREAMING TABLE c AS SELECT * FROM STREAM(main.lab.raw)", true)
	u, err := v.m.StartUpdate(context.Background(), admin, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	v.waitUpdate(p.ID, u.ID, func(u pipeline.Update) bool { return u.State == pipeline.UpdateRunning })
	during := runtime.NumGoroutine()
	v.close()
	deadline := time.Now().Add(time.Minute)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d while running, %d after Close:\n%s", before, during, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEventLogThroughViewsAndSQLDatasets: a dataset statement sent to the
// SQL API says where it runs, and event_log cannot be kept in a view, where
// the reader's right to read it would not be checked again (a copy into a
// table is the copier's own).
func TestEventLogThroughViewsAndSQLDatasets(t *testing.T) {
	v := openEnv(t, t.TempDir())
	v.setUpLab()
	p := v.create("iot", iotSQL, false)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE OR REFRESH STREAMING TABLE main.lab.st AS SELECT * FROM STREAM(main.lab.raw)",
		"CREATE MATERIALIZED VIEW main.lab.mv AS SELECT count(*) AS n FROM main.lab.raw",
	} {
		_, err := v.e.Execute(ctx, engine.StatementRequest{SQL: q, Identity: admin})
		if !errors.Is(err, engine.ErrUnsupported) || !strings.Contains(err.Error(), "zbemu pipeline run") {
			t.Errorf("%s: %v, want unsupported with the pipeline hint", q, err)
		}
	}
	q := fmt.Sprintf("CREATE VIEW main.lab.ev AS SELECT * FROM event_log('%s')", p.ID)
	if _, err := v.e.Execute(ctx, engine.StatementRequest{SQL: q, Identity: admin}); !errors.Is(err, engine.ErrUnsupported) || !strings.Contains(err.Error(), "event_log") {
		t.Errorf("%s: %v, want a refusal naming event_log", q, err)
	}
	v.runUpdate(p.ID, false)
	v.sql(fmt.Sprintf("CREATE TABLE main.lab.ev AS SELECT event_type, message FROM event_log('%s')", p.ID))
	if n := v.scalar("SELECT count(*) FROM main.lab.ev WHERE event_type = 'create_update'"); n != "1" {
		t.Errorf("the copied event log has %s create_update events, want 1", n)
	}
}
