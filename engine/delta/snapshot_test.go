package delta

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestLoadFixtures replays logs written by Spark, Databricks and delta-rs
// (testdata/README.md) and checks what their own commit files say.
func TestLoadFixtures(t *testing.T) {
	cases := []struct {
		dir       string
		version   int64
		files     int
		columns   []SnapshotColumn
		partition map[string]string // one file's partition values
	}{
		{dir: "simple_table", version: -1, files: 5,
			columns: []SnapshotColumn{{Name: "id", Physical: "id", TypeText: "BIGINT", Nullable: true}}},
		{dir: "simple_table", version: 0, files: 6},
		{dir: "simple_table", version: 1, files: 22},
		{dir: "simple_table", version: 3, files: 6},
		// The checkpoint at 10 holds 11 adds; version 5 replays JSON only.
		{dir: "simple_table_with_checkpoint", version: -1, files: 11,
			columns: []SnapshotColumn{{Name: "version", Physical: "version", TypeText: "INT", Nullable: true}}},
		{dir: "simple_table_with_checkpoint", version: 10, files: 11},
		{dir: "simple_table_with_checkpoint", version: 5, files: 6},
		{dir: "delta-0.8.0-partitioned", version: -1, files: 6,
			columns: []SnapshotColumn{
				{Name: "value", Physical: "value", TypeText: "STRING", Nullable: true},
				{Name: "year", Physical: "year", TypeText: "STRING", Nullable: true, Partition: true},
				{Name: "month", Physical: "month", TypeText: "STRING", Nullable: true, Partition: true},
				{Name: "day", Physical: "day", TypeText: "STRING", Nullable: true, Partition: true}},
			partition: map[string]string{"year": "2020", "month": "1", "day": "1"}},
		{dir: "table_with_column_mapping", version: -1, files: 2,
			columns: []SnapshotColumn{
				{Name: "Company Very Short", Physical: "col-173b4db9-b5ad-427f-9e75-516aae37fbbb", TypeText: "STRING", Nullable: true, Partition: true},
				{Name: "Super Name", Physical: "col-3877fd94-0973-4941-ac6b-646849a1ff65", TypeText: "STRING", Nullable: true}},
			partition: map[string]string{"col-173b4db9-b5ad-427f-9e75-516aae37fbbb": "BME"}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", c.dir)
			s, err := Load(dir, c.version)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Files) != c.files {
				t.Errorf("version %d: %d files, want %d: %+v", s.Version, len(s.Files), c.files, s.Files)
			}
			for _, f := range s.Files {
				if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
					t.Errorf("live file %s: %v", f.Path, err)
				}
			}
			if c.columns != nil {
				cols, err := s.Columns()
				if err != nil || !reflect.DeepEqual(cols, c.columns) {
					t.Errorf("Columns = %+v, %v; want %+v", cols, err, c.columns)
				}
			}
			if c.partition != nil {
				f := s.Files[0]
				got := map[string]string{}
				for k, v := range f.PartitionValues {
					got[k] = *v
				}
				if !reflect.DeepEqual(got, c.partition) {
					t.Errorf("partition values of %s = %v, want %v", f.Path, got, c.partition)
				}
			}
		})
	}
}

func TestLoadRefusesDeletionVectors(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "table-with-dv-small"), -1)
	var fe *FeatureError
	if !errors.As(err, &fe) || fe.Feature != "deletionVectors" || !strings.Contains(err.Error(), "deletionVectors") {
		t.Fatalf("Load of a table with deletion vectors: %v, want a FeatureError naming deletionVectors", err)
	}
}

// built is a log written in the test per the protocol.
type built struct {
	t   *testing.T
	dir string
}

func newBuilt(t *testing.T) *built {
	b := &built{t: t, dir: t.TempDir()}
	b.commit(0, 1000, `{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`,
		`{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"p\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["p"],"configuration":{}}}`)
	return b
}

