package delta

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrVersionExists reports that another writer committed the version first.
var ErrVersionExists = errors.New("delta: version already exists")

// LogDir is the name of a table's transaction log folder.
const LogDir = "_delta_log"

// TableDir is where zbemu keeps the Delta table of catalog.schema.table
// under root (the data directory's "delta" folder).
func TableDir(root, catalog, schema, table string) string {
	return filepath.Join(root, catalog, schema, table)
}

// CommitPath is the commit file of version v of the table at dir.
func CommitPath(dir string, v int64) string {
	return filepath.Join(dir, LogDir, fmt.Sprintf("%020d.json", v))
}

// WriteCommit creates version v of the table at dir with actions, atomically:
// it fails with ErrVersionExists when v is already committed and leaves no
// partial file behind on any failure.
func WriteCommit(dir string, v int64, actions []Action) error {
	data, err := EncodeActions(actions)
	if err != nil {
		return err
	}
	logDir := filepath.Join(dir, LogDir)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("delta: create log folder: %w", err)
	}
	tmp, err := os.CreateTemp(logDir, ".tmp-commit-*")
	if err != nil {
		return fmt.Errorf("delta: commit %d: %w", v, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("delta: commit %d: %w", v, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("delta: commit %d: %w", v, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("delta: commit %d: %w", v, err)
	}
	if err := os.Link(tmp.Name(), CommitPath(dir, v)); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %d in %s", ErrVersionExists, v, dir)
		}
		return fmt.Errorf("delta: commit %d: %w", v, err)
	}
	return syncDir(logDir)
}

// ReadCommit returns the actions of version v of the table at dir.
func ReadCommit(dir string, v int64) ([]Action, error) {
	data, err := os.ReadFile(CommitPath(dir, v))
	if err != nil {
		return nil, fmt.Errorf("delta: read version %d: %w", v, err)
	}
	return DecodeActions(data)
}

// Versions lists the committed versions of the table at dir in ascending
// order (none when the table has no log yet).
func Versions(dir string) ([]int64, error) {
	entries, err := os.ReadDir(filepath.Join(dir, LogDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("delta: list log: %w", err)
	}
	var out []int64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || len(name) != 20 {
			continue
		}
		v, err := strconv.ParseInt(name, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// syncDir makes a directory entry durable (the new commit file's name).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("delta: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("delta: sync %s: %w", dir, err)
	}
	return nil
}
