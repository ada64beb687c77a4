package systables_test

import (
	"context"
	"testing"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/systables"
)

var admin = &engine.Identity{ClientID: "zbemu-dev", Admin: true}

// openWorkspace opens a store and an engine wired together, as zbemu serve
// does, and closes them in the right order.
func openWorkspace(t *testing.T, path string) (*systables.Store, *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	opts := systables.Options{Path: path, Memory: path == ""}
	s, err := systables.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	eopts := engine.Options{Memory: true, DevClientSecret: "s", Events: s, SystemTables: s}
	e, err := engine.Open(ctx, eopts)
	if err != nil {
		s.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close(ctx)
		s.Close(ctx)
	})
	return s, e
}

func query(t *testing.T, e *engine.Engine, sql string) [][]*string {
	t.Helper()
	r, err := e.Execute(context.Background(), engine.StatementRequest{SQL: sql, Identity: admin})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r.Rows
}

func cell(t *testing.T, e *engine.Engine, sql string) string {
	t.Helper()
	rows := query(t, e, sql)
	if len(rows) != 1 || rows[0][0] == nil {
		t.Fatalf("%s: %d rows, want one non-null value", sql, len(rows))
	}
	return *rows[0][0]
}

func TestEngineWritesSystemTables(t *testing.T) {
	ctx := context.Background()
	_, e := openWorkspace(t, "")
	query(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, name STRING)")
	if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`)}); err != nil {
		t.Fatal(err)
	}
	if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":3}`), []byte(`{"name":"no id"}`)}); err == nil {
		t.Fatal("a record without its NOT NULL column was accepted")
	}
	tests := []struct{ sql, want string }{
		{"SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE protocol = 'HTTP' AND closed_time IS NULL", "3"},    // 2 opens, 1 error
		{"SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE closed_time IS NOT NULL", "2"},                      // 2 closes
		{"SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE len(errors) > 0", "2"},                              // the error row and its close
		{"SELECT sum(committed_records) FROM system.lakeflow.zerobus_ingest WHERE table_name = 'main.default.ev'", "2"}, // the rejected request commits nothing
		{"SELECT column_name || ' ' || record_index || ' ' || raw FROM system.zbemu.rejected_records", `id 1 {"name":"no id"}`},
		{"SELECT DISTINCT workspace_id || '/' || account_id FROM system.lakeflow.zerobus_ingest", systables.DefaultWorkspaceID + "/" + systables.DefaultAccountID},
	}
	for _, tc := range tests {
		if got := cell(t, e, tc.sql); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.sql, got, tc.want)
		}
	}
}
