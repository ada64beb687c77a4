package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/delta/deltatest"
)

func TestImportDelta(t *testing.T) {
	ctx := context.Background()
	imports := t.TempDir()
	for _, name := range []string{"simple_table_with_checkpoint", "delta-0.8.0-partitioned", "table_with_column_mapping", "table-with-dv-small"} {
		if err := deltatest.CopyDir(filepath.Join("delta", "testdata", name), filepath.Join(imports, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(imports, "file.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := deltatest.CopyDir(filepath.Join("delta", "testdata", "simple_table"), filepath.Join(outside, "simple_table")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "simple_table"), filepath.Join(imports, "link")); err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), DevClientSecret: "s", ImportDirs: []string{imports}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })

	cases := []struct {
		dir, table string
		rows       int64
		created    bool
		query      string
		want       string
	}{
		{"simple_table_with_checkpoint", "main.default.st", 11, true,
			"SELECT count(*), sum(version), min(version), max(version) FROM main.default.st", "11|45|0|9"},
		{"delta-0.8.0-partitioned", "main.default.part", 7, true,
			"SELECT value, year, month, day FROM main.default.part ORDER BY year, month::INT, day::INT LIMIT 2", "1|2020|1|1;2|2020|2|3"},
		{"table_with_column_mapping", "main.default.mapped", 5, true,
			"SELECT Company_Very_Short, count(*), min(Super_Name) FROM main.default.mapped GROUP BY ALL ORDER BY 1", "BME|1|Timothy Lamb;BMS|4|Anthony Johnson"},
		// An existing table gets the rows appended.
		{"simple_table_with_checkpoint", "main.default.st", 11, false,
			"SELECT count(*) FROM main.default.st", "22"},
	}
	for _, c := range cases {
		res, err := e.ImportDelta(ctx, admin, filepath.Join(imports, c.dir), c.table)
		if err != nil {
			t.Errorf("import %s: %v", c.dir, err)
			continue
		}
		if res.NumInsertedRows != c.rows || res.Created != c.created {
			t.Errorf("import %s = %+v, want %d rows, created %v", c.dir, res, c.rows, c.created)
		}
		if got := strings.Join(rowsText(exec(t, e, c.query)), ";"); got != c.want {
			t.Errorf("%s = %q, want %q", c.query, got, c.want)
		}
	}
	d := exec(t, e, "DESCRIBE TABLE main.default.part")
	if got := strings.Join(rowsText(d), ";"); !strings.Contains(got, "# Partition Information") || !strings.Contains(got, "year|string") {
		t.Errorf("DESCRIBE of the imported partitioned table = %s", got)
	}

	refused := []struct{ dir, table, class, text string }{
		{"table-with-dv-small", "main.default.dv", "DELTA_UNSUPPORTED_FEATURES_FOR_READ", "deletionVectors"},
		{"file.txt", "main.default.f", "", "is a file"},
		{"nope", "main.default.f", "DELTA_PATH_DOES_NOT_EXIST", "doesn't exist"},
		{".", "main.default.f", "DELTA_PATH_DOES_NOT_EXIST", "not a Delta table"},
		{"link", "main.default.f", "INSUFFICIENT_PERMISSIONS", "outside the directories"},
		{"../" + filepath.Base(outside) + "/simple_table", "main.default.f", "INSUFFICIENT_PERMISSIONS", "outside the directories"},
		{"simple_table_with_checkpoint", "st", "", "three-part name"},
	}
	for _, c := range refused {
		_, err := e.ImportDelta(ctx, admin, filepath.Join(imports, c.dir), c.table)
		if err == nil || (c.class != "" && engine.ErrorClass(err) != c.class) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("import %s: %v (class %s), want class %q saying %q", c.dir, err, engine.ErrorClass(err), c.class, c.text)
		}
	}
	if _, err := e.ImportDelta(ctx, admin, "relative/dir", "main.default.f"); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("relative path: %v", err)
	}
	if _, err := e.GetTable(ctx, "main.default.dv"); err == nil {
		t.Error("a refused import left its table behind")
	}
}
