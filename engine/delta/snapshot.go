package delta

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Snapshot is the state of a table at one version, replayed from its log as
// the protocol's Action Reconciliation section describes
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#action-reconciliation):
// the latest protocol and metaData win, and the live files are the add
// actions no later remove cancelled.
type Snapshot struct {
	Version  int64
	Protocol Protocol
	Metadata Metadata
	// Files are the live data files, ordered by path.
	Files []File
}

// File is a live data file of a snapshot.
type File struct {
	// Path is the file's path relative to the table folder, decoded from
	// the add action's URI; it never leaves the table folder.
	Path string
	// PartitionValues are keyed by the partition columns' physical names,
	// as the add action has them; nil is a null partition value.
	PartitionValues map[string]*string
	Size            int64
	Stats           string
}

// logLine is one action of a commit file, read leniently: only what a
// reader needs, unknown actions and fields ignored, commitInfo kept raw
// (writers put numbers and booleans into operationParameters, so its
// values are not all strings).
type logLine struct {
	Protocol   *Protocol       `json:"protocol"`
	MetaData   *Metadata       `json:"metaData"`
	Add        *readFile       `json:"add"`
	Remove     *readFile       `json:"remove"`
	CommitInfo json.RawMessage `json:"commitInfo"`
}

// readFile is an add or remove action as a reader needs it.
type readFile struct {
	Path            string             `json:"path"`
	PartitionValues map[string]*string `json:"partitionValues"`
	Size            int64              `json:"size"`
	Stats           string             `json:"stats"`
	DeletionVector  json.RawMessage    `json:"deletionVector"`
}

// readerFeatures are the reader table features zbemu reads correctly:
// column mapping (by physical name), TIMESTAMP_NTZ, type widening (values
// are cast to the schema's type) and the vacuum protocol check, which only
// concerns writers that vacuum.
var readerFeatures = map[string]bool{
	"columnMapping": true, "timestampNtz": true, "typeWidening": true, "typeWidening-preview": true,
	"vacuumProtocolCheck": true,
}

// maxReaderVersion is the highest minReaderVersion zbemu reads: 3 names
// the reader features, which checkProtocol checks one by one.
const maxReaderVersion = 3

// Load replays the log of the table at dir up to version v (the latest
// version when v < 0). It starts from the newest complete checkpoint at or
// before v and applies the JSON commits after it.
func Load(dir string, v int64) (*Snapshot, error) {
	l, err := listLog(dir)
	if err != nil {
		return nil, err
	}
	if v < 0 {
		v = l.latest
	}
	if v < l.earliest || v > l.latest {
		return nil, &VersionError{Version: v, Earliest: l.earliest, Latest: l.latest}
	}
	s := &Snapshot{Version: v}
	live := map[string]File{}
	from := int64(0)
	if cp, ok := l.checkpointAtOrBefore(v); ok {
		if err := readCheckpoint(dir, cp, s, live); err != nil {
			return nil, err
		}
		from = cp.version + 1
	}
	for n := from; n <= v; n++ {
		if !l.commits[n] {
			return nil, fmt.Errorf("%w: version %d is missing from the log of %s (versions %d to %d must all be there)", ErrCorruptLog, n, dir, from, v)
		}
		lines, err := readCommitLines(dir, n)
		if err != nil {
			return nil, err
		}
		for _, a := range lines {
			if err := s.apply(a, live); err != nil {
				return nil, fmt.Errorf("version %d: %w", n, err)
			}
		}
	}
	if s.Protocol.MinReaderVersion == 0 || s.Metadata.SchemaString == "" {
		return nil, fmt.Errorf("%w: %s has no protocol or metaData action up to version %d", ErrCorruptLog, dir, v)
	}
	if err := checkProtocol(s.Protocol); err != nil {
		return nil, err
	}
	s.Files = make([]File, 0, len(live))
	for _, f := range live {
		s.Files = append(s.Files, f)
	}
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	return s, nil
}

// apply reconciles one action into s and the live files.
func (s *Snapshot) apply(a logLine, live map[string]File) error {
	switch {
	case a.Protocol != nil:
		s.Protocol = *a.Protocol
		if err := checkProtocol(s.Protocol); err != nil {
			return err
		}
	case a.MetaData != nil:
		s.Metadata = *a.MetaData
	case a.Add != nil:
		if len(a.Add.DeletionVector) > 0 && string(a.Add.DeletionVector) != "null" {
			return &FeatureError{Feature: "deletionVectors"}
		}
		p, err := filePath(a.Add.Path)
		if err != nil {
			return err
		}
		live[p] = File{Path: p, PartitionValues: a.Add.PartitionValues, Size: a.Add.Size, Stats: a.Add.Stats}
	case a.Remove != nil:
		p, err := filePath(a.Remove.Path)
		if err != nil {
			return err
		}
		delete(live, p)
	}
	return nil
}

// checkProtocol refuses tables zbemu cannot read correctly, naming what
// is missing.
func checkProtocol(p Protocol) error {
	if p.MinReaderVersion > maxReaderVersion {
		return &FeatureError{Feature: "minReaderVersion " + strconv.Itoa(p.MinReaderVersion)}
	}
	for _, f := range p.ReaderFeatures {
		if !readerFeatures[f] {
			return &FeatureError{Feature: f}
		}
	}
	return nil
}

// filePath decodes an add or remove action's path, a URI relative to the
// table folder, and refuses paths that leave it: a log must not make a
// reader open files of another table or outside the data.
func filePath(raw string) (string, error) {
	if strings.Contains(raw, "://") || strings.HasPrefix(raw, "file:") {
		return "", fmt.Errorf("%w: data file %q is an absolute URI; zbemu reads only files inside the table folder", ErrCorruptLog, raw)
	}
	p, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("%w: data file path %q: %v", ErrCorruptLog, raw, err)
	}
	clean := filepath.Clean(filepath.FromSlash(p))
	if p == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) ||
		strings.HasPrefix(clean, LogDir+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: data file path %q leaves the table folder", ErrCorruptLog, raw)
	}
	return filepath.ToSlash(clean), nil
}

