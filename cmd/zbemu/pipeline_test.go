package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The workshop's IoT lab pipeline (testdata/pipelines/iot_lab.sql) over a
// Zerobus landing table, run through the CLI, the Pipelines API and the
// official Databricks JS SDK, with data arriving through REST and through
// the official Zerobus SDK.

const landingDDL = "CREATE TABLE main.iot.sensor_readings (device_id STRING, ts TIMESTAMP, temperature DOUBLE, humidity DOUBLE, status STRING, seq BIGINT)"

// labReading is reading k of the lab's data: one in five of every twenty
// breaks one of bronze's four expectations, one is CRITICAL, two are
// WARNING and one is a day old (outside the five-minute health window).
// Recent readings are dated ten minutes ahead so that a slow machine
// never pushes them out of that window.
func labReading(k int, now time.Time) map[string]any {
	r := map[string]any{"device_id": fmt.Sprintf("m-%d", k%5), "ts": now.Add(10 * time.Minute).UnixMicro(),
		"temperature": 20.0 + float64(k%10), "humidity": 40.0, "status": "ok", "seq": k}
	switch k % 20 {
	case 0:
		delete(r, "device_id")
	case 1:
		r["temperature"] = 200.0
	case 2:
		r["humidity"] = 120.0
	case 3:
		delete(r, "ts")
	case 4:
		r["temperature"] = 85.0
	case 5, 6:
		r["temperature"] = 65.0
	case 7:
		r["ts"] = now.Add(-24 * time.Hour).UnixMicro()
	}
	return r
}

func labReadings(from, n int) []any {
	now := time.Now()
	out := make([]any, n)
	for i := range out {
		out[i] = labReading(from+i, now)
	}
	return out
}

// labCounts is what the pipeline must make of readings [0, n), n a
// multiple of 20.
type labCounts struct{ bad, good, anomalies, old, perExpectation int }

func countsFor(n int) labCounts {
	c := n / 20
	return labCounts{bad: 4 * c, good: 16 * c, anomalies: 3 * c, old: c, perExpectation: c}
}

func (s *server) insertJSON(table string, recs []any) {
	s.t.Helper()
	for _, b := range batchesOf(recs, 500) {
		if code, body := s.call("POST", "/zerobus/v1/tables/"+table+"/insert", devToken, b); code != 200 {
			s.t.Fatalf("insert into %s: %d %s", table, code, body)
		}
	}
}

func (s *server) intSQL(stmt string) int {
	s.t.Helper()
	rows := s.sql(stmt)
	if len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] == nil {
		s.t.Fatalf("%s: want one non-NULL value, got %v", stmt, rows)
	}
	n, err := strconv.Atoi(*rows[0][0])
	if err != nil {
		s.t.Fatalf("%s: %v", stmt, err)
	}
	return n
}

// runCLIErr runs the zbemu binary against s and returns its output and error.
func runCLIErr(s *server, args ...string) (string, error) {
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "ZBEMU_URL="+s.url, "ZBEMU_TOKEN="+devToken)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// dataQuality is Databricks' documented data-quality query over the event
// log, for the latest update (https://docs.databricks.com/aws/en/ldp/monitor-event-logs).
func dataQuality(pipelineID string) string {
	return `SELECT row_expectations.dataset AS dataset, row_expectations.name AS expectation,
  SUM(row_expectations.passed_records) AS passing_records, SUM(row_expectations.failed_records) AS failing_records
FROM (
  SELECT explode(from_json(details:flow_progress:data_quality:expectations,
    'array<struct<name: string, dataset: string, passed_records: bigint, failed_records: bigint>>')) row_expectations
  FROM event_log('` + pipelineID + `')
  WHERE event_type = 'flow_progress'
    AND origin.update_id = (SELECT origin.update_id FROM event_log('` + pipelineID + `') WHERE event_type = 'create_update' ORDER BY timestamp DESC LIMIT 1)
)
GROUP BY row_expectations.dataset, row_expectations.name
ORDER BY expectation`
}

