package engine

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/zbemu/zbemu/engine/delta"
)

// historyColumns are the columns of DESCRIBE HISTORY of a table with a
// Delta log, Delta's DeltaHistory fields
// (https://docs.databricks.com/aws/en/tables/history-schema).
var historyColumns = []ResultColumn{
	{Name: "version", TypeName: "LONG", TypeText: "BIGINT"},
	{Name: "timestamp", TypeName: "TIMESTAMP", TypeText: "TIMESTAMP"},
	{Name: "userId", TypeName: "STRING", TypeText: "STRING"},
	{Name: "userName", TypeName: "STRING", TypeText: "STRING"},
	{Name: "operation", TypeName: "STRING", TypeText: "STRING"},
	{Name: "operationParameters", TypeName: "MAP", TypeText: "MAP<STRING,STRING>"},
	{Name: "job", TypeName: "STRUCT", TypeText: "STRUCT<jobId: STRING, jobName: STRING, runId: STRING, jobOwnerId: STRING, triggerType: STRING>"},
	{Name: "notebook", TypeName: "STRUCT", TypeText: "STRUCT<notebookId: STRING>"},
	{Name: "clusterId", TypeName: "STRING", TypeText: "STRING"},
	{Name: "readVersion", TypeName: "LONG", TypeText: "BIGINT"},
	{Name: "isolationLevel", TypeName: "STRING", TypeText: "STRING"},
	{Name: "isBlindAppend", TypeName: "BOOLEAN", TypeText: "BOOLEAN"},
	{Name: "operationMetrics", TypeName: "MAP", TypeText: "MAP<STRING,STRING>"},
	{Name: "userMetadata", TypeName: "STRING", TypeText: "STRING"},
	{Name: "engineInfo", TypeName: "STRING", TypeText: "STRING"},
}

// deltaHistory answers DESCRIBE HISTORY from a table's Delta log: one row
// per commit, newest first, the fields of its commitInfo.
func deltaHistory(dir string, limit int) (*Result, error) {
	commits, err := delta.History(dir)
	if err != nil {
		return nil, deltaError(err, "")
	}
	res := &Result{Columns: historyColumns}
	for i, c := range commits {
		if limit > 0 && i >= limit {
			break
		}
		row := []*string{strp(strconv.FormatInt(c.Version, 10)), strp(formatTimestamp(time.UnixMilli(c.Timestamp), true))}
		for _, col := range historyColumns[2:] {
			row = append(row, historyValue(c.Info[col.Name], col.TypeName == "MAP"))
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// historyValue renders a commitInfo field: strings as they are, maps as
// JSON objects of strings (writers put numbers and booleans there too),
// anything else as its JSON text; absent or null is NULL.
func historyValue(raw json.RawMessage, isMap bool) *string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &s
	}
	if isMap {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			out := make(map[string]string, len(m))
			for k, v := range m {
				if json.Unmarshal(v, &s) == nil {
					out[k] = s
				} else {
					out[k] = string(v)
				}
			}
			b, _ := json.Marshal(out)
			return strp(string(b))
		}
	}
	return strp(string(raw))
}