// readCommitLines reads commit file n leniently (see logLine).
func readCommitLines(dir string, n int64) ([]logLine, error) {
	data, err := os.ReadFile(CommitPath(dir, n))
	if err != nil {
		return nil, fmt.Errorf("%w: read version %d: %v", ErrCorruptLog, n, err)
	}
	lines, err := decodeLines[logLine](data)
	if err != nil {
		return nil, fmt.Errorf("%w: version %d %v", ErrCorruptLog, n, err)
	}
	return lines, nil
}

// commitTimestamp is the time of a commit from its commitInfo: the
// in-commit timestamp when the table has that feature, else the timestamp
// writers record; 0 when neither is there.
func commitTimestamp(raw json.RawMessage) int64 {
	var ci struct {
		Timestamp         int64 `json:"timestamp"`
		InCommitTimestamp int64 `json:"inCommitTimestamp"`
	}
	if json.Unmarshal(raw, &ci) != nil {
		return 0
	}
	if ci.InCommitTimestamp != 0 {
		return ci.InCommitTimestamp
	}
	return ci.Timestamp
}

// commitFileTime is the modification time of commit file v, the commit
// time the protocol gives a commit without in-commit timestamps.
func commitFileTime(dir string, v int64) int64 {
	fi, err := os.Stat(CommitPath(dir, v))
	if err != nil {
		return 0
	}
	return fi.ModTime().UnixMilli()
}

// logListing is what a listing of _delta_log holds.
type logListing struct {
	commits          map[int64]bool
	earliest, latest int64
	checkpoints      []checkpoint // ascending by version
}

// checkpoint is a complete classic or multi-part checkpoint.
type checkpoint struct {
	version int64
	parts   []string // file names in _delta_log, in part order
}

// listLog lists the table's commits and complete checkpoints. A folder
// without _delta_log, or with no commit in it, is not a Delta table.
func listLog(dir string) (*logListing, error) {
	entries, err := os.ReadDir(filepath.Join(dir, LogDir))
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, &NotTableError{Dir: dir}
	}
	if err != nil {
		return nil, fmt.Errorf("delta: list log of %s: %w", dir, err)
	}
	l := &logListing{commits: map[int64]bool{}, earliest: -1, latest: -1}
	type parts struct {
		total int
		names map[int]string
	}
	multi := map[int64]*parts{}
	for _, e := range entries {
		name := e.Name()
		if len(name) < 21 || name[20] != '.' {
			continue
		}
		v, err := strconv.ParseInt(name[:20], 10, 64)
		if err != nil || v < 0 {
			continue
		}
		switch rest := name[21:]; {
		case rest == "json":
			l.commits[v] = true
			if l.latest < v {
				l.latest = v
			}
		case rest == "checkpoint.parquet":
			l.checkpoints = append(l.checkpoints, checkpoint{version: v, parts: []string{name}})
		case strings.HasPrefix(rest, "checkpoint.") && strings.HasSuffix(rest, ".parquet"):
			// n.checkpoint.o.p.parquet; UUID-named (V2) checkpoints need
			// the v2Checkpoint reader feature, which checkProtocol refuses.
			f := strings.Split(strings.TrimSuffix(strings.TrimPrefix(rest, "checkpoint."), ".parquet"), ".")
			if len(f) != 2 {
				continue
			}
			o, err1 := strconv.Atoi(f[0])
			p, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil || o < 1 || p < 1 || o > p || p > 1<<16 {
				continue
			}
			m := multi[v]
			if m == nil || m.total != p {
				m = &parts{total: p, names: map[int]string{}}
				multi[v] = m
			}
			m.names[o] = name
		}
	}
	for v, m := range multi {
		if len(m.names) != m.total {
			continue // readers must ignore a multi-part checkpoint with missing parts
		}
		cp := checkpoint{version: v}
		for o := 1; o <= m.total; o++ {
			cp.parts = append(cp.parts, m.names[o])
		}
		l.checkpoints = append(l.checkpoints, cp)
	}
	sort.Slice(l.checkpoints, func(i, j int) bool { return l.checkpoints[i].version < l.checkpoints[j].version })
	if len(l.checkpoints) > 0 && l.checkpoints[len(l.checkpoints)-1].version > l.latest {
		l.latest = l.checkpoints[len(l.checkpoints)-1].version
	}
	if l.latest < 0 {
		return nil, &NotTableError{Dir: dir}
	}
	// The earliest version a reader can reconstruct: 0 when the log starts
	// there, else the oldest checkpoint (metadata cleanup deletes the
	// commits it covers).
	switch {
	case l.commits[0]:
		l.earliest = 0
	case len(l.checkpoints) > 0:
		l.earliest = l.checkpoints[0].version
	default:
		return nil, fmt.Errorf("%w: %s has neither version 0 nor a checkpoint to start from", ErrCorruptLog, dir)
	}
	return l, nil
}

// checkpointAtOrBefore returns the newest checkpoint at or before v. The
// listing of the local _delta_log has every checkpoint, so zbemu does not
// need _last_checkpoint, which only saves object stores a long listing.
func (l *logListing) checkpointAtOrBefore(v int64) (checkpoint, bool) {
	for i := len(l.checkpoints) - 1; i >= 0; i-- {
		if l.checkpoints[i].version <= v {
			return l.checkpoints[i], true
		}
	}
	return checkpoint{}, false
}
