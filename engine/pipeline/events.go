package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/dialect"
)

// The event log has Databricks' schema
// (https://docs.databricks.com/aws/en/ldp/monitor-event-log-schema): id,
// sequence (JSON), origin (a struct), timestamp, message, level,
// maturity_level, error (JSON), details (JSON text whose first key is the
// event type) and event_type. Rows are stored flat in the target
// catalog's __zbemu.pipeline_events; event_log(...) in SQL and the
// Events API read them.

// newEvent builds an event of the pipeline p (flow and dataset optional).
func (m *Manager) newEvent(p Pipeline, updateID, flow, dataset, eventType, level, message string, details any) Event {
	seq := m.nextSeq()
	b, _ := json.Marshal(map[string]any{eventType: details})
	sq, _ := json.Marshal(map[string]any{"data_plane_id": map[string]any{"instance": "zbemu", "seq_no": seq}, "control_plane_seq_no": seq})
	return Event{ID: uuid.NewString(), Sequence: string(sq),
		Origin:    Origin{PipelineID: p.ID, PipelineName: p.Spec.Name, UpdateID: updateID, FlowName: flow, DatasetName: dataset},
		Timestamp: time.Now().UTC(), Message: message, Level: level, MaturityLevel: "STABLE", Details: string(b), EventType: eventType}
}

// nextSeq orders events across restarts: nanoseconds since the epoch,
// strictly increasing within a run.
func (m *Manager) nextSeq() int64 {
	for {
		last := m.seq.Load()
		n := max(time.Now().UnixNano(), last+1)
		if m.seq.CompareAndSwap(last, n) {
			return n
		}
	}
}

func seqOf(ev Event) int64 {
	var s struct {
		N int64 `json:"control_plane_seq_no"`
	}
	json.Unmarshal([]byte(ev.Sequence), &s)
	return s.N
}

