package delta

import (
	"encoding/json"
	"fmt"
	"time"
)

// Commit is one version of a table as DESCRIBE HISTORY shows it.
type Commit struct {
	Version int64
	// Timestamp is the commit time in Unix milliseconds: the in-commit
	// timestamp, else commitInfo's timestamp, else the commit file's
	// modification time, made strictly increasing as the protocol's
	// readers do (a commit is never earlier than the one before it).
	// zbemu prefers commitInfo's timestamp to the file's time so that a
	// table copied to another folder keeps its history.
	Timestamp int64
	// Info is the commit's commitInfo action, field by field as the
	// writer wrote it; nil when the commit has none.
	Info map[string]json.RawMessage
}

// History returns the commits of the table at dir that still have a JSON
// commit file, newest first.
func History(dir string) ([]Commit, error) {
	l, err := listLog(dir)
	if err != nil {
		return nil, err
	}
	var out []Commit
	prev := int64(-1 << 62)
	for v := l.earliest; v <= l.latest; v++ {
		if !l.commits[v] {
			continue // covered by the checkpoint the log starts from
		}
		lines, err := readCommitLines(dir, v)
		if err != nil {
			return nil, err
		}
		c := Commit{Version: v}
		for _, a := range lines {
			if a.CommitInfo != nil {
				c.Timestamp = commitTimestamp(a.CommitInfo)
				if err := json.Unmarshal(a.CommitInfo, &c.Info); err != nil {
					return nil, fmt.Errorf("%w: version %d commitInfo: %v", ErrCorruptLog, v, err)
				}
			}
		}
		if c.Timestamp == 0 {
			c.Timestamp = commitFileTime(dir, v)
		}
		if c.Timestamp <= prev {
			c.Timestamp = prev + 1
		}
		prev = c.Timestamp
		out = append(out, c)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// VersionAtTimestamp returns the latest version whose commit time is at or
// before t (Unix milliseconds), as TIMESTAMP AS OF resolves it. A time
// before the first commit or after the last one fails with a
// *TimestampError, as Databricks refuses both.
func VersionAtTimestamp(dir string, t int64) (int64, error) {
	hs, err := History(dir)
	if err != nil {
		return 0, err
	}
	if len(hs) == 0 {
		return 0, &NotTableError{Dir: dir}
	}
	first, last := hs[len(hs)-1], hs[0]
	if t > last.Timestamp {
		return 0, &TimestampError{Requested: t, Earliest: first.Timestamp, Latest: last.Timestamp, After: true}
	}
	for _, c := range hs {
		if c.Timestamp <= t {
			return c.Version, nil
		}
	}
	return 0, &TimestampError{Requested: t, Earliest: first.Timestamp, Latest: last.Timestamp}
}

// formatMillis renders Unix milliseconds as Databricks prints timestamps
// in these errors.
func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}
