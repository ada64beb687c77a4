package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
)

// The Delta API: POST /zbemu/v1/delta/import loads a Delta table
// (importDelta), and GET /zbemu/v1/tables/{table}/delta answers a tar
// archive of a one-off Delta Lake table of the table's current rows
// (`zbemu export c.s.t DIR` unpacks it). zbemu's own API, not Databricks';
// reading the rows asks SELECT, as a query would.

func (s *Server) deltaRoutes(r *mux.Router) {
	r.HandleFunc("/zbemu/v1/tables/{table}/delta", s.handle(s.authed(s.exportDelta))).Methods(http.MethodGet)
	r.HandleFunc("/zbemu/v1/delta/import", s.handle(s.authed(s.importDelta))).Methods(http.MethodPost)
}

func (s *Server) exportDelta(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	full := tableFromPath(mux.Vars(r)["table"])
	if _, err := splitFull(full, 3); err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.Require("TABLE", full, "SELECT") }); err != nil {
		return err
	}
	// Headers go out with the first byte of the archive, so a failure
	// before it (the export is written first) is answered as an error.
	return s.e.ExportDelta(r.Context(), full, &lazyHeader{w: w, contentType: "application/x-tar"})
}

// lazyHeader sends the 200 header with the first write.
type lazyHeader struct {
	w           http.ResponseWriter
	contentType string
	sent        bool
}

func (l *lazyHeader) Write(p []byte) (int, error) {
	if !l.sent {
		l.sent = true
		l.w.Header().Set("Content-Type", l.contentType)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}
