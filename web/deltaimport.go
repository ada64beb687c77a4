package web

import (
	"net/http"

	"github.com/zbemu/zbemu/engine"
)

// importDelta loads a Delta table from a directory the server allows into
// a table (engine.ImportDelta authorizes and confines the path). Body:
// {"path": "/abs/dir", "table": "catalog.schema.table"}.
func (s *Server) importDelta(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req struct {
		Path  *string `json:"path"`
		Table *string `json:"table"`
	}
	if err := decodeJSONLimit(r, &req, 64<<10); err != nil {
		return err
	}
	if req.Path == nil || *req.Path == "" {
		return badRequest(`field "path": expected the absolute path of a Delta table's folder (a string), got none`)
	}
	if req.Table == nil || *req.Table == "" {
		return badRequest(`field "table": expected a table name catalog.schema.table (a string), got none`)
	}
	res, err := s.e.ImportDelta(r.Context(), id, *req.Path, *req.Table)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
