package delta

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// HiveNull is the folder value of a NULL partition value, as Hive and
// Spark name it.
const HiveNull = "__HIVE_DEFAULT_PARTITION__"

// PartitionDir is the Hive-style folder of one partition, relative to the
// table: col=value per partition column, with the characters Hive escapes
// written %XX (Spark's ExternalCatalogUtils.escapePathName) and NULL (or
// "", which Spark stores as NULL) as HiveNull.
func PartitionDir(cols []string, values []*string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		v := HiveNull
		if values[i] != nil && *values[i] != "" {
			v = escapeHive(*values[i])
		}
		parts[i] = escapeHive(c) + "=" + v
	}
	return strings.Join(parts, "/")
}

func escapeHive(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// AddPath is the path of an add or remove action for a file at rel
// (slash-separated, relative to the table): the protocol stores paths as
// RFC 2396 URIs, so each segment is percent-encoded (a Hive escape %3A
// becomes %253A, as Spark writes it).
func AddPath(rel string) string {
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// FilePath is where the file of an add action's path lies under the table
// folder dir.
func FilePath(dir, addPath string) (string, error) {
	rel, err := url.PathUnescape(addPath)
	if err != nil {
		return "", fmt.Errorf("delta: file path %q: %w", addPath, err)
	}
	if filepath.IsAbs(rel) || strings.Contains(rel, "..") {
		return "", fmt.Errorf("delta: file path %q leaves the table folder", addPath)
	}
	return filepath.Join(dir, filepath.FromSlash(rel)), nil
}

// JSON renders the statistics as an add action's stats text.
func (s Stats) JSON() string {
	b, err := json.Marshal(s)
	if err != nil {
		// Only numbers, strings and maps of them: cannot fail.
		panic("delta: encode stats: " + err.Error())
	}
	return string(b)
}

// CheckpointPath is the single-file checkpoint of version v.
func CheckpointPath(dir string, v int64) string {
	return filepath.Join(dir, LogDir, fmt.Sprintf("%020d.checkpoint.parquet", v))
}

// LastCheckpoint is the content of _delta_log/_last_checkpoint.
type LastCheckpoint struct {
	Version int64 `json:"version"`
	Size    int64 `json:"size"`
}

// LastCheckpointFile is the name of the pointer to the latest checkpoint.
const LastCheckpointFile = "_last_checkpoint"

// WriteCheckpoint writes the checkpoint of version v of the table at dir:
// snapshot is the table's state at v (protocol, metaData, txn, add and
// remove actions), one action a row. write renders the Parquet file: it
// gets a file of the actions as JSON lines, each with one key of the
// checkpoint schema (txn, add, remove, metaData, protocol), and the path
// to create. The checkpoint appears whole (rename), then _last_checkpoint
// points to it (rename too), so a reader sees either the old checkpoint or
// the new one.
func WriteCheckpoint(dir string, v int64, snapshot []Action, write func(jsonPath, parquetPath string) error) error {
	logDir := filepath.Join(dir, LogDir)
	data, err := EncodeActions(snapshot)
	if err != nil {
		return err
	}
	tmp := filepath.Join(logDir, fmt.Sprintf(".tmp-checkpoint-%020d", v))
	if err := os.WriteFile(tmp+".json", data, 0o644); err != nil {
		return fmt.Errorf("delta: checkpoint %d: %w", v, err)
	}
	defer os.Remove(tmp + ".json")
	defer os.Remove(tmp + ".parquet")
	if err := write(tmp+".json", tmp+".parquet"); err != nil {
		return fmt.Errorf("delta: checkpoint %d: %w", v, err)
	}
	if err := syncFile(tmp + ".parquet"); err != nil {
		return err
	}
	if err := os.Rename(tmp+".parquet", CheckpointPath(dir, v)); err != nil {
		return fmt.Errorf("delta: checkpoint %d: %w", v, err)
	}
	last, _ := json.Marshal(LastCheckpoint{Version: v, Size: int64(len(snapshot))})
	if err := os.WriteFile(tmp+".last", last, 0o644); err != nil {
		return fmt.Errorf("delta: checkpoint %d: %w", v, err)
	}
	if err := syncFile(tmp + ".last"); err != nil {
		return err
	}
	if err := os.Rename(tmp+".last", filepath.Join(logDir, LastCheckpointFile)); err != nil {
		return fmt.Errorf("delta: checkpoint %d: %w", v, err)
	}
	return syncDir(logDir)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("delta: sync %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("delta: sync %s: %w", path, err)
	}
	return nil
}

// RemoveTemporary deletes what an interrupted writer left in the log
// folder of dir: unfinished commit and checkpoint files.
func RemoveTemporary(dir string) error {
	left, err := filepath.Glob(filepath.Join(dir, LogDir, ".tmp-*"))
	if err != nil {
		return err
	}
	for _, f := range left {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("delta: remove %s: %w", f, err)
		}
	}
	return nil
}
