package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The Statement Execution API transcripts of views, CTAS, MERGE INTO and
// the table metadata statements (testdata/statements/sqlddl_*.json; rewrite
// with go test ./cmd/zbemu -run TestStatementAPISQLDDL -update).
func TestStatementAPISQLDDL(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE SCHEMA main.lab")
	s.sql("CREATE TABLE main.lab.readings (device_id STRING NOT NULL COMMENT 'who sent it', temp DOUBLE, day DATE) " +
		"PARTITIONED BY (day) COMMENT 'raw readings' TBLPROPERTIES ('team' = 'iot')")
	s.sql("INSERT INTO main.lab.readings VALUES ('d1', 21.5, DATE '2024-11-24'), ('d2', 35.0, DATE '2024-11-24'), ('d3', NULL, NULL)")

	t.Run("ctas", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("CREATE TABLE main.lab.daily COMMENT 'per day' AS SELECT day, count(*) AS n, avg(temp) AS avg_temp FROM main.lab.readings GROUP BY day")
		if got := rowsOf(r); len(got) != 1 || !equalStrings(got[0], []string{"2", "2"}) {
			t.Errorf("CTAS: %q", got)
		}
		tr.sql("DESCRIBE TABLE main.lab.daily")
		tr.sql("SELECT * FROM main.lab.daily ORDER BY day NULLS LAST")
		tr.check("sqlddl_ctas")
	})

	t.Run("merge", func(t *testing.T) {
		tr := newTranscript(t, s)
		tr.sql("CREATE TABLE main.lab.latest (device_id STRING, temp DOUBLE)")
		tr.sql("INSERT INTO main.lab.latest VALUES ('d1', 0), ('gone', 1)")
		r := tr.sql(`MERGE INTO main.lab.latest AS l USING (SELECT device_id, temp FROM main.lab.readings) AS r ON l.device_id = r.device_id
			WHEN MATCHED THEN UPDATE SET *
			WHEN NOT MATCHED AND r.temp IS NOT NULL THEN INSERT *
			WHEN NOT MATCHED BY SOURCE THEN DELETE`)
		if got, want := columnsOf(r), []string{"num_affected_rows LONG BIGINT", "num_updated_rows LONG BIGINT", "num_deleted_rows LONG BIGINT", "num_inserted_rows LONG BIGINT"}; !equalStrings(got, want) {
			t.Errorf("columns %q", got)
		}
		if got := rowsOf(r); len(got) != 1 || !equalStrings(got[0], []string{"3", "1", "1", "1"}) {
			t.Errorf("MERGE counts %q, want 3 1 1 1", got)
		}
		tr.sql("SELECT * FROM main.lab.latest ORDER BY device_id")
		tr.check("sqlddl_merge")
	})

	t.Run("table_metadata", func(t *testing.T) {
		tr := newTranscript(t, s)
		tr.sql("SHOW TBLPROPERTIES main.lab.readings")
		tr.sql("SHOW TBLPROPERTIES main.lab.readings (team)")
		tr.sql("SHOW TBLPROPERTIES main.lab.readings ('missing.key')")
		r := tr.sql("SHOW CREATE TABLE main.lab.readings")
		if got := rowsOf(r); len(got) != 1 || !strings.HasPrefix(got[0][0], "CREATE TABLE main.lab.readings (\n  device_id STRING NOT NULL COMMENT 'who sent it',") {
			t.Errorf("SHOW CREATE TABLE %q", got)
		}
		tr.check("sqlddl_table_metadata")
		// DESCRIBE DETAIL has times in it: checked here, not in a golden.
		d := newTranscript(t, s).sql("DESCRIBE DETAIL main.lab.readings")
		want := []string{"format STRING STRING", "id STRING STRING", "name STRING STRING", "description STRING STRING", "location STRING STRING",
			"createdAt TIMESTAMP TIMESTAMP", "lastModified TIMESTAMP TIMESTAMP", "partitionColumns ARRAY ARRAY<STRING>",
			"clusteringColumns ARRAY ARRAY<STRING>", "numFiles LONG BIGINT", "sizeInBytes LONG BIGINT", "properties MAP MAP<STRING, STRING>",
			"minReaderVersion INT INT", "minWriterVersion INT INT", "tableFeatures ARRAY ARRAY<STRING>", "statistics MAP MAP<STRING, BIGINT>"}
		if got := columnsOf(d); !equalStrings(got, want) {
			t.Errorf("DESCRIBE DETAIL columns\n got %q\nwant %q", got, want)
		}
		row := rowsOf(d)[0]
		if row[0] != "delta" || row[2] != "main.lab.readings" || row[3] != "raw readings" || row[7] != `["day"]` || row[11] != `{"team":"iot"}` || row[12] != "1" || row[13] != "2" {
			t.Errorf("DESCRIBE DETAIL row %q", row)
		}
	})

	t.Run("views", func(t *testing.T) {
		tr := newTranscript(t, s)
		tr.exec(map[string]any{"statement": "CREATE OR REPLACE VIEW hot (device COMMENT 'who', temp) COMMENT 'hot devices' AS " +
			"SELECT device_id, temp FROM readings WHERE temp > 30", "catalog": "main", "schema": "lab", "wait_timeout": "30s"})
		r := tr.sql("SELECT * FROM main.lab.hot")
		if got := rowsOf(r); len(got) != 1 || !equalStrings(got[0], []string{"d2", "35.0"}) {
			t.Errorf("view rows %q", got)
		}
		tr.sql("DESCRIBE TABLE main.lab.hot")
		tr.sql("SHOW TABLES IN main.lab")
		tr.sql("SHOW CREATE TABLE main.lab.hot")
		tr.sql("ALTER VIEW main.lab.hot AS SELECT device_id, temp FROM main.lab.readings WHERE temp > 20")
		tr.sql("SELECT count(*) AS n FROM main.lab.hot")
		tr.sql("DROP TABLE main.lab.hot")
		tr.sql("INSERT INTO main.lab.hot VALUES ('x', 1.0)")
		tr.check("sqlddl_views")

		// Unity Catalog REST lists the view with its definition.
		code, body := s.call("GET", "/api/2.1/unity-catalog/tables/main.lab.hot", devToken, nil)
		var ti struct {
			TableType      string `json:"table_type"`
			ViewDefinition string `json:"view_definition"`
			Columns        []struct {
				Name string `json:"name"`
			} `json:"columns"`
		}
		if err := json.Unmarshal(body, &ti); code != 200 || err != nil || ti.TableType != "VIEW" ||
			ti.ViewDefinition != "SELECT device_id, temp FROM main.lab.readings WHERE temp > 20" || len(ti.Columns) != 2 {
			t.Errorf("UC GET view: %d %s", code, body)
		}
		if code, body := s.call("DELETE", "/api/2.1/unity-catalog/tables/main.lab.hot", devToken, nil); code != 200 {
			t.Errorf("UC DELETE view: %d %s", code, body)
		}
		if code, _ := s.call("GET", "/api/2.1/unity-catalog/tables/main.lab.hot", devToken, nil); code != 404 {
			t.Errorf("UC GET dropped view: %d", code)
		}
	})
}