func pipelineIDOf(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if i := strings.LastIndex(line, ": "); i > 0 && strings.HasPrefix(line, "pipeline ") {
			return strings.TrimSpace(line[i+2:])
		}
	}
	t.Fatalf("no pipeline id in:\n%s", out)
	return ""
}

func TestPipelineIoTLabTriggered(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE SCHEMA main.iot")
	s.sql(landingDDL)
	lab, _ := filepath.Abs("../../fixtures/labs/iot_pipeline.sql")

	s.insertJSON("main.iot.sensor_readings", labReadings(0, 100))
	out := runCLI(t, s, "pipeline", "run", lab, "--catalog", "main", "--schema", "iot")
	id := pipelineIDOf(t, out)
	for _, want := range []string{"COMPLETED", "main.iot.bronze_readings", "valid_temperature: 95 passed, 5 dropped"} {
		if !strings.Contains(out, want) {
			t.Errorf("pipeline run output lacks %q:\n%s", want, out)
		}
	}
	check := func(n int) {
		t.Helper()
		c := countsFor(n)
		for table, want := range map[string]int{"bronze_readings": c.good, "silver_readings": c.good, "gold_anomalies": c.anomalies, "thresholds": 2} {
			if got := s.intSQL("SELECT count(*) FROM main.iot." + table); got != want {
				t.Errorf("after %d readings: %s has %d rows, want %d", n, table, got, want)
			}
		}
		if got := s.intSQL("SELECT sum(readings) FROM main.iot.gold_machine_health"); got != c.good-c.old {
			t.Errorf("after %d readings: gold_machine_health counts %d recent readings, want %d", n, got, c.good-c.old)
		}
		if got := s.intSQL("SELECT sum(critical_readings) FROM main.iot.gold_machine_health"); got != c.anomalies/3 {
			t.Errorf("after %d readings: %d critical readings, want %d", n, got, c.anomalies/3)
		}
		if got := s.intSQL("SELECT count(*) - count(DISTINCT seq) FROM main.iot.silver_readings"); got != 0 {
			t.Errorf("after %d readings: %d readings processed twice", n, got)
		}
	}
	check(100)

	// Second update: only the 60 new readings go through the streaming
	// tables; the event log of that update counts just them.
	s.insertJSON("main.iot.sensor_readings", labReadings(100, 60))
	out = runCLI(t, s, "pipeline", "run", lab, "--catalog", "main", "--schema", "iot")
	if got := pipelineIDOf(t, out); got != id {
		t.Errorf("second run used pipeline %s, want the first run's %s", got, id)
	}
	check(160)
	rows := s.sql(dataQuality(id))
	want := map[string]bool{"valid_device": true, "valid_humidity": true, "valid_temperature": true, "valid_timestamp": true}
	if len(rows) != 4 {
		t.Fatalf("data-quality query: %d rows, want 4: %v", len(rows), rows)
	}
	for _, r := range rows {
		if *r[0] != "bronze_readings" || !want[*r[1]] || *r[2] != "57" || *r[3] != "3" {
			t.Errorf("data-quality row %s/%s: passing %s failing %s, want bronze_readings, 57 passing, 3 failing", *r[0], *r[1], *r[2], *r[3])
		}
	}
	// The table types are Databricks' and direct DML is refused.
	code, body := s.call("GET", "/api/2.1/unity-catalog/tables/main.iot.silver_readings", devToken, nil)
	if code != 200 || !strings.Contains(string(body), `"table_type":"STREAMING_TABLE"`) {
		t.Errorf("UC table of a streaming table: %d %s", code, body)
	}
	code, body = s.call("GET", "/api/2.1/unity-catalog/tables/main.iot.gold_machine_health", devToken, nil)
	if code != 200 || !strings.Contains(string(body), `"table_type":"MATERIALIZED_VIEW"`) {
		t.Errorf("UC table of a materialized view: %d %s", code, body)
	}
	if r := s.sqlResult("DELETE FROM main.iot.silver_readings"); r.Status.State != "FAILED" {
		t.Errorf("DELETE on a streaming table: state %s, want FAILED", r.Status.State)
	}

	// full refresh recomputes the same result from the whole source.
	runCLI(t, s, "pipeline", "run", lab, "--catalog", "main", "--schema", "iot", "--full-refresh")
	check(160)

	// The pipeline's state survives a restart.
	s.stop()
	s2 := startServer(t, s.data)
	s2.insertJSON("main.iot.sensor_readings", labReadings(160, 40))
	runCLI(t, s2, "pipeline", "run", lab, "--catalog", "main", "--schema", "iot")
	s = s2
	check(200)
}

