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

// TestAttackBackgroundNice checks that --background-nice takes only a nice
// value zbemu can set without privileges (0 to 19): a negative one would
// ask for a higher priority than the server's, above 19 there is none.
func TestAttackBackgroundNice(t *testing.T) {
	t.Parallel()
	checkServeConfig(t, []serveConfigCase{
		{"negative", []string{"--background-nice", "-5"}, nil, nil, "background-nice"},
		{"above 19", []string{"--background-nice", "20"}, nil, nil, "background-nice"},
		{"not a number via env", nil, map[string]string{"ZBEMU_BACKGROUND_NICE": "low"}, nil, "ZBEMU_BACKGROUND_NICE"},
		{"default", nil, nil, func(c Config) bool { return c.BackgroundNice == 10 }, ""},
		{"off", []string{"--background-nice", "0"}, nil, func(c Config) bool { return c.BackgroundNice == 0 && backgroundNice(0) < 0 }, ""},
		{"via env", nil, map[string]string{"ZBEMU_BACKGROUND_NICE": "19"}, func(c Config) bool { return c.BackgroundNice == 19 }, ""},
	})
}
