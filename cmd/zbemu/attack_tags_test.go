package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAttackTagAssignments: column tags (the entity tag assignments API)
// are read with the table's visibility, and malformed names are refused
// naming what was expected.
func TestAttackTagAssignments(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	seedSecret(s)
	s.sql("ALTER TABLE main.default.secret ALTER COLUMN note SET TAGS ('pii' = 'high')")
	const base = "/api/2.1/unity-catalog/entity-tag-assignments/"
	code, body := s.call("GET", base+"columns/main.default.secret.note/tags", devToken, nil)
	var got struct {
		TagAssignments []tagAssignment `json:"tag_assignments"`
	}
	if err := json.Unmarshal(body, &got); code != 200 || err != nil || len(got.TagAssignments) != 1 ||
		got.TagAssignments[0] != (tagAssignment{"main.default.secret.note", "columns", "pii", "high"}) {
		t.Errorf("the admin's read: HTTP %d %s", code, body)
	}
	noneID, noneSecret := s.newPrincipal("tags-none")
	none := s.workspaceToken(noneID, noneSecret)
	for _, tc := range []struct {
		token, path string
		code        int
		want        string
	}{
		{none, "columns/main.default.secret.note/tags", 403, "PERMISSION_DENIED"},
		{none, "tables/main.default.secret/tags", 403, "PERMISSION_DENIED"},
		{"", "columns/main.default.secret.note/tags", 401, "UNAUTHENTICATED"},
		{devToken, "columns/main.default.secret/tags", 400, "exactly 4 dot-separated parts"},
		{devToken, "functions/main.default.f/tags", 400, `entity_type must be catalogs, schemas, tables or columns, got \"functions\"`},
		{devToken, "columns/main.default.secret.nope/tags", 404, `column \"nope\" is not in table main.default.secret`},
		{devToken, "columns/main.default.missing.note/tags", 404, "missing"},
		{devToken, "tables/main.default.secret/tags", 200, `"tag_assignments":[]`},
	} {
		code, body := s.call("GET", base+tc.path, tc.token, nil)
		if code != tc.code || !strings.Contains(string(body), tc.want) || (tc.code != 200 && strings.Contains(string(body), "high")) {
			t.Errorf("GET %s: HTTP %d %s, want %d with %s", tc.path, code, body, tc.code, tc.want)
		}
	}
}

type tagAssignment struct {
	EntityName string `json:"entity_name"`
	EntityType string `json:"entity_type"`
	TagKey     string `json:"tag_key"`
	TagValue   string `json:"tag_value"`
}
