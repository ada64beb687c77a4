package engine

import (
	"context"
	"time"
)

// InsertUnchecked logs and acknowledges rows for table as REST Insert does,
// but without validating them: tests use it to put a poisoned entry (one
// DuckDB refuses, or one today's validation would refuse on replay) into
// the ingest log. records is what the log keeps for replay and quarantine.
func InsertUnchecked(ctx context.Context, e *Engine, id *Identity, table string, rows [][]any, records [][]byte) error {
	s, err := e.OpenStream(ctx, id, StreamSpec{Table: table, Format: FormatJSON, Protocol: "HTTP"})
	if err != nil {
		return err
	}
	defer s.Close()
	return e.logAndWait(ctx, s, decoded{rows: rows}, records, time.Now())
}

// DuckDBSetting reads one of DuckDB's settings, which sealed SQL cannot.
func DuckDBSetting(ctx context.Context, e *Engine, name string) (string, error) {
	var v string
	err := e.db.QueryRowContext(ctx, "SELECT current_setting(?)::VARCHAR", name).Scan(&v)
	return v, err
}
