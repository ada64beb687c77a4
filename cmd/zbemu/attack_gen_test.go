package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// zbemu gen is a client: it can do no more than its token may, and bad
// flags or a refused stream end it with a non-zero exit and a message
// naming the cause.
func TestAttackGenRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE SCHEMA main.iot")
	s.sql("CREATE TABLE main.iot.readings (device_id STRING NOT NULL, ts TIMESTAMP NOT NULL)")
	s.sql("CREATE TABLE main.iot.other (device_id STRING NOT NULL)")
	noneID, noneSecret := s.newPrincipal("gen-none")
	none := s.workspaceToken(noneID, noneSecret)
	tableID, tableSecret := s.newPrincipal("gen-table")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.iot TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.iot.readings TO `%s`", tableID))
	tableTok := s.workspaceToken(tableID, tableSecret)
	base := []string{"iot", "--count", "200", "--rate", "0"}
	tests := []struct {
		name  string
		token string
		args  []string
		code  int
		want  string
	}{
		{"grant-less principal, grpc", none, []string{"--table", "main.iot.readings", "--via", "grpc"}, 1, "USE CATALOG"},
		{"grant-less principal, rest", none, []string{"--table", "main.iot.readings", "--via", "rest"}, 1, "USE CATALOG"},
		{"grant-less principal may not create", none, []string{"--table", "main.iot.new", "--create"}, 1, "--create"},
		{"table-scoped principal, other table", tableTok, []string{"--table", "main.iot.other", "--via", "rest"}, 1, "lacks SELECT on TABLE main.iot.other"},
		{"table with other columns", devToken, []string{"--table", "main.iot.other", "--via", "grpc"}, 1, "unknown field"},
		{"missing table", devToken, []string{"--table", "main.iot.nope"}, 1, "main.iot.nope"},
		{"no table", devToken, nil, 2, "--table must be catalog.schema.table"},
		{"two-part table", devToken, []string{"--table", "iot.readings"}, 2, "--table must be catalog.schema.table"},
		{"otlp", devToken, []string{"--table", "main.iot.readings", "--via", "otlp"}, 1, "not available yet"},
		{"unknown via", devToken, []string{"--table", "main.iot.readings", "--via", "kafka"}, 1, `"kafka"`},
		{"batch too big", devToken, []string{"--table", "main.iot.readings", "--batch", "1000000"}, 2, "--batch must be 1 to 10000"},
		{"count and duration", devToken, []string{"--table", "main.iot.readings", "--duration", "1s"}, 2, "not both"},
		{"users for devices", devToken, []string{"--table", "main.iot.readings", "--users", "5"}, 2, "use --devices"},
		{"bad rate out of range", devToken, []string{"--table", "main.iot.readings", "--bad-rate", "2"}, 2, "between 0 and 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := execCLI(t, 3*time.Minute, []string{"ZBEMU_URL=" + s.url, "ZBEMU_TOKEN=" + tc.token}, "",
				append(append([]string{"gen"}, base...), tc.args...)...)
			out := stdout + stderr
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, out)
			}
		})
	}
	if n := s.count("main.iot.other"); n != 0 {
		t.Errorf("refused runs wrote %d rows into main.iot.other", n)
	}
}
