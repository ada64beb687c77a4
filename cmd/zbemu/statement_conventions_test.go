package main

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/zbemu/zbemu/web"
)

// serviceErrorCodes is the Statement API's ServiceErrorCode enum, the only
// values a failed statement's error_code may take
// (https://docs.databricks.com/api/workspace/statementexecution/getstatement).
var serviceErrorCodes = map[string]bool{
	"ABORTED": true, "ALREADY_EXISTS": true, "BAD_REQUEST": true, "CANCELLED": true, "DEADLINE_EXCEEDED": true,
	"INTERNAL_ERROR": true, "IO_ERROR": true, "NOT_FOUND": true, "RESOURCE_EXHAUSTED": true, "SERVICE_UNDER_MAINTENANCE": true,
	"TEMPORARILY_UNAVAILABLE": true, "UNAUTHENTICATED": true, "UNKNOWN": true, "WORKSPACE_TEMPORARILY_UNAVAILABLE": true,
}

// duckNameRE matches what only DuckDB or zbemu's storage would name.
var duckNameRE = regexp.MustCompile(`main_db|__zbemu|pg_catalog|Catalog Error|Binder Error|Parser Error|Conversion Error|Out of Range Error|Invalid Input Error|LINE \d+:`)

var (
	uuidRE      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	ntzRE       = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$`)
	dateRE      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	integerRE   = regexp.MustCompile(`^-?\d+$`)
	decimalRE   = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
	// Databricks renders intervals as Hive does.
	dayTimeRE   = regexp.MustCompile(`^-?\d+ \d{2}:\d{2}:\d{2}\.\d{9}$`)
	yearMonthRE = regexp.MustCompile(`^-?\d+-\d+$`)
)

// checkStatementConventions decodes a StatementResponse and checks the
// rules of the Databricks API: a UUID statement id, a known state, an error
// object exactly when FAILED, a manifest whose counts agree with the
// result, and every value a string (or null) formatted as Databricks
// formats its type.
func checkStatementConventions(t *testing.T, body []byte) web.StatementResponse {
	t.Helper()
	var r web.StatementResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("statement response %s: %v", body, err)
	}
	// Values must be JSON strings or null, never numbers or booleans.
	var generic struct {
		Result *struct {
			DataArray [][]any `json:"data_array"`
		} `json:"result"`
	}
	json.Unmarshal(body, &generic)
	if generic.Result != nil {
		for i, row := range generic.Result.DataArray {
			for j, v := range row {
				if _, ok := v.(string); v != nil && !ok {
					t.Errorf("data_array[%d][%d] = %v (%T); values must be strings or null", i, j, v, v)
				}
			}
		}
	}
	if !uuidRE.MatchString(r.StatementID) || len(r.StatementID) != 36 {
		t.Errorf("statement_id %q is not a UUID", r.StatementID)
	}
	switch r.Status.State {
	case "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "CLOSED":
	default:
		t.Errorf("unknown state %q in %s", r.Status.State, body)
	}
	if (r.Status.State == "FAILED") != (r.Status.Error != nil) {
		t.Errorf("state %s with error %v", r.Status.State, r.Status.Error)
	}
	if r.Status.Error != nil && (r.Status.Error.ErrorCode == "" || r.Status.Error.Message == "" || r.Status.SQLState == "") {
		t.Errorf("incomplete error: %s", body)
	}
	if e := r.Status.Error; e != nil {
		if !serviceErrorCodes[e.ErrorCode] {
			t.Errorf("error_code %q is not a ServiceErrorCode: %s", e.ErrorCode, body)
		}
		if duckNameRE.MatchString(e.Message) {
			t.Errorf("the message shows DuckDB's names: %s", body)
		}
	}
	if r.Status.State != "SUCCEEDED" {
		if r.Manifest != nil || r.Result != nil {
			t.Errorf("state %s with a result: %s", r.Status.State, body)
		}
		return r
	}
	m, res := r.Manifest, r.Result
	if m == nil || res == nil {
		t.Fatalf("SUCCEEDED without manifest or result: %s", body)
	}
	rows := 0
	for i, c := range m.Chunks {
		if c.ChunkIndex != i || c.RowOffset != rows {
			t.Errorf("chunk %d: index %d, row_offset %d; want %d, %d", i, c.ChunkIndex, c.RowOffset, i, rows)
		}
		rows += c.RowCount
	}
	if m.Format != "JSON_ARRAY" || m.Schema.ColumnCount != len(m.Schema.Columns) || m.TotalChunkCount != len(m.Chunks) || len(m.Chunks) == 0 ||
		m.Chunks[0].RowCount != res.RowCount || m.TotalRowCount != rows || res.ChunkIndex != 0 || res.RowCount != len(res.DataArray) ||
		(res.NextChunkIndex != nil) != (len(m.Chunks) > 1) {
		t.Errorf("manifest and result disagree: %s", body)
	}
	for i, c := range m.Schema.Columns {
		if c.Position != i {
			t.Errorf("column %s has position %d, want %d", c.Name, c.Position, i)
		}
		if (c.TypeName == "DECIMAL") != (c.TypePrecision != nil && c.TypeScale != nil) {
			t.Errorf("column %s of type %s has type_precision %v, type_scale %v (set for DECIMAL only)", c.Name, c.TypeText, c.TypePrecision, c.TypeScale)
		}
		if (c.TypeName == "INTERVAL") != (c.TypeIntervalType != "") || c.TypeIntervalType != "" && c.TypeText != "INTERVAL "+c.TypeIntervalType {
			t.Errorf("column %s of type %s has type_interval_type %q (set for INTERVAL only, and in type_text)", c.Name, c.TypeText, c.TypeIntervalType)
		}
	}
	for i, row := range res.DataArray {
		if len(row) != m.Schema.ColumnCount {
			t.Errorf("row %d has %d values for %d columns", i, len(row), m.Schema.ColumnCount)
			continue
		}
		for j, v := range row {
			if v == nil {
				continue
			}
			c := m.Schema.Columns[j]
			var re *regexp.Regexp
			switch c.TypeText {
			case "TIMESTAMP":
				re = timestampRE
			case "TIMESTAMP_NTZ":
				re = ntzRE
			case "DATE":
				re = dateRE
			case "INTERVAL DAY TO SECOND":
				re = dayTimeRE
			case "INTERVAL YEAR TO MONTH":
				re = yearMonthRE
			}
			switch c.TypeName {
			case "BYTE", "SHORT", "INT", "LONG":
				re = integerRE
			case "DECIMAL":
				re = decimalRE
			case "BOOLEAN":
				re = regexp.MustCompile(`^(true|false)$`)
			case "ARRAY", "MAP", "STRUCT":
				if !json.Valid([]byte(*v)) {
					t.Errorf("%s value %q of column %s is not JSON", c.TypeName, *v, c.Name)
				}
			}
			if re != nil && !re.MatchString(*v) {
				t.Errorf("%s value %q of column %s does not match %s", c.TypeText, *v, c.Name, re)
			}
		}
	}
	return r
}