// commit writes version v with a commitInfo at ts (Unix ms) and lines.
func (b *built) commit(v, ts int64, lines ...string) {
	b.t.Helper()
	body := `{"commitInfo":{"timestamp":` + strconv.FormatInt(ts, 10) + `,"operation":"WRITE","operationParameters":{"mode":"Append","statsOnLoad":false}}}` + "\n" + strings.Join(lines, "\n") + "\n"
	if err := os.MkdirAll(filepath.Join(b.dir, LogDir), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(CommitPath(b.dir, v), []byte(body), 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func add(path string) string {
	return `{"add":{"path":"` + path + `","partitionValues":{"p":"2024-01-02"},"size":1,"modificationTime":1,"dataChange":true}}`
}

func remove(path string) string {
	return `{"remove":{"path":"` + path + `","dataChange":true}}`
}

func paths(s *Snapshot) []string {
	var out []string
	for _, f := range s.Files {
		out = append(out, f.Path)
	}
	return out
}

func TestLoadBuiltLog(t *testing.T) {
	b := newBuilt(t)
	b.commit(1, 2000, add("p=2024-01-02/f%201.parquet"), add("g.parquet"))
	b.commit(2, 3000, remove("g.parquet"), add("h.parquet"))
	b.commit(3, 4000, remove("p=2024-01-02/f%201.parquet"))
	cases := []struct {
		v    int64
		want []string
	}{
		{0, nil},
		{1, []string{"g.parquet", "p=2024-01-02/f 1.parquet"}},
		{2, []string{"h.parquet", "p=2024-01-02/f 1.parquet"}},
		{3, []string{"h.parquet"}},
		{-1, []string{"h.parquet"}},
	}
	for _, c := range cases {
		s, err := Load(b.dir, c.v)
		if err != nil {
			t.Fatalf("Load(%d): %v", c.v, err)
		}
		if got := paths(s); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Load(%d) files = %v, want %v", c.v, got, c.want)
		}
	}
	for _, v := range []int64{4, 1 << 62} {
		_, err := Load(b.dir, v)
		var ve *VersionError
		if !errors.As(err, &ve) || ve.Earliest != 0 || ve.Latest != 3 || !strings.Contains(err.Error(), "Available versions: [0, 3]") {
			t.Errorf("Load(%d) = %v, want a VersionError [0, 3]", v, err)
		}
	}
}

func TestVersionAtTimestamp(t *testing.T) {
	b := newBuilt(t)
	b.commit(1, 2000, add("a.parquet"))
	b.commit(2, 2000, add("b.parquet")) // same time: made 2001
	b.commit(3, 5000, add("c.parquet"))
	cases := []struct {
		ts      int64
		want    int64
		errText string
	}{
		{1000, 0, ""}, {1999, 0, ""}, {2000, 1, ""}, {2001, 2, ""}, {4999, 2, ""}, {5000, 3, ""},
		{999, 0, "before the earliest version"},
		{5001, 0, "after the table's latest version"},
	}
	for _, c := range cases {
		v, err := VersionAtTimestamp(b.dir, c.ts)
		if c.errText != "" {
			if !errors.Is(err, ErrTimestampOutOfRange) || !strings.Contains(err.Error(), c.errText) {
				t.Errorf("VersionAtTimestamp(%d) = %d, %v; want an error saying %q", c.ts, v, err, c.errText)
			}
			continue
		}
		if err != nil || v != c.want {
			t.Errorf("VersionAtTimestamp(%d) = %d, %v; want %d", c.ts, v, err, c.want)
		}
	}
	hs, err := History(b.dir)
	if err != nil || len(hs) != 4 || hs[0].Version != 3 || string(hs[0].Info["operation"]) != `"WRITE"` {
		t.Fatalf("History = %+v, %v", hs, err)
	}
}

func TestLoadRefuses(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  error
		text  string
	}{
		{"traversal", []string{add("../other/x.parquet")}, ErrCorruptLog, "leaves the table folder"},
		{"encoded traversal", []string{add("%2e%2e/x.parquet")}, ErrCorruptLog, "leaves the table folder"},
		{"absolute", []string{add("/etc/passwd")}, ErrCorruptLog, "leaves the table folder"},
		{"uri", []string{add("s3://bucket/x.parquet")}, ErrCorruptLog, "absolute URI"},
		{"log folder", []string{add("_delta_log/00000000000000000000.json")}, ErrCorruptLog, "leaves the table folder"},
		{"reader feature", []string{`{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["v2Checkpoint"],"writerFeatures":[]}}`}, ErrUnsupportedFeature, "v2Checkpoint"},
		{"reader version", []string{`{"protocol":{"minReaderVersion":4,"minWriterVersion":7}}`}, ErrUnsupportedFeature, "minReaderVersion 4"},
		{"malformed", []string{`{"add":`}, ErrCorruptLog, "line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBuilt(t)
			b.commit(1, 2000, c.lines...)
			_, err := Load(b.dir, -1)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("Load = %v, want %v saying %q", err, c.want, c.text)
			}
		})
	}
	b := newBuilt(t)
	b.commit(2, 2000, add("a.parquet")) // version 1 missing
	if _, err := Load(b.dir, -1); !errors.Is(err, ErrCorruptLog) || !strings.Contains(err.Error(), "version 1 is missing") {
		t.Errorf("Load with a gap: %v", err)
	}
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "nope"), filepath.Join("testdata", "README.md")} {
		if _, err := Load(dir, -1); !errors.Is(err, ErrNotTable) {
			t.Errorf("Load(%s) = %v, want ErrNotTable", dir, err)
		}
	}
}

