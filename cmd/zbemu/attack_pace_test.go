package main

import "testing"

// TestAttackDuckDBSettingsInjection checks that --duckdb-memory, which
// ends up in a SET statement before DuckDB's configuration is locked,
// takes nothing but a size: SQL smuggled into it is refused as a bad
// value naming the flag, before anything is opened.
func TestAttackDuckDBSettingsInjection(t *testing.T) {
	t.Parallel()
	checkServeConfig(t, []serveConfigCase{
		{"quote and statement", []string{"--duckdb-memory", "1GB'; SET lock_configuration = false; --"}, nil, nil, "duckdb-memory"},
		{"unlimited via env", nil, map[string]string{"ZBEMU_DUCKDB_MEMORY": "-1"}, nil, "duckdb-memory"},
		{"percent", []string{"--duckdb-memory", "80%"}, nil, nil, "duckdb-memory"},
		{"newline", []string{"--duckdb-memory", "1GB\nSET threads=64"}, nil, nil, "duckdb-memory"},
		{"negative threads", []string{"--duckdb-threads", "-4"}, nil, nil, "duckdb-threads"},
	})
}