// insertEvents writes events in tx (the flow's transaction for
// flow_progress, so the event and the rows it counts commit together).
func insertEvents(ctx context.Context, tx *sql.Tx, db string, evs ...Event) error {
	for _, ev := range evs {
		var errText any
		if ev.Error != "" {
			errText = ev.Error
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO "+db+".__zbemu.pipeline_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			ev.ID, seqOf(ev), ev.Origin.PipelineID, ev.Origin.PipelineName, nullable(ev.Origin.UpdateID), nullable(ev.Origin.FlowName),
			nullable(ev.Origin.DatasetName), ev.Timestamp, ev.Message, ev.Level, ev.MaturityLevel, errText, ev.Details, ev.EventType)
		if err != nil {
			return fmt.Errorf("record event %s: %w", ev.EventType, err)
		}
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// emit records events in their own transaction. The event log is a
// record, not a gate: a failure to write it is logged, never fails the run.
func (m *Manager) emit(ctx context.Context, catalog string, evs ...Event) {
	err := m.eng.CatalogTx(context.WithoutCancel(ctx), catalog, func(tx *sql.Tx, db string) error {
		return insertEvents(context.WithoutCancel(ctx), tx, db, evs...)
	})
	if err != nil {
		m.log.Error("pipeline event log", "catalog", catalog, "err", err)
	}
}

// errorJSON is the error column of an event: Databricks' shape
// {"exceptions": [{"message": ...}], "fatal": true}.
func errorJSON(err error) string {
	b, _ := json.Marshal(map[string]any{"exceptions": []map[string]string{{"message": err.Error()}}, "fatal": true})
	return string(b)
}

// filterRE is one condition of the Events API filter: field = 'value' or
// field IN ('a', 'b').
var filterRE = regexp.MustCompile(`(?i)^\s*(level|event_type)\s*(=\s*'([^']*)'|in\s*\(([^)]*)\))\s*$`)

// parseFilter turns the documented subset of the Events API filter
// (conditions on level and event_type joined by AND) into SQL with args.
func parseFilter(f string) (string, []any, error) {
	if strings.TrimSpace(f) == "" {
		return "", nil, nil
	}
	var where []string
	var args []any
	for _, cond := range regexp.MustCompile(`(?i)\s+and\s+`).Split(f, -1) {
		m := filterRE.FindStringSubmatch(cond)
		if m == nil {
			return "", nil, fmt.Errorf("%w: filter %q: expected conditions like level='ERROR', event_type='flow_progress' or level in ('WARN', 'ERROR') joined by AND", engine.ErrInvalidArgument, cond)
		}
		col := strings.ToLower(m[1])
		vals := []string{m[3]}
		if m[4] != "" {
			vals = nil
			for _, v := range strings.Split(m[4], ",") {
				vals = append(vals, strings.Trim(strings.TrimSpace(v), "'"))
			}
		}
		where = append(where, col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	return " AND " + strings.Join(where, " AND "), args, nil
}

// readEvents pages through a pipeline's events, newest first.
func (m *Manager) readEvents(ctx context.Context, p Pipeline, q EventQuery) ([]Event, string, error) {
	where, args, err := parseFilter(q.Filter)
	if err != nil {
		return nil, "", err
	}
	limit := q.MaxResults
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	offset := 0
	if q.PageToken != "" {
		if offset, err = strconv.Atoi(q.PageToken); err != nil || offset < 0 {
			return nil, "", fmt.Errorf("%w: page_token %q is not a token this API returned", engine.ErrInvalidArgument, q.PageToken)
		}
	}
	var out []Event
	err = m.eng.CatalogTx(ctx, p.Spec.Catalog, func(tx *sql.Tx, db string) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, seq, pipeline_name, coalesce(update_id, ''), coalesce(flow_name, ''), coalesce(dataset_name, ''), ts, message, level, maturity_level, coalesce(error, ''), details, event_type FROM "+
			db+".__zbemu.pipeline_events WHERE pipeline_id = ?"+where+" ORDER BY seq DESC LIMIT ? OFFSET ?", append(append([]any{p.ID}, args...), limit+1, offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			ev := Event{Origin: Origin{PipelineID: p.ID}}
			var seq int64
			if err := rows.Scan(&ev.ID, &seq, &ev.Origin.PipelineName, &ev.Origin.UpdateID, &ev.Origin.FlowName, &ev.Origin.DatasetName,
				&ev.Timestamp, &ev.Message, &ev.Level, &ev.MaturityLevel, &ev.Error, &ev.Details, &ev.EventType); err != nil {
				return err
			}
			ev.Timestamp = ev.Timestamp.UTC()
			sq, _ := json.Marshal(map[string]any{"data_plane_id": map[string]any{"instance": "zbemu", "seq_no": seq}, "control_plane_seq_no": seq})
			ev.Sequence = string(sq)
			out = append(out, ev)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out, next = out[:limit], strconv.Itoa(offset+limit)
	}
	return out, next, nil
}

// EventLogSQL answers event_log(...) in SQL (engine.EventLogSource): a
// subquery over the stored events of one pipeline with Databricks' column
// names and types. event_log('<id>') needs the pipeline's owner or an
// admin; event_log(TABLE(c.s.t)) needs the table's owner or an admin, as
// Databricks documents (https://docs.databricks.com/aws/en/ldp/monitor-event-logs).
func (m *Manager) EventLogSQL(ctx context.Context, who *engine.Identity, ref dialect.EventLogRef) (string, error) {
	if who == nil {
		return "", fmt.Errorf("%w: missing credentials", engine.ErrUnauthenticated)
	}
	id := ref.PipelineID
	if id == "" {
		if len(ref.Table.Parts) != 3 {
			return "", fmt.Errorf("%w: event_log(TABLE(%s)) needs the table's full name catalog.schema.table", engine.ErrInvalidArgument, ref.Table)
		}
		t, err := m.eng.GetTable(ctx, strings.Join(ref.Table.Parts, "."))
		if err != nil {
			return "", err
		}
		if t.PipelineID == "" {
			return "", fmt.Errorf("%w: %s is not a streaming table or materialized view of a pipeline, so it has no event log", engine.ErrInvalidArgument, t.FullName)
		}
		if !who.Admin && t.Owner != who.ClientID {
			return "", fmt.Errorf("%w: only the owner of %s (%s) or an admin may read its event log", engine.ErrPermissionDenied, t.FullName, t.Owner)
		}
		id = t.PipelineID
	}
	p, err := m.pipeline(id)
	if err != nil {
		return "", err
	}
	if ref.PipelineID != "" && !who.Admin && p.Owner != who.ClientID {
		return "", fmt.Errorf("%w: only the owner of pipeline %s (%s) or an admin may read its event log", engine.ErrPermissionDenied, id, p.Owner)
	}
	return "(SELECT id, json_object('data_plane_id', json_object('instance', 'zbemu', 'seq_no', seq), 'control_plane_seq_no', seq)::VARCHAR AS sequence, " +
		"{'pipeline_id': pipeline_id, 'pipeline_name': pipeline_name, 'update_id': update_id, 'flow_name': flow_name, 'dataset_name': dataset_name} AS origin, " +
		`ts AS "timestamp", message, level, maturity_level, error, details, event_type FROM ` + engine.DuckDBName(p.Spec.Catalog) +
		".__zbemu.pipeline_events WHERE pipeline_id = " + sqlString(p.ID) + ")", nil
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
