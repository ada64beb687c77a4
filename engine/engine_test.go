package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

var admin = &engine.Identity{ClientID: "zbemu-dev", Admin: true}

// openEngine opens an engine in memory or on disk (the contract runs on both).
func openEngine(t *testing.T, mode, dir string) *engine.Engine {
	t.Helper()
	opts := engine.Options{DevClientSecret: "s"}
	if mode == "memory" {
		opts.Memory = true
	} else {
		opts.DataDir = dir
	}
	e, err := engine.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func exec(t *testing.T, e *engine.Engine, sql string) *engine.Result {
	t.Helper()
	r, err := e.Execute(context.Background(), engine.StatementRequest{SQL: sql, Identity: admin})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

func count(t *testing.T, e *engine.Engine, table string) string {
	return *exec(t, e, "SELECT count(*) FROM "+table).Rows[0][0]
}

func TestIngestContract(t *testing.T) {
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			e := openEngine(t, mode, t.TempDir())
			exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, name STRING)")
			st, err := e.OpenStream(ctx, admin, engine.StreamSpec{Table: "main.default.ev", Format: engine.FormatJSON, Protocol: "GRPC"})
			if err != nil {
				t.Fatal(err)
			}
			for off := int64(0); off < 10; off++ {
				recs := [][]byte{[]byte(fmt.Sprintf(`{"id":%d}`, off)), []byte(fmt.Sprintf(`{"id":%d,"name":"x"}`, off))}
				if err := st.Submit(off, recs); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if st.Acked() != 9 {
				t.Errorf("acked %d, want 9", st.Acked())
			}
			// A query sees everything acknowledged before it started.
			if n := count(t, e, "main.default.ev"); n != "20" {
				t.Errorf("count %s, want 20", n)
			}
			// Schema evolution: the open stream keeps its schema, REST sees the new column.
			exec(t, e, "ALTER TABLE main.default.ev ADD COLUMNS (extra INT)")
			err = st.Submit(10, [][]byte{[]byte(`{"id":1,"extra":5}`)})
			if !errors.Is(err, engine.ErrInvalidRecord) || !strings.Contains(err.Error(), "extra") {
				t.Errorf("old stream accepted the new column: %v", err)
			}
			st.Close()
			if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":100,"extra":5}`)}); err != nil {
				t.Fatal(err)
			}
			st2, err := e.OpenStream(ctx, admin, engine.StreamSpec{Table: "main.default.ev", Format: engine.FormatJSON})
			if err != nil {
				t.Fatal(err)
			}
			if err := st2.Submit(0, [][]byte{[]byte(`{"id":101,"extra":6}`)}); err != nil {
				t.Fatal(err)
			}
			st2.Drain(ctx)
			st2.Close()
			if r := exec(t, e, "SELECT sum(extra) FROM main.default.ev"); *r.Rows[0][0] != "11" {
				t.Errorf("sum(extra) = %s, want 11", *r.Rows[0][0])
			}
			hist := exec(t, e, "DESCRIBE HISTORY main.default.ev")
			if len(hist.Rows) != 2 || *hist.Rows[0][2] != "ADD COLUMNS" {
				t.Errorf("history: %v", hist.Rows)
			}
		})
	}
}

// Rows survive a clean restart exactly once (the ingest log is not replayed twice).
func TestRestartKeepsRowsOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := engine.Open(ctx, engine.Options{DataDir: dir, DevClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL)")
	for i := 0; i < 5; i++ {
		if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		e2, err := engine.Open(ctx, engine.Options{DataDir: dir, DevClientSecret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, e2, "main.default.ev"); n != "10" {
			t.Errorf("after restart %d: count %s, want 10", i, n)
		}
		e2.Close(ctx)
	}
}

func TestAuthorization(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.t (id INT)")
	p, secret, err := e.CreatePrincipal(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	details := `[{"type":"unity_catalog_privileges","privileges":["USE CATALOG"],"object_type":"CATALOG","object_full_path":"main"},
	{"type":"unity_catalog_privileges","privileges":["USE SCHEMA"],"object_type":"SCHEMA","object_full_path":"main.default"},
	{"type":"unity_catalog_privileges","privileges":["SELECT","MODIFY"],"object_type":"TABLE","object_full_path":"main.default.t","operations":["zerobuswrite"]}]`
	if _, err := e.IssueToken(ctx, p.ClientID, "wrong", details); !errors.Is(err, engine.ErrInvalidClient) {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := e.IssueToken(ctx, p.ClientID, secret, details); !errors.Is(err, engine.ErrPermissionDenied) || !strings.Contains(err.Error(), "USE CATALOG") {
		t.Errorf("no grants: %v", err)
	}
	exec(t, e, fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", p.ClientID))
	exec(t, e, fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", p.ClientID))
	exec(t, e, fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.t TO `%s`", p.ClientID))
	tok, err := e.IssueToken(ctx, p.ClientID, secret, details)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.Authenticate(ctx, tok.AccessToken)
	if err != nil || id.ClientID != p.ClientID || len(id.Tables) != 1 {
		t.Fatalf("authenticate: %+v %v", id, err)
	}
	if _, err := e.OpenStream(ctx, id, engine.StreamSpec{Table: "main.default.t", Format: engine.FormatJSON}); err != nil {
		t.Errorf("granted stream: %v", err)
	}
	exec(t, e, "CREATE TABLE main.default.other (id INT)")
	if _, err := e.OpenStream(ctx, id, engine.StreamSpec{Table: "main.default.other", Format: engine.FormatJSON}); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("stream outside the token's scope: %v", err)
	}
	exec(t, e, fmt.Sprintf("REVOKE MODIFY ON TABLE main.default.t FROM `%s`", p.ClientID))
	if _, err := e.OpenStream(ctx, id, engine.StreamSpec{Table: "main.default.t", Format: engine.FormatJSON}); !errors.Is(err, engine.ErrPermissionDenied) || !strings.Contains(err.Error(), "MODIFY") {
		t.Errorf("after revoke: %v", err)
	}
}

// The ingest log rotates into segments and deletes (or reuses) applied
// ones, and a restart over several segments still holds every row once.
func TestIngestLogGenerations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := engine.Options{DataDir: dir, DevClientSecret: "s", LogGenerationBytes: 64 << 10}
	e, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, pad STRING)")
	pad := strings.Repeat("x", 1000)
	for i := 0; i < 400; i++ {
		if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(fmt.Sprintf(`{"id":%d,"pad":%q}`, i, pad))}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			e.Sync(ctx)
		}
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "ingest-log", "*"))
	if len(segs) > 3 {
		t.Errorf("%d log files kept (%v); applied segments should be deleted", len(segs), segs)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	if r := exec(t, e2, "SELECT count(*), count(DISTINCT id) FROM main.default.ev"); *r.Rows[0][0] != "400" || *r.Rows[0][1] != "400" {
		t.Errorf("after restart: %s rows, %s distinct; want 400", *r.Rows[0][0], *r.Rows[0][1])
	}
}
