package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine/delta/deltatest"
)

// timeTravelServer starts a server that may import from a folder holding
// copies of the Delta tables in engine/delta/testdata, and gives
// main.default.t (id BIGINT, name STRING, p STRING) three versions, both
// as rows (through SQL) and as a Delta log:
//
//	0: CREATE TABLE, no rows
//	1: (1, x, a), (2, NULL, NULL)
//	2: DELETE id 2
//
// The log is written by package deltatest, standing in for the mirror
// that writes it in a full build; the rows agree with it.
func timeTravelServer(t *testing.T) (s *server, imports string) {
	t.Helper()
	imports = t.TempDir()
	for _, name := range []string{"simple_table_with_checkpoint", "delta-0.8.0-partitioned", "table_with_column_mapping", "table-with-dv-small"} {
		if err := deltatest.CopyDir(filepath.Join("..", "..", "engine", "delta", "testdata", name), filepath.Join(imports, name)); err != nil {
			t.Fatal(err)
		}
	}
	s = startServer(t, "", "--import-dir", imports)
	s.sql("CREATE TABLE main.default.t (id BIGINT, name STRING, p STRING) PARTITIONED BY (p)")
	dt, err := deltatest.Create(filepath.Join(s.data, "delta", "main", "default", "t"), time.Now().UnixMilli()-3000)
	if err != nil {
		t.Fatal(err)
	}
	s.sql("INSERT INTO main.default.t VALUES (1, 'x', 'a'), (2, NULL, NULL)")
	if err := dt.Write(time.Now().UnixMilli()-2000, "WRITE", false, map[string][]deltatest.Row{"a": {{ID: 1, Name: deltatest.Str("x")}}, "": {{ID: 2}}}); err != nil {
		t.Fatal(err)
	}
	s.sql("DELETE FROM main.default.t WHERE id = 2")
	if err := dt.Write(time.Now().UnixMilli()-1000, "DELETE", true, map[string][]deltatest.Row{"a": {{ID: 1, Name: deltatest.Str("x")}}}); err != nil {
		t.Fatal(err)
	}
	return s, imports
}

func TestTimeTravelStatementAPI(t *testing.T) {
	s, _ := timeTravelServer(t)
	hist := s.sql("DESCRIBE HISTORY main.default.t")
	if len(hist) != 3 || *hist[0][0] != "2" || *hist[0][4] != "DELETE" || *hist[2][4] != "CREATE TABLE" {
		t.Fatalf("DESCRIBE HISTORY = %v", hist)
	}
	v1Time := *hist[1][1] // 2026-...T...Z
	cases := []struct{ sql, want string }{
		{"SELECT count(*) FROM main.default.t VERSION AS OF 0", "0"},
		{"SELECT id, name, p FROM main.default.t VERSION AS OF 1 ORDER BY id", "1|x|a\n2|NULL|NULL"},
		{"SELECT id FROM main.default.t@v2", "1"},
		{"SELECT id FROM main.default.t TIMESTAMP AS OF '" + v1Time + "' ORDER BY id", "1\n2"},
		{"SELECT old.id, cur.id FROM main.default.t VERSION AS OF 1 old LEFT JOIN main.default.t cur USING (id) ORDER BY old.id", "1|1\n2|NULL"},
		{"SELECT count(*) FROM main.default.t WHERE id IN (SELECT id FROM main.default.t VERSION AS OF 1)", "1"},
	}
	for _, c := range cases {
		if got := s.cells(c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
	// Version 2 has one file, version 1 two others: 2 files after, 1
	// removed, 2 restored.
	if got := s.cells("RESTORE TABLE main.default.t TO VERSION AS OF 1"); strings.Join(strings.Split(got, "|")[1:4], "|") != "2|1|2" {
		t.Errorf("RESTORE metrics = %s, want 2 files after, 1 removed, 2 restored", got)
	}
	if got := s.cells("SELECT id, name FROM main.default.t ORDER BY id"); got != "1|x\n2|NULL" {
		t.Errorf("rows after RESTORE = %s", got)
	}
}

func TestImportCLI(t *testing.T) {
	s, imports := timeTravelServer(t)
	env := []string{"ZBEMU_URL=" + s.url, "ZBEMU_TOKEN=" + devToken}
	out, errOut, code := execCLI(t, 2*time.Minute, env, "", "import", filepath.Join(imports, "delta-0.8.0-partitioned"), "main.default.part")
	if code != 0 || !strings.Contains(out, "main.default.part: created from version 0") || !strings.Contains(out, "7 rows") {
		t.Fatalf("zbemu import: code %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = execCLI(t, 2*time.Minute, env, "", "import", filepath.Join(imports, "table_with_column_mapping"), "main.default.mapped")
	if code != 0 || !strings.Contains(out, "Company Very Short -> Company_Very_Short") {
		t.Fatalf("zbemu import of a column-mapped table: code %d\n%s\n%s", code, out, errOut)
	}
	if got := s.cells("SELECT year, count(*) FROM main.default.part GROUP BY year ORDER BY year"); got != "2020|3\n2021|4" {
		t.Errorf("imported partitioned rows = %s", got)
	}
	out, errOut, code = execCLI(t, 2*time.Minute, env, "", "sql", "SELECT count(*) FROM main.default.t VERSION AS OF 1")
	if code != 0 || !strings.Contains(out, "2") {
		t.Errorf("zbemu sql with time travel: code %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = execCLI(t, 2*time.Minute, env, "", "import", filepath.Join(imports, "table-with-dv-small"), "main.default.dv")
	if code == 0 || !strings.Contains(out+errOut, "deletionVectors") {
		t.Errorf("zbemu import of a table with deletion vectors: code %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code = execCLI(t, time.Minute, env, "", "import", "only-one-arg"); code != 2 || !strings.Contains(errOut, "usage: zbemu import") {
		t.Errorf("zbemu import with one argument: code %d %s", code, errOut)
	}
}
