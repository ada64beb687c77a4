package delta

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestWriteCommitIsPutIfAbsent(t *testing.T) {
	dir := t.TempDir()
	n := int64(7)
	first := []Action{
		{Protocol: &Protocol{MinReaderVersion: 1, MinWriterVersion: 2}},
		{MetaData: &Metadata{ID: "id-1", Format: Format{Provider: "parquet", Options: map[string]string{}},
			SchemaString: `{"type":"struct","fields":[]}`, PartitionColumns: []string{}, Configuration: map[string]string{}}},
		{CommitInfo: &CommitInfo{Timestamp: 1, Operation: "CREATE TABLE"}},
	}
	if err := WriteCommit(dir, 0, first); err != nil {
		t.Fatal(err)
	}
	if err := WriteCommit(dir, 0, first); !errors.Is(err, ErrVersionExists) {
		t.Fatalf("second commit of version 0: got %v, want ErrVersionExists", err)
	}
	second := []Action{{Add: &Add{Path: "part-0.parquet", PartitionValues: map[string]*string{}, Size: n, DataChange: true, Stats: `{"numRecords":3}`}}}
	if err := WriteCommit(dir, 1, second); err != nil {
		t.Fatal(err)
	}
	vs, err := Versions(dir)
	if err != nil || !reflect.DeepEqual(vs, []int64{0, 1}) {
		t.Fatalf("Versions = %v, %v; want [0 1]", vs, err)
	}
	got, err := ReadCommit(dir, 0)
	if err != nil || !reflect.DeepEqual(got, first) {
		t.Fatalf("ReadCommit(0) = %+v, %v; want %+v", got, err, first)
	}
	got, err = ReadCommit(dir, 1)
	if err != nil || !reflect.DeepEqual(got, second) {
		t.Fatalf("ReadCommit(1) = %+v, %v; want %+v", got, err, second)
	}
	left, _ := filepath.Glob(filepath.Join(dir, LogDir, ".tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

func TestDecodeActionsSkipsUnknownActions(t *testing.T) {
	data := []byte(`{"domainMetadata":{"domain":"x","configuration":"{}","removed":false}}` + "\n" +
		`{"add":{"path":"a.parquet","partitionValues":{"p":null},"size":10,"modificationTime":5,"dataChange":true}}` + "\n")
	got, err := DecodeActions(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (Action{}) || got[1].Add == nil || got[1].Add.PartitionValues["p"] != nil {
		t.Fatalf("DecodeActions = %+v", got)
	}
	if _, err := DecodeActions([]byte("{not json\n")); err == nil {
		t.Fatal("malformed line accepted")
	}
	if _, err := os.Stat(CommitPath(t.TempDir(), 0)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("CommitPath of an empty table exists: %v", err)
	}
}
