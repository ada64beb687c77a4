package delta

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// cpRow is one row of a V1 checkpoint (a classic or multi-part checkpoint
// Parquet file): exactly one action column is set. The columns are the
// JSON actions' fields, read by name; parquet-go converts the file's
// schema to this one and leaves what a file lacks at its zero value
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#checkpoint-schema).
type cpRow struct {
	Protocol *cpProtocol `parquet:"protocol,optional"`
	MetaData *cpMetadata `parquet:"metaData,optional"`
	Add      *cpAdd      `parquet:"add,optional"`
}

type cpProtocol struct {
	MinReaderVersion int32    `parquet:"minReaderVersion"`
	MinWriterVersion int32    `parquet:"minWriterVersion"`
	ReaderFeatures   []string `parquet:"readerFeatures,optional,list"`
	WriterFeatures   []string `parquet:"writerFeatures,optional,list"`
}

type cpFormat struct {
	Provider string            `parquet:"provider,optional"`
	Options  map[string]string `parquet:"options,optional"`
}

type cpMetadata struct {
	ID               string            `parquet:"id,optional"`
	Name             *string           `parquet:"name,optional"`
	Description      *string           `parquet:"description,optional"`
	Format           *cpFormat         `parquet:"format,optional"`
	SchemaString     string            `parquet:"schemaString,optional"`
	PartitionColumns []string          `parquet:"partitionColumns,optional,list"`
	Configuration    map[string]string `parquet:"configuration,optional"`
	CreatedTime      *int64            `parquet:"createdTime,optional"`
}

type cpDeletionVector struct {
	StorageType string `parquet:"storageType,optional"`
}

type cpAdd struct {
	Path            string            `parquet:"path,optional"`
	PartitionValues map[string]string `parquet:"partitionValues,optional"`
	Size            int64             `parquet:"size,optional"`
	Stats           *string           `parquet:"stats,optional"`
	DeletionVector  *cpDeletionVector `parquet:"deletionVector,optional"`
}

// readCheckpoint loads the state a checkpoint holds into s and live: the
// protocol, metadata and live add files (remove tombstones and txn do not
// matter to a reader of rows).
func readCheckpoint(dir string, cp checkpoint, s *Snapshot, live map[string]File) error {
	for _, name := range cp.parts {
		if err := readCheckpointPart(filepath.Join(dir, LogDir, name), s, live); err != nil {
			return fmt.Errorf("checkpoint %d (%s): %w", cp.version, name, err)
		}
	}
	return nil
}

func readCheckpointPart(path string, s *Snapshot, live map[string]File) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorruptLog, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorruptLog, err)
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorruptLog, err)
	}
	r := parquet.NewGenericReader[cpRow](pf)
	defer r.Close()
	rows := make([]cpRow, 128)
	for {
		n, err := r.Read(rows)
		for i := range rows[:n] {
			if err := s.applyCheckpointRow(&rows[i], live); err != nil {
				return err
			}
			rows[i] = cpRow{}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorruptLog, err)
		}
	}
}

func (s *Snapshot) applyCheckpointRow(row *cpRow, live map[string]File) error {
	switch {
	case row.Protocol != nil:
		p := row.Protocol
		return s.apply(logLine{Protocol: &Protocol{MinReaderVersion: int(p.MinReaderVersion), MinWriterVersion: int(p.MinWriterVersion),
			ReaderFeatures: p.ReaderFeatures, WriterFeatures: p.WriterFeatures}}, live)
	case row.MetaData != nil:
		m := row.MetaData
		md := Metadata{ID: m.ID, SchemaString: m.SchemaString, PartitionColumns: m.PartitionColumns,
			Configuration: m.Configuration, CreatedTime: m.CreatedTime}
		if m.Name != nil {
			md.Name = *m.Name
		}
		if m.Description != nil {
			md.Description = *m.Description
		}
		if m.Format != nil {
			md.Format = Format{Provider: m.Format.Provider, Options: m.Format.Options}
		}
		return s.apply(logLine{MetaData: &md}, live)
	case row.Add != nil && row.Add.Path != "":
		a := row.Add
		if a.DeletionVector != nil && a.DeletionVector.StorageType != "" {
			return &FeatureError{Feature: "deletionVectors"}
		}
		rf := &readFile{Path: a.Path, Size: a.Size, PartitionValues: map[string]*string{}}
		for k, v := range a.PartitionValues {
			rf.PartitionValues[k] = &v
		}
		if a.Stats != nil {
			rf.Stats = *a.Stats
		}
		return s.apply(logLine{Add: rf}, live)
	}
	return nil
}
