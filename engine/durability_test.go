package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// durableOpts keeps every acknowledged entry pending until a query syncs, so
// that the entries of one test land in one materialiser round.
func durableOpts(dir string) engine.Options {
	return engine.Options{DataDir: dir, DevClientSecret: "s", FlushInterval: time.Hour, FlushRows: 1 << 30}
}

// A record whose value DuckDB cannot hold must be refused at ingest; if it
// were acknowledged, the catalog's commit would fail and take the rows of
// every other table in the same round with it (issue 9, "Data loss").
func TestOutOfRangeTimestampLosesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := engine.Open(ctx, durableOpts(dir))
	if err != nil {
		t.Fatal(err)
	}
	exec(t, e, "CREATE TABLE main.default.victim (id BIGINT)")
	exec(t, e, "CREATE TABLE main.default.t (id BIGINT, ts TIMESTAMP, tss ARRAY<TIMESTAMP>)")
	insert := func(table, rec string) error {
		return e.Insert(ctx, admin, "main.default."+table, [][]byte{[]byte(rec)})
	}
	for _, rec := range []string{`{"id":1}`, `{"id":2}`, `{"id":3}`} {
		if err := insert("victim", rec); err != nil {
			t.Fatal(err)
		}
	}
	for _, rec := range []string{`{"id":10,"ts":9223372036854775807}`, `{"id":11,"tss":[0,-9223372036854775807]}`} {
		err := insert("t", rec)
		if !errors.Is(err, engine.ErrInvalidRecord) || !strings.Contains(err.Error(), "0001-01-01") {
			t.Errorf("%s: got %v, want a refusal naming the range", rec, err)
		}
	}
	if err := insert("victim", `{"id":4}`); err != nil {
		t.Fatal(err)
	}
	const want = "[1,2,3,4]"
	if got := ids(t, e, "main.default.victim"); got != want {
		t.Errorf("victim = %s, want %s", got, want)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, durableOpts(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	if got := ids(t, e2, "main.default.victim"); got != want {
		t.Errorf("after restart victim = %s, want %s", got, want)
	}
}

// ids lists a table's id column in order, "NULL" for no rows.
func ids(t *testing.T, e *engine.Engine, table string) string {
	t.Helper()
	if v := exec(t, e, "SELECT list(id ORDER BY id) FROM "+table).Rows[0][0]; v != nil {
		return *v
	}
	return "NULL"
}
