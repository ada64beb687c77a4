package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// fakeSystemTables serves fixed rows per table, keyed 1..n, and counts
// snapshots and page reads.
type fakeSystemTables struct {
	rows map[string][][]any

	mu        sync.Mutex
	snapshots int
	pages     int
}

func (f *fakeSystemTables) SystemSnapshot(ctx context.Context, table string) (int64, error) {
	f.mu.Lock()
	f.snapshots++
	f.mu.Unlock()
	return int64(len(f.rows[table])), nil
}

func (f *fakeSystemTables) SystemRows(ctx context.Context, table string, after, upTo int64, limit int) ([][]any, int64, error) {
	f.mu.Lock()
	f.pages++
	f.mu.Unlock()
	all := f.rows[table]
	var out [][]any
	last := after
	for k := after + 1; k <= upTo && k <= int64(len(all)) && len(out) < limit; k++ {
		out = append(out, all[k-1])
		last = k
	}
	return out, last, nil
}

var _ engine.SystemTables = (*fakeSystemTables)(nil)

func openWithSystemTables(t *testing.T, st engine.SystemTables) *engine.Engine {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Options{Memory: true, DevClientSecret: "s", SystemTables: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func streamRow(id string, at time.Time, table string, errs ...engine.StreamError) []any {
	var closed any
	if len(errs) == 0 {
		closed = at.Add(time.Second)
	}
	return []any{"acc", "ws", id, at, nil, at, closed, "tid", table, "GRPC", "JSON", errs}
}

func TestSystemTablesQueries(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 10, 15, 0, 0, time.UTC)
	fake := &fakeSystemTables{rows: map[string][][]any{
		"lakeflow.zerobus_stream": {
			streamRow("s1", t0, "main.default.ev"),
			streamRow("s2", t0.Add(time.Hour), "main.default.ev", engine.StreamError{Code: "INVALID_PARAMETER_VALUE", Message: "bad", Time: t0.Add(time.Hour)}),
			streamRow("s3", t0.Add(2*time.Hour), "main.default.other"),
		},
	}}
	var many [][]any
	for i := 0; i < 5000; i++ {
		many = append(many, []any{"acc", "ws", fmt.Sprint("s", i%3), "tid", "main.default.ev", int64(i + 1), t0.Add(time.Duration(i) * time.Second), int64(10), int64(100), []engine.StreamError{}})
	}
	fake.rows["lakeflow.zerobus_ingest"] = many
	e := openWithSystemTables(t, fake)
	exec(t, e, "CREATE TABLE main.default.ev (id BIGINT)")
	exec(t, e, "INSERT INTO main.default.ev VALUES (1)")

	tests := []struct {
		name, sql string
		want      string // rows joined by ";", cells by ","
		types     string // result type texts, joined by ","
	}{
		{"columns and types", "SELECT stream_id, event_time, producer_id, closed_time, errors FROM system.lakeflow.zerobus_stream WHERE stream_id = 's2'",
			`s2,2026-01-02T11:15:00.000Z,NULL,NULL,[{"error_code":"INVALID_PARAMETER_VALUE","error_message":"bad","timestamp":"2026-01-02T11:15:00.000Z"}]`,
			"STRING,TIMESTAMP,STRING,TIMESTAMP,ARRAY<STRUCT<error_code: STRING, error_message: STRING, timestamp: TIMESTAMP>>"},
		{"len and unnest of errors", "SELECT s.stream_id, len(s.errors), e.error_code FROM system.lakeflow.zerobus_stream s, unnest(s.errors) AS t(e)",
			"s2,1,INVALID_PARAMETER_VALUE", "STRING,BIGINT,STRING"},
		{"group by time bucket", "SELECT date_trunc('hour', event_time) AS h, count(*) FROM system.lakeflow.zerobus_stream GROUP BY 1 ORDER BY 1",
			"2026-01-02T10:00:00.000Z,1;2026-01-02T11:00:00.000Z,1;2026-01-02T12:00:00.000Z,1", "TIMESTAMP,BIGINT"},
		{"join with a user table", "SELECT count(*) FROM system.lakeflow.zerobus_stream s JOIN main.default.ev u ON u.id = 1 WHERE s.table_name = 'main.default.ev'",
			"2", "BIGINT"},
		{"paged scan sees every row", "SELECT count(*), sum(committed_records), max(commit_version) FROM system.lakeflow.zerobus_ingest",
			"5000,50000,5000", "BIGINT,BIGINT,BIGINT"},
		{"backticks and upper case", "SELECT COUNT(*) FROM `system`.`lakeflow`.`ZERObus_stream`", "3", "BIGINT"},
		{"empty table", "SELECT count(*) FROM system.zbemu.rejected_records", "0", "BIGINT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := exec(t, e, tc.sql)
			var rows, types []string
			for _, row := range r.Rows {
				var cells []string
				for _, c := range row {
					if c == nil {
						cells = append(cells, "NULL")
					} else {
						cells = append(cells, *c)
					}
				}
				rows = append(rows, strings.Join(cells, ","))
			}
			for _, c := range r.Columns {
				types = append(types, c.TypeText)
			}
			if got := strings.Join(rows, ";"); got != tc.want {
				t.Errorf("rows\n got %s\nwant %s", got, tc.want)
			}
			if got := strings.Join(types, ","); got != tc.types {
				t.Errorf("types\n got %s\nwant %s", got, tc.types)
			}
		})
	}
	if fake.pages < 3 {
		t.Errorf("5000 rows were read in %d pages; want pages of bounded size", fake.pages)
	}

	r := exec(t, e, "DESCRIBE TABLE system.lakeflow.zerobus_ingest")
	if len(r.Rows) != 10 || *r.Rows[5][0] != "commit_version" || *r.Rows[5][1] != "bigint" {
		t.Errorf("DESCRIBE: %d rows, row 5 %v", len(r.Rows), r.Rows[5])
	}
	if _, err := e.Execute(context.Background(), engine.StatementRequest{SQL: "CREATE CATALOG system", Identity: admin}); err == nil {
		t.Error("CREATE CATALOG system succeeded")
	}
}

