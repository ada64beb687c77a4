package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/schema"
)

// The schema API publishes each table's contract, generated from its current
// version: the JSON Schema (draft 2020-12) a JSON record must satisfy and the
// .proto file the SDK's generator would emit for the table. zbemu's own API,
// not Databricks': `zbemu schema jsonschema|proto c.s.t` prints them.

func (s *Server) schemaRoutes(r *mux.Router) {
	r.HandleFunc("/zbemu/v1/tables/{table}/jsonschema", s.handle(s.authed(s.jsonSchema))).Methods(http.MethodGet)
	r.HandleFunc("/zbemu/v1/tables/{table}/proto", s.handle(s.authed(s.protoFile))).Methods(http.MethodGet)
}

// tableSchema looks up the table of the request path.
func (s *Server) tableSchema(r *http.Request, id *engine.Identity) (engine.TableSchema, error) {
	full := tableFromPath(mux.Vars(r)["table"])
	if _, err := splitFull(full, 3); err != nil {
		return engine.TableSchema{}, err
	}
	// The contract is table metadata: whoever may see the table may read it.
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireVisible("TABLE", full) }); err != nil {
		return engine.TableSchema{}, err
	}
	return s.e.TableSchema(r.Context(), full)
}

// writeDocument sends a generated document with the table version as its
// ETag-like header, so a client can tell when to regenerate its code.
func writeDocument(w http.ResponseWriter, contentType string, ts engine.TableSchema, doc []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Zbemu-Table-Version", strconv.FormatInt(ts.Version, 10))
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
}

func (s *Server) jsonSchema(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	ts, err := s.tableSchema(r, id)
	if err != nil {
		return err
	}
	doc, err := schema.JSONSchema(ts.FullName, ts.Columns)
	if err != nil {
		return err
	}
	writeDocument(w, "application/schema+json", ts, append(doc, '\n'))
	return nil
}

func (s *Server) protoFile(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	ts, err := s.tableSchema(r, id)
	if err != nil {
		return err
	}
	doc, err := schema.ProtoFile(ts.FullName, ts.Columns)
	if errors.Is(err, schema.ErrUnsupportedType) {
		return fmt.Errorf("%w: table %s has no protobuf encoding: %v", engine.ErrUnsupported, ts.FullName, err)
	}
	if err != nil {
		return err
	}
	writeDocument(w, "text/plain; charset=utf-8", ts, []byte(doc))
	return nil
}