func TestPipelineFailUpdate(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE SCHEMA main.iot")
	s.sql(landingDDL)
	s.insertJSON("main.iot.sensor_readings", labReadings(0, 40))
	dir := t.TempDir()
	file := filepath.Join(dir, "strict.sql")
	write := func(action string) {
		src := `CREATE OR REFRESH STREAMING TABLE strict_readings (
  CONSTRAINT valid_temperature EXPECT (temperature BETWEEN -50 AND 150) ON VIOLATION ` + action + `
) AS SELECT * FROM STREAM(main.iot.sensor_readings)`
		if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("FAIL UPDATE")
	out, err := runCLIErr(s, "pipeline", "run", file, "--catalog", "main", "--schema", "iot", "--name", "strict")
	if err == nil {
		t.Fatalf("a FAIL UPDATE violation did not fail the run:\n%s", out)
	}
	for _, want := range []string{"FAILED", "EXPECTATION_VIOLATION", "strict_readings", "valid_temperature", "200"} {
		if !strings.Contains(out, want) {
			t.Errorf("failed run output lacks %q:\n%s", want, out)
		}
	}
	if r := s.sqlResult("SELECT count(*) FROM main.iot.strict_readings"); r.Status.State == "SUCCEEDED" && *r.Result.DataArray[0][0] != "0" {
		t.Errorf("the failed flow wrote %s rows", *r.Result.DataArray[0][0])
	}
	id := pipelineIDOf(t, out)
	if n := s.intSQL("SELECT count(*) FROM event_log('" + id + "') WHERE level = 'ERROR' AND error IS NOT NULL"); n == 0 {
		t.Error("the event log has no ERROR event for the failed update")
	}
	// Handled: the learner relaxes the expectation; the next update
	// processes the rows the failed one left.
	write("DROP ROW")
	out = runCLI(t, s, "pipeline", "run", file, "--catalog", "main", "--schema", "iot", "--name", "strict")
	if got := s.intSQL("SELECT count(*) FROM main.iot.strict_readings"); got != 38 {
		t.Errorf("after the fix strict_readings has %d rows, want 38 (40 minus 2 at 200 degrees):\n%s", got, out)
	}
}

// TestPipelineContinuousWithSDK runs the lab continuously while the
// official Zerobus SDK streams readings, restarts the server in the middle
// (kill -9), and checks that every reading reached silver exactly once.
func TestPipelineContinuousWithSDK(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE SCHEMA main.iot")
	s.sql(landingDDL)
	lab, _ := filepath.Abs("../../fixtures/labs/iot_pipeline.sql")
	code, body := s.call("POST", "/api/2.0/pipelines", devToken, map[string]any{"name": "iot live", "catalog": "main", "schema": "iot",
		"continuous": true, "libraries": []any{map[string]any{"file": map[string]any{"path": lab}}}})
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct {
		PipelineID string `json:"pipeline_id"`
	}
	json.Unmarshal(body, &created)
	if code, body := s.call("POST", "/api/2.0/pipelines/"+created.PipelineID+"/updates", devToken, map[string]any{}); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	waitFor := func(s *server, n int) {
		t.Helper()
		want := countsFor(n).good
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for ctx.Err() == nil {
			// The update that creates silver runs in the background (at a
			// lower CPU priority): until it has, the table is not found.
			r := s.sqlResult("SELECT count(*) FROM main.iot.silver_readings")
			if r.Status.State == "SUCCEEDED" && s.intSQL("SELECT count(*) FROM main.iot.silver_readings") >= want {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := s.intSQL("SELECT count(*) FROM main.iot.silver_readings"); got != want {
			t.Fatalf("continuous pipeline: silver has %d rows after %d readings, want %d", got, n, want)
		}
		if got := s.intSQL("SELECT count(*) - count(DISTINCT seq) FROM main.iot.silver_readings"); got != 0 {
			t.Fatalf("continuous pipeline: %d readings processed twice", got)
		}
	}
	sc := s.scenario(map[string]any{"table": "main.iot.sensor_readings", "batches": batchesOf(labReadings(0, 400), 40)})
	if r := runSDK(t, sc); !r.OK {
		t.Fatalf("SDK: %s", errText(r.Streams[0].Error))
	}
	waitFor(s, 400)

	// kill -9 while readings arrive; the continuous pipeline resumes.
	s.insertJSON("main.iot.sensor_readings", labReadings(400, 200))
	s.kill9()
	s2 := startServer(t, s.data)
	s2.insertJSON("main.iot.sensor_readings", labReadings(600, 200))
	waitFor(s2, 800)
	if code, body := s2.call("POST", "/api/2.0/pipelines/"+created.PipelineID+"/stop", devToken, map[string]any{}); code != 200 {
		t.Fatalf("stop: %d %s", code, body)
	}
}

// TestPipelinesWithDatabricksSDK drives the Pipelines API with the official
// Databricks JS SDK, unmodified.
func TestPipelinesWithDatabricksSDK(t *testing.T) {
	t.Parallel()
	ensureSDK(t)
	s := startServer(t, "")
	s.sql("CREATE SCHEMA main.iot")
	s.sql(landingDDL)
	s.insertJSON("main.iot.sensor_readings", labReadings(0, 20))
	lab, _ := filepath.Abs("../../fixtures/labs/iot_pipeline.sql")
	in, _ := json.Marshal(map[string]any{"host": s.url, "token": devToken, "name": "sdk lab", "catalog": "main", "schema": "iot",
		"files": []string{lab}})
	cmd := exec.Command("node", "testdata/sdk/pipelines.js")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("pipelines.js: %v\n%s", err, stderr.String())
	}
	var r struct {
		OK         bool   `json:"ok"`
		Error      string `json:"error"`
		PipelineID string `json:"pipelineId"`
		UpdateID   string `json:"updateId"`
		State      string `json:"state"`
		Pipeline   struct {
			State string `json:"state"`
			Spec  struct {
				Catalog string `json:"catalog"`
				Schema  string `json:"schema"`
			} `json:"spec"`
			LatestUpdates []struct {
				UpdateID string `json:"update_id"`
			} `json:"latest_updates"`
		} `json:"pipeline"`
		Updates []struct {
			UpdateID string `json:"update_id"`
			State    string `json:"state"`
		} `json:"updates"`
		Events []struct {
			EventType string `json:"event_type"`
		} `json:"events"`
		Listed []string `json:"listed"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("pipelines.js output %q: %v", raw, err)
	}
	if !r.OK {
		t.Fatalf("Databricks SDK: %s", r.Error)
	}
	if r.State != "COMPLETED" || r.Pipeline.State != "IDLE" || r.Pipeline.Spec.Catalog != "main" || r.Pipeline.Spec.Schema != "iot" {
		t.Errorf("update %s, pipeline %+v", r.State, r.Pipeline)
	}
	if len(r.Updates) != 1 || r.Updates[0].UpdateID != r.UpdateID || len(r.Pipeline.LatestUpdates) == 0 || r.Pipeline.LatestUpdates[0].UpdateID != r.UpdateID {
		t.Errorf("updates %+v, latest %+v; want the one update %s", r.Updates, r.Pipeline.LatestUpdates, r.UpdateID)
	}
	types := map[string]bool{}
	for _, e := range r.Events {
		types[e.EventType] = true
	}
	if len(r.Events) < 10 || !types["flow_progress"] && !types["update_progress"] {
		t.Errorf("events through the SDK's pager: %d, types %v", len(r.Events), types)
	}
	if len(r.Listed) != 1 || r.Listed[0] != r.PipelineID {
		t.Errorf("listPipelines: %v, want [%s]", r.Listed, r.PipelineID)
	}
	if got := s.intSQL("SELECT count(*) FROM main.iot.bronze_readings"); got != countsFor(20).good {
		t.Errorf("bronze has %d rows, want %d", got, countsFor(20).good)
	}
}

// TestPipelineCLILifecycle manages a pipeline with every zbemu pipeline
// command, checks its runs in /metrics and the stats, and lets an alert
// over the event log fire on a failed update.
func TestPipelineCLILifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE SCHEMA main.iot")
	s.sql(landingDDL)
	s.insertJSON("main.iot.sensor_readings", labReadings(0, 40))
	file := filepath.Join(t.TempDir(), "strict.sql")
	if err := os.WriteFile(file, []byte(`CREATE OR REFRESH STREAMING TABLE strict (
  CONSTRAINT valid_temperature EXPECT (temperature BETWEEN -50 AND 150) ON VIOLATION FAIL UPDATE
) AS SELECT * FROM STREAM(main.iot.sensor_readings)`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runCLI(t, s, "pipeline", "create", "strict", file, "--catalog", "main", "--schema", "iot")
	id := pipelineIDOf(t, out)
	if out := runCLI(t, s, "pipeline", "status"); !strings.Contains(out, id) || !strings.Contains(out, "IDLE") {
		t.Errorf("status lists:\n%s", out)
	}
	runCLI(t, s, "alert", "create", "pipeline-failed", "--every", "1s", "--sql",
		"SELECT message FROM event_log('"+id+"') WHERE level = 'ERROR'")
	if out, err := runCLIErr(s, "pipeline", "start", id, "--wait"); err == nil || !strings.Contains(out, "FAILED") {
		t.Errorf("start --wait of a failing update: %v\n%s", err, out)
	}
	if out := runCLI(t, s, "pipeline", "events", id, "--max", "50"); !strings.Contains(out, "ERROR") || !strings.Contains(out, "flow_progress") && !strings.Contains(out, "update_progress") {
		t.Errorf("events:\n%s", out)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(runCLI(t, s, "alert", "list"), "TRIGGERED") {
		if time.Now().After(deadline) {
			t.Fatalf("the alert over the event log never fired:\n%s", runCLI(t, s, "alert", "list"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, body := s.call("GET", "/metrics", "", nil)
	for _, want := range []string{`zbemu_pipeline_updates_total{pipeline_id="` + id + `",state="FAILED"} 1`, "zbemu_pipeline_update_duration_seconds_count"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Continuous, then stopped and deleted: its dataset goes with it.
	if err := os.WriteFile(file, []byte("CREATE OR REFRESH STREAMING TABLE copy AS SELECT * FROM STREAM(main.iot.sensor_readings)"), 0o600); err != nil {
		t.Fatal(err)
	}
	id = pipelineIDOf(t, runCLI(t, s, "pipeline", "create", "copy", file, "--catalog", "main", "--schema", "iot", "--continuous"))
	runCLI(t, s, "pipeline", "start", id)
	copied := func() string {
		// The table appears with the update's first flow.
		if r := s.sqlResult("SELECT count(*) FROM main.iot.copy"); r.Status.State == "SUCCEEDED" {
			return *r.Result.DataArray[0][0]
		}
		return "no table"
	}
	deadline = time.Now().Add(time.Minute)
	for copied() != "40" {
		if time.Now().After(deadline) {
			t.Fatalf("the continuous pipeline copied %s rows, want 40", copied())
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, body = s.call("GET", "/zbemu/v1/stats", devToken, nil)
	if !strings.Contains(string(body), `"dataset":"main.iot.copy"`) || !strings.Contains(string(body), `"rows_written_total":40`) {
		t.Errorf("stats lack the copy dataset's 40 rows: %s", body)
	}
	runCLI(t, s, "pipeline", "stop", id)
	runCLI(t, s, "pipeline", "delete", id)
	if r := s.sqlResult("SELECT count(*) FROM main.iot.copy"); r.Status.State == "SUCCEEDED" {
		t.Error("the deleted pipeline's dataset is still there")
	}
}
