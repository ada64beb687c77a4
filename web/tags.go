package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
)

// The entity tag assignments API of Unity Catalog, read side
// (https://docs.databricks.com/api/workspace/entitytagassignments/list):
// the tags SQL sets with ALTER TABLE ... ALTER COLUMN ... SET TAGS. zbemu
// keeps tags on columns only, so catalogs, schemas and tables list none.

type tagAssignmentJSON struct {
	EntityName string `json:"entity_name"`
	EntityType string `json:"entity_type"`
	TagKey     string `json:"tag_key"`
	TagValue   string `json:"tag_value,omitempty"`
}

func (s *Server) tagRoutes(r *mux.Router) {
	r.HandleFunc(ucBase+"/entity-tag-assignments/{entity_type}/{entity_name}/tags", s.handle(s.authed(s.listTagAssignments))).Methods(http.MethodGet)
}

// tagEntities maps an entity_type to its securable type and name parts.
var tagEntities = map[string]struct {
	securable string
	parts     int
}{"catalogs": {"CATALOG", 1}, "schemas": {"SCHEMA", 2}, "tables": {"TABLE", 3}, "columns": {"TABLE", 4}}

func (s *Server) listTagAssignments(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	typ, name := pathVar(r, "entity_type"), pathVar(r, "entity_name")
	ent, ok := tagEntities[typ]
	if !ok {
		return badRequest(fmt.Sprintf("entity_type must be catalogs, schemas, tables or columns, got %q", typ))
	}
	parts, err := splitFull(name, ent.parts)
	if err != nil {
		return err
	}
	securable := strings.Join(parts[:min(ent.parts, 3)], ".")
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireVisible(ent.securable, securable) }); err != nil {
		return err
	}
	out := []tagAssignmentJSON{}
	if typ == "columns" {
		if err := s.e.Sync(r.Context()); err != nil {
			return err
		}
		t, err := s.e.GetTable(r.Context(), securable)
		if err != nil {
			return err
		}
		i := 0
		for ; i < len(t.Columns) && !strings.EqualFold(t.Columns[i].Name, parts[3]); i++ {
		}
		if i == len(t.Columns) {
			return fmt.Errorf("%w: column %q is not in table %s", engine.ErrNotFound, parts[3], securable)
		}
		for k, v := range t.Columns[i].Tags {
			out = append(out, tagAssignmentJSON{EntityName: name, EntityType: typ, TagKey: k, TagValue: v})
		}
		sort.Slice(out, func(a, b int) bool { return out[a].TagKey < out[b].TagKey })
	}
	writeJSON(w, http.StatusOK, map[string]any{"tag_assignments": out})
	return nil
}