// TestLoadMultiPartCheckpoint starts from a two-part checkpoint after the
// commits it covers were cleaned up, and ignores one with a missing part.
func TestLoadMultiPartCheckpoint(t *testing.T) {
	b := newBuilt(t)
	b.commit(1, 2000, add("a.parquet"), add("b.parquet"))
	b.commit(2, 3000, remove("a.parquet"), add("c.parquet"))
	b.commit(3, 4000, add("d.parquet"))
	s, err := Load(b.dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	writePart := func(name string, rows []cpRow) {
		f, err := os.Create(filepath.Join(b.dir, LogDir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := parquet.NewGenericWriter[cpRow](f)
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	p := s.Protocol
	m := s.Metadata
	pv := map[string]string{"p": "2024-01-02"}
	writePart("00000000000000000002.checkpoint.0000000001.0000000002.parquet", []cpRow{
		{Protocol: &cpProtocol{MinReaderVersion: int32(p.MinReaderVersion), MinWriterVersion: int32(p.MinWriterVersion)}},
		{MetaData: &cpMetadata{ID: m.ID, SchemaString: m.SchemaString, PartitionColumns: m.PartitionColumns, Format: &cpFormat{Provider: "parquet"}}},
		{Add: &cpAdd{Path: "b.parquet", PartitionValues: pv, Size: 1}}})
	writePart("00000000000000000002.checkpoint.0000000002.0000000002.parquet", []cpRow{
		{Add: &cpAdd{Path: "c.parquet", PartitionValues: pv, Size: 1}}})
	// Version 1's checkpoint lacks its second part: it must be ignored.
	writePart("00000000000000000001.checkpoint.0000000001.0000000002.parquet", []cpRow{{Add: &cpAdd{Path: "zzz.parquet"}}})
	for v := int64(0); v <= 2; v++ {
		if err := os.Remove(CommitPath(b.dir, v)); err != nil {
			t.Fatal(err)
		}
	}
	for v, want := range map[int64][]string{2: {"b.parquet", "c.parquet"}, 3: {"b.parquet", "c.parquet", "d.parquet"}} {
		s, err := Load(b.dir, v)
		if err != nil {
			t.Fatalf("Load(%d): %v", v, err)
		}
		if got := paths(s); !reflect.DeepEqual(got, want) {
			t.Errorf("Load(%d) = %v, want %v", v, got, want)
		}
		if cols, err := s.Columns(); err != nil || len(cols) != 2 || !cols[1].Partition || cols[1].TypeText != "DATE" {
			t.Errorf("Load(%d) columns = %+v, %v", v, cols, err)
		}
	}
	if _, err := Load(b.dir, 1); !errors.Is(err, ErrVersionNotFound) || !strings.Contains(err.Error(), "[2, 3]") {
		t.Errorf("Load(1) after cleanup = %v, want versions [2, 3]", err)
	}
}

func TestSQLType(t *testing.T) {
	cases := []struct{ spark, want string }{
		{`"integer"`, "INT"}, {`"long"`, "BIGINT"}, {`"short"`, "SMALLINT"}, {`"byte"`, "TINYINT"},
		{`"float"`, "FLOAT"}, {`"double"`, "DOUBLE"}, {`"decimal(10,2)"`, "DECIMAL(10,2)"},
		{`"string"`, "STRING"}, {`"binary"`, "BINARY"}, {`"boolean"`, "BOOLEAN"}, {`"date"`, "DATE"},
		{`"timestamp"`, "TIMESTAMP"}, {`"timestamp_ntz"`, "TIMESTAMP_NTZ"}, {`"variant"`, "VARIANT"},
		{`{"type":"array","elementType":"string","containsNull":true}`, "ARRAY<STRING>"},
		{`{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"long","containsNull":true},"valueContainsNull":true}`, "MAP<STRING, ARRAY<BIGINT>>"},
		{`{"type":"struct","fields":[{"name":"a b","type":"integer","nullable":false,"metadata":{}},{"name":"c","type":"date","nullable":true,"metadata":{}}]}`, "STRUCT<`a b`: INT NOT NULL, `c`: DATE>"},
	}
	for _, c := range cases {
		got, err := sqlType([]byte(c.spark), 0, false)
		if err != nil || got != c.want {
			t.Errorf("sqlType(%s) = %q, %v; want %q", c.spark, got, err, c.want)
		}
	}
	for _, bad := range []string{`"interval"`, `{"type":"udt"}`, `"void"`} {
		if _, err := sqlType([]byte(bad), 0, false); !errors.Is(err, ErrUnsupportedFeature) {
			t.Errorf("sqlType(%s) = %v, want ErrUnsupportedFeature", bad, err)
		}
	}
	deep := strings.Repeat(`{"type":"array","elementType":`, 200) + `"long"` + strings.Repeat(`}`, 200)
	if _, err := sqlType([]byte(deep), 0, false); !errors.Is(err, ErrCorruptLog) {
		t.Errorf("sqlType of 200 nested arrays = %v, want ErrCorruptLog", err)
	}
}