func TestSystemTablesSwitchedOff(t *testing.T) {
	e := openWithSystemTables(t, nil)
	_, err := e.Execute(context.Background(), engine.StatementRequest{SQL: "SELECT * FROM system.lakeflow.zerobus_stream", Identity: admin})
	if err == nil || !strings.Contains(err.Error(), "switched off") {
		t.Errorf("err = %v, want a message that system tables are switched off", err)
	}
}

// TestUseSystemCatalog: USE CATALOG system and USE system.lakeflow work as
// in Databricks, so unqualified names resolve there; a schema the system
// catalog lacks is refused, and with system tables off so is the catalog.
func TestUseSystemCatalog(t *testing.T) {
	ctx := context.Background()
	fake := &fakeSystemTables{rows: map[string][][]any{"lakeflow.zerobus_stream": {streamRow("s1", time.Now(), "main.default.ev")}}}
	e := openWithSystemTables(t, fake)
	cases := []struct {
		sql, want, wantErr string
	}{
		{"USE CATALOG system; SELECT count(*) FROM lakeflow.zerobus_stream", "1", ""},
		{"USE system.lakeflow; SELECT stream_id FROM zerobus_stream", "s1", ""},
		{"USE CATALOG system; USE SCHEMA lakeflow; SELECT table_name FROM zerobus_stream", "main.default.ev", ""},
		{"USE system.nope", "", "system.nope"},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			r, err := e.Execute(ctx, engine.StatementRequest{SQL: c.sql, Identity: admin})
			if c.wantErr != "" {
				if !errors.Is(err, engine.ErrSchemaNotFound) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want ErrSchemaNotFound naming %s", err, c.wantErr)
				}
				return
			}
			if err != nil || len(r.Rows) != 1 || *r.Rows[0][0] != c.want {
				t.Fatalf("%v %+v, want one row %s", err, r, c.want)
			}
		})
	}
	off := openWithSystemTables(t, nil)
	if _, err := off.Execute(ctx, engine.StatementRequest{SQL: "USE CATALOG system", Identity: admin}); !errors.Is(err, engine.ErrCatalogNotFound) {
		t.Errorf("USE CATALOG system with system tables off: %v, want ErrCatalogNotFound", err)
	}
}
