package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/fixtures/golden"
	"github.com/zbemu/zbemu/web"
)

// The Spark SQL semantics corpus: testdata/spark_corpus/<family>.tsv hold
// examples from the Spark and Databricks SQL function references with
// their documented results, one per line: the statement, a tab, and what
// Databricks answers:
//
//	v1 | v2            the first row's values as JSON_ARRAY renders them
//	                   (NULL for null, <empty> for the empty string);
//	ERROR [CLASS]      the statement fails with that error class;
//	COLUMNS a | b      the result's column names.
//
// Each runs through the Statement API. An example that fails must be listed
// in known_differences.tsv (statement, tab, reason); a listed one that
// passes must be removed from it. The README's table of pass rates per
// family is generated from the same run:
//
//	go test ./cmd/zbemu -run TestSparkCorpus -update

const corpusDir = "testdata/spark_corpus"

type corpusExample struct {
	family, sql, want string
}

// readTSV reads the lines "a<TAB>b" of a file, skipping blank lines and
// # comments.
func readTSV(t *testing.T, path string) [][2]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, b, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s:%d: no tab in %q", path, n, line)
		}
		out = append(out, [2]string{a, b})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func loadCorpus(t *testing.T) []corpusExample {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusExample
	seen := map[string]bool{}
	for _, f := range files {
		family := strings.TrimSuffix(filepath.Base(f), ".tsv")
		if family == "known_differences" {
			continue
		}
		for _, l := range readTSV(t, f) {
			if seen[l[0]] {
				t.Fatalf("%s: %q appears twice in the corpus", f, l[0])
			}
			seen[l[0]] = true
			out = append(out, corpusExample{family: family, sql: l[0], want: l[1]})
		}
	}
	return out
}

// corpusOutcome renders what zbemu answered in the corpus' notation for
// the form of want.
func corpusOutcome(r web.StatementResponse, want string) string {
	if r.Status.State != "SUCCEEDED" {
		if r.Status.Error == nil {
			return r.Status.State
		}
		msg := r.Status.Error.Message
		if strings.HasPrefix(want, "ERROR [") && strings.HasPrefix(msg, "[") {
			if i := strings.Index(msg, "]"); i > 0 {
				return "ERROR " + msg[:i+1]
			}
		}
		return "ERROR " + r.Status.Error.ErrorCode + ": " + msg
	}
	if strings.HasPrefix(want, "COLUMNS ") {
		var names []string
		for _, c := range r.Manifest.Schema.Columns {
			names = append(names, c.Name)
		}
		return "COLUMNS " + strings.Join(names, " | ")
	}
	if r.Result == nil || len(r.Result.DataArray) == 0 {
		return "(no rows)"
	}
	var cells []string
	for _, v := range r.Result.DataArray[0] {
		switch {
		case v == nil:
			cells = append(cells, "NULL")
		case *v == "":
			cells = append(cells, "<empty>")
		default:
			cells = append(cells, *v)
		}
	}
	return strings.Join(cells, " | ")
}

// familyStats counts one family's examples.
type familyStats struct{ total, pass int }

func TestSparkCorpus(t *testing.T) {
	t.Parallel()
	examples := loadCorpus(t)
	if len(examples) < 300 {
		t.Fatalf("the corpus has %d examples; it should keep at least 300", len(examples))
	}
	known := map[string]string{}
	for _, l := range readTSV(t, filepath.Join(corpusDir, "known_differences.tsv")) {
		known[l[0]] = l[1]
	}
	listed := map[string]bool{}
	s := startServer(t, "", "--memory")
	stats := map[string]*familyStats{}
	for _, ex := range examples {
		st := stats[ex.family]
		if st == nil {
			st = &familyStats{}
			stats[ex.family] = st
		}
		st.total++
		got := corpusOutcome(s.sqlResult(ex.sql), ex.want)
		_, isKnown := known[ex.sql]
		listed[ex.sql] = isKnown
		switch {
		case got == ex.want:
			st.pass++
			if isKnown {
				t.Errorf("%s: %s now answers as Databricks does; remove it from known_differences.tsv", ex.family, ex.sql)
			}
		case !isKnown:
			t.Errorf("%s: %s\n got  %s\n want %s\n(fix it, or list it in %s with the reason)", ex.family, ex.sql, got, ex.want, filepath.Join(corpusDir, "known_differences.tsv"))
		}
	}
	for sql := range known {
		if _, ok := listed[sql]; !ok {
			t.Errorf("known_differences.tsv lists %q, which is not in the corpus", sql)
		}
	}
	checkCorpusReadme(t, corpusTable(stats))
}

// corpusTable renders the README table of pass rates per family.
func corpusTable(stats map[string]*familyStats) string {
	families := make([]string, 0, len(stats))
	for f := range stats {
		families = append(families, f)
	}
	sort.Strings(families)
	var b strings.Builder
	b.WriteString("| family | examples | as Databricks | known differences | pass rate |\n|---|---|---|---|---|\n")
	var all familyStats
	for _, f := range families {
		st := stats[f]
		all.total += st.total
		all.pass += st.pass
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.0f%% |\n", f, st.total, st.pass, st.total-st.pass, 100*float64(st.pass)/float64(st.total))
	}
	fmt.Fprintf(&b, "| **all** | %d | %d | %d | %.0f%% |\n", all.total, all.pass, all.total-all.pass, 100*float64(all.pass)/float64(all.total))
	return b.String()
}

const (
	corpusBegin = "<!-- spark-corpus: generated by go test ./cmd/zbemu -run TestSparkCorpus -update -->\n"
	corpusEnd   = "<!-- /spark-corpus -->"
)

// checkCorpusReadme compares the README's table with table, or rewrites it
// with -update.
func checkCorpusReadme(t *testing.T, table string) {
	path := filepath.Join("..", "..", "README.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i, j := strings.Index(readme, corpusBegin), strings.Index(readme, corpusEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no section between %q and %q", strings.TrimSpace(corpusBegin), corpusEnd)
	}
	current := readme[i+len(corpusBegin) : j]
	if current == table {
		return
	}
	if !golden.Updating() {
		t.Errorf("README.md's corpus table is stale (rerun with -update):\n%s", table)
		return
	}
	if err := os.WriteFile(path, []byte(readme[:i+len(corpusBegin)]+table+readme[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}
