package deltatest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/zbemu/zbemu/engine/delta"
)

// Row is a row of the tables this package writes: id BIGINT, name STRING,
// and the partition column p (STRING) whose value lives in the add action.
type Row struct {
	ID   int64   `parquet:"id"`
	Name *string `parquet:"name,optional"`
}

// Schema is the Spark schema of Row plus p.
const Schema = `{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},` +
	`{"name":"name","type":"string","nullable":true,"metadata":{}},{"name":"p","type":"string","nullable":true,"metadata":{}}]}`

// Table is a Delta table being written.
type Table struct {
	Dir     string
	version int64
	live    []string
	files   int
}

// Create writes version 0 of an empty table partitioned by p at dir, with
// commit time ts (Unix ms).
func Create(dir string, ts int64) (*Table, error) {
	t := &Table{Dir: dir}
	return t, t.commit(ts, "CREATE TABLE", []delta.Action{
		{Protocol: &delta.Protocol{MinReaderVersion: 1, MinWriterVersion: 2}},
		{MetaData: &delta.Metadata{ID: "deltatest", Format: delta.Format{Provider: "parquet", Options: map[string]string{}},
			SchemaString: Schema, PartitionColumns: []string{"p"}, Configuration: map[string]string{}}},
	})
}

// Version is the latest version written.
func (t *Table) Version() int64 { return t.version }

// Write commits the next version at time ts (Unix ms): rows become one
// file per partition value in parts (keyed by p; "" is a null p). With
// overwrite, the files live before are removed first (copy-on-write, as a
// DELETE or UPDATE writes); otherwise the version appends.
func (t *Table) Write(ts int64, op string, overwrite bool, parts map[string][]Row) error {
	var actions []delta.Action
	if overwrite {
		for _, p := range t.live {
			actions = append(actions, delta.Action{Remove: &delta.Remove{Path: p, DataChange: true}})
		}
		t.live = nil
	}
	for p, rows := range parts {
		t.files++
		name := "part-" + strconv.Itoa(t.files) + ".parquet"
		pv := map[string]*string{"p": nil}
		if p != "" {
			name = "p=" + p + "/" + name
			pv["p"] = &p
		}
		path := filepath.Join(t.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := parquet.WriteFile(path, rows); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		actions = append(actions, delta.Action{Add: &delta.Add{Path: name, PartitionValues: pv, Size: fi.Size(),
			ModificationTime: ts, DataChange: true, Stats: `{"numRecords":` + strconv.Itoa(len(rows)) + `}`}})
		t.live = append(t.live, name)
	}
	t.version++
	return t.commit(ts, op, actions)
}

func (t *Table) commit(ts int64, op string, actions []delta.Action) error {
	info := delta.Action{CommitInfo: &delta.CommitInfo{Timestamp: ts, Operation: op,
		OperationParameters: map[string]string{"mode": "Append"}, EngineInfo: "deltatest"}}
	return delta.WriteCommit(t.Dir, t.version, append([]delta.Action{info}, actions...))
}

// Str returns a pointer to s, for Row.Name.
func Str(s string) *string { return &s }

// CopyDir copies the folder src (a test table) to dst.
func CopyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}
