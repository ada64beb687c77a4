package systables

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/sqlalert"
)

// timeLayout is how timestamps are stored: UTC, fixed width, so text order
// is time order and sqlite3's date functions read it.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// tableSpec is one system table as stored in SQLite: the engine's column
// list (the read contract) plus an id key and the column retention prunes by.
type tableSpec struct {
	def     engine.SystemTableDef
	sqlName string // SQLite table name: the last part of the system name
	timeCol string
	insert  string
	selectQ string
}

// specs are the stored tables, keyed by engine.SystemTableDef.Key.
var specs = func() map[string]*tableSpec {
	timeCols := map[string]string{"zerobus_stream": "event_time", "zerobus_ingest": "commit_time",
		"rejected_records": "time", "warnings": "time", "alert_events": "event_time"}
	out := map[string]*tableSpec{}
	for _, d := range engine.SystemTableDefs() {
		names := make([]string, len(d.Columns))
		for i, c := range d.Columns {
			names[i] = quoteIdent(c.Name)
		}
		list := strings.Join(names, ", ")
		out[d.Key()] = &tableSpec{def: d, sqlName: d.Name, timeCol: timeCols[d.Name],
			insert:  fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", d.Name, list, strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")),
			selectQ: fmt.Sprintf("SELECT id, %s FROM %s WHERE id > ? AND id <= ? ORDER BY id LIMIT ?", list, d.Name)}
	}
	return out
}()

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// schemaDDL creates the tables from the engine's definitions, so the stored
// columns can never drift from what SQL reads.
func schemaDDL() string {
	var b strings.Builder
	for _, d := range engine.SystemTableDefs() {
		sp := specs[d.Key()]
		fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n  id INTEGER PRIMARY KEY", sp.sqlName)
		for _, c := range d.Columns {
			typ := "TEXT"
			if c.Type == "BIGINT" {
				typ = "INTEGER"
			}
			fmt.Fprintf(&b, ",\n  %s %s", quoteIdent(c.Name), typ)
		}
		fmt.Fprintf(&b, "\n);\nCREATE INDEX IF NOT EXISTS %[1]s_%[2]s ON %[1]s(%[2]s);\n", sp.sqlName, sp.timeCol)
	}
	return b.String()
}

// row is one event ready for its table's INSERT.
type row struct {
	spec *tableSpec
	vals []any
}

// errorJSON is one element of a stored errors array.
type errorJSON struct {
	Code      string `json:"error_code"`
	Message   string `json:"error_message"`
	Timestamp string `json:"timestamp"`
}

func errorsText(errs []engine.StreamError) string {
	out := make([]errorJSON, len(errs))
	for i, e := range errs {
		out[i] = errorJSON{Code: e.Code, Message: e.Message, Timestamp: e.Time.UTC().Format(timeLayout)}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func parseErrors(text string) ([]engine.StreamError, error) {
	var in []errorJSON
	if err := json.Unmarshal([]byte(text), &in); err != nil {
		return nil, fmt.Errorf("errors column %q: %w", text, err)
	}
	out := make([]engine.StreamError, len(in))
	for i, e := range in {
		t, err := time.Parse(timeLayout, e.Timestamp)
		if err != nil {
			return nil, err
		}
		out[i] = engine.StreamError{Code: e.Code, Message: e.Message, Time: t}
	}
	return out, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rawText keeps a rejected record readable: JSON as it was sent, anything
// that is not UTF-8 (protobuf) as base64.
func rawText(raw []byte) any {
	if raw == nil {
		return nil
	}
	if utf8.Valid(raw) {
		return string(raw)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// toRow converts a queued event into its table's row, in the column order
// of engine.SystemTableDefs.
func (s *Store) toRow(ev any) row {
	acc, ws := s.opts.AccountID, s.opts.WorkspaceID
	switch e := ev.(type) {
	case engine.StreamEvent:
		return row{specs["lakeflow.zerobus_stream"], []any{acc, ws, e.StreamID, formatTime(e.Time), nil, formatTime(e.OpenedTime),
			formatTime(e.ClosedTime), e.TableID, e.TableName, e.Protocol, e.DataFormat, errorsText(e.Errors)}}
	case engine.CommitEvent:
		return row{specs["lakeflow.zerobus_ingest"], []any{acc, ws, e.StreamID, e.TableID, e.TableName, s.versionBase[e.TableID] + e.CommitVersion,
			formatTime(e.CommitTime), e.CommittedRecords, e.CommittedBytes, "[]"}}
	case engine.RejectedRecord:
		return row{specs["zbemu.rejected_records"], []any{formatTime(e.Time), e.TableName, e.StreamID, e.Protocol, e.Offset,
			int64(e.Index), nullable(e.Column), nullable(e.Reason), nullable(e.Hint), e.Message, rawText(e.Raw)}}
	case engine.TimestampWarning:
		return row{specs["zbemu.warnings"], []any{formatTime(e.Time), e.TableName, e.StreamID, e.Protocol, e.Offset,
			int64(e.Index), e.Column, e.Unit, e.Value, e.Records, e.Unsampled, e.Hint, rawText(e.Raw)}}
	case sqlalert.Event:
		return row{specs["zbemu.alert_events"], []any{formatTime(e.Time), e.Alert, e.State, e.RowCount, nullable(e.Sample),
			nullable(e.Message), e.Query, nullable(e.WebhookURL), nullable(e.WebhookStatus)}}
	}
	panic(fmt.Sprintf("systables: unknown event %T", ev))
}

func (s *Store) spec(table string) (*tableSpec, error) {
	sp, ok := specs[strings.ToLower(table)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTable, table)
	}
	return sp, nil
}

// SystemSnapshot implements engine.SystemTables: it writes every queued
// event and returns the highest key of table.
func (s *Store) SystemSnapshot(ctx context.Context, table string) (int64, error) {
	sp, err := s.spec(table)
	if err != nil {
		return 0, err
	}
	if err := s.Flush(ctx); err != nil {
		return 0, err
	}
	var max sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT max(id) FROM "+sp.sqlName).Scan(&max); err != nil {
		return 0, fmt.Errorf("snapshot %s: %w", table, err)
	}
	return max.Int64, nil
}

// SystemRows implements engine.SystemTables: one page of rows with keys in
// (after, upTo], decoded into the engine's value types.
func (s *Store) SystemRows(ctx context.Context, table string, after, upTo int64, limit int) ([][]any, int64, error) {
	sp, err := s.spec(table)
	if err != nil {
		return nil, after, err
	}
	rows, err := s.db.QueryContext(ctx, sp.selectQ, after, upTo, limit)
	if err != nil {
		return nil, after, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	cols := sp.def.Columns
	var out [][]any
	last := after
	raw := make([]any, len(cols)+1)
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, after, err
		}
		last = raw[0].(int64)
		vals := make([]any, len(cols))
		for i, c := range cols {
			if vals[i], err = decode(c.Type, raw[i+1]); err != nil {
				return nil, after, fmt.Errorf("%s.%s id %d: %w", table, c.Name, last, err)
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, after, err
	}
	return out, last, nil
}

// decode turns a stored SQLite value into the engine's value for a column
// of the given Databricks type.
func decode(typ string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	text := func() string {
		if b, ok := v.([]byte); ok {
			return string(b)
		}
		return fmt.Sprint(v)
	}
	switch typ {
	case "BIGINT":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("want an integer, stored %T", v)
		}
		return n, nil
	case "TIMESTAMP":
		return time.Parse(timeLayout, text())
	case engine.ErrorsType:
		return parseErrors(text())
	}
	return text(), nil
}
