package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Rows acknowledged before a DROP or RENAME COLUMN but stored after it
// land in their columns, by column id, whether their decoded rows were
// kept or are decoded again from the log (tiny records).
func TestDropRenameKeepsPendingRows(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{DataDir: t.TempDir(), DevClientSecret: "s", NoSync: true, FlushInterval: time.Hour, FlushRows: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	admin := &Identity{ClientID: "zbemu-dev", Admin: true}
	run := func(sql string) *Result {
		t.Helper()
		res, err := e.Execute(ctx, StatementRequest{SQL: sql, Identity: admin})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return res
	}
	run("CREATE TABLE main.default.m (a INT, b STRING, c INT, d STRING) TBLPROPERTIES ('delta.columnMapping.mode' = 'name')")
	s, err := e.OpenStream(ctx, admin, StreamSpec{Table: "main.default.m", Format: FormatJSON, Protocol: "GRPC"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kept := `{"a":1,"b":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","c":10,"d":"dddddddddddddddddddddddddddddddddd"}`
	if err := s.Submit(0, [][]byte{[]byte(kept)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(1, [][]byte{[]byte(`{"a":2,"c":20}`), []byte(`{"c":30}`)}); err != nil { // tiny: lazy
		t.Fatal(err)
	}
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.mat.applied.Load(); n != 0 {
		t.Fatalf("the rows are already stored (applied index %d): the test needs them pending", n)
	}
	if _, err := e.dropColumns(ctx, "main.default.m", []string{"b"}, false, "ALTER TABLE main.default.m DROP COLUMN b"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.renameColumn(ctx, "main.default.m", "c", "cc", "ALTER TABLE main.default.m RENAME COLUMN c TO cc"); err != nil {
		t.Fatal(err)
	}
	// The stream's schema is gone: its next request is refused.
	if err := s.Submit(2, [][]byte{[]byte(`{"a":3,"c":1}`)}); err == nil || !strings.Contains(err.Error(), "open a new stream") {
		t.Fatalf("old stream after DROP COLUMN: %v", err)
	}
	res := run("SELECT a, cc, d FROM main.default.m ORDER BY cc")
	var got []string
	for _, r := range res.Rows {
		var cells []string
		for _, c := range r {
			if c == nil {
				cells = append(cells, "NULL")
			} else {
				cells = append(cells, *c)
			}
		}
		got = append(got, strings.Join(cells, "|"))
	}
	want := "1|10|dddddddddddddddddddddddddddddddddd\n2|20|NULL\nNULL|30|NULL"
	if strings.Join(got, "\n") != want {
		t.Fatalf("rows:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

func TestHasTopLevelKey(t *testing.T) {
	for _, tc := range []struct {
		rec, name string
		want      bool
	}{
		{`{"a":1,"b":null}`, "b", true},
		{`{"a":1}`, "b", false},
		{`{"a":{"b":1}}`, "b", false},
		{`{"a":"b","c":["b"]}`, "b", false},
		{`{"a":"x\"b\":1"}`, "b", false},
		{`{ "b" : null }`, "b", true},
		{`{"\u0062":null}`, "b", true},
		{`{"a\\":1,"b":2}`, "b", true},
	} {
		if got := hasTopLevelKey([]byte(tc.rec), tc.name); got != tc.want {
			t.Errorf("hasTopLevelKey(%s, %s) = %v", tc.rec, tc.name, got)
		}
	}
}
