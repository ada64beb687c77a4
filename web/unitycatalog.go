package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/schema"
)

// Unity Catalog REST 2.1: catalogs, schemas and tables, in Databricks'
// shapes. Tables are created with SQL (Zerobus needs managed tables, which
// the real Create Table API cannot make); the REST API reads and deletes them.
// Every call is authorized as the SQL statement that does the same: lists
// show what the caller may see, reads need USE on the containers, creating
// needs CREATE SCHEMA / CREATE TABLE, deleting and updating (PATCH:
// comment, owner and properties of catalogs and schemas, the owner of
// tables) need ownership or MANAGE. The system catalog is listed and read
// like the others (engine/systemcatalog.go) and never changes.

const ucBase = "/api/2.1/unity-catalog"

func (s *Server) unityCatalogRoutes(r *mux.Router) {
	r.HandleFunc(ucBase+"/catalogs", s.handle(s.authed(s.listCatalogs))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/catalogs", s.handle(s.authed(s.createCatalog))).Methods(http.MethodPost)
	r.HandleFunc(ucBase+"/catalogs/{name}", s.handle(s.authed(s.getCatalog))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/catalogs/{name}", s.handle(s.authed(s.deleteCatalog))).Methods(http.MethodDelete)
	r.HandleFunc(ucBase+"/catalogs/{name}", s.handle(s.authed(s.updateCatalog))).Methods(http.MethodPatch)
	r.HandleFunc(ucBase+"/schemas", s.handle(s.authed(s.listSchemas))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/schemas", s.handle(s.authed(s.createSchema))).Methods(http.MethodPost)
	r.HandleFunc(ucBase+"/schemas/{full_name}", s.handle(s.authed(s.getSchema))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/schemas/{full_name}", s.handle(s.authed(s.deleteSchema))).Methods(http.MethodDelete)
	r.HandleFunc(ucBase+"/schemas/{full_name}", s.handle(s.authed(s.updateSchema))).Methods(http.MethodPatch)
	r.HandleFunc(ucBase+"/tables", s.handle(s.authed(s.listTables))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/tables", s.handle(s.authed(s.createTableREST))).Methods(http.MethodPost)
	r.HandleFunc(ucBase+"/tables/{full_name}", s.handle(s.authed(s.getTable))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/tables/{full_name}/exists", s.handle(s.authed(s.tableExists))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/tables/{full_name}", s.handle(s.authed(s.deleteTable))).Methods(http.MethodDelete)
	r.HandleFunc(ucBase+"/tables/{full_name}", s.handle(s.authed(s.updateTable))).Methods(http.MethodPatch)
}

func pathVar(r *http.Request, name string) string { return tableFromPath(mux.Vars(r)[name]) }

func (s *Server) listCatalogs(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	all := s.e.ListCatalogs(r.Context())
	if sys, ok, err := s.e.SystemCatalog(r.Context()); err != nil {
		return err
	} else if ok {
		all = append(all, sys)
		slices.SortFunc(all, func(a, b engine.CatalogInfo) int { return strings.Compare(a.Name, b.Name) })
	}
	list := []engine.CatalogInfo{}
	for _, c := range all {
		if z.Visible("CATALOG", c.Name) {
			list = append(list, c)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"catalogs": list})
	return nil
}

func (s *Server) getCatalog(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireVisible("CATALOG", pathVar(r, "name")) }); err != nil {
		return err
	}
	c, err := s.e.GetCatalog(r.Context(), pathVar(r, "name"))
	if isSystem(pathVar(r, "name")) {
		c, _, err = s.e.SystemCatalog(r.Context())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) createCatalog(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req struct {
		Name       string            `json:"name"`
		Comment    string            `json:"comment"`
		Properties map[string]string `json:"properties"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return badRequest("field \"name\" is required")
	}
	if err := s.authorize(r, id, (*engine.Authorizer).RequireCreateCatalog); err != nil {
		return err
	}
	c, err := s.e.CreateCatalog(r.Context(), engine.CatalogInfo{Name: req.Name, Comment: req.Comment, Properties: req.Properties, Owner: id.ClientID}, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func boolQuery(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

func (s *Server) deleteCatalog(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if _, err := changedName(r, "name", 1); err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireManage("CATALOG", pathVar(r, "name")) }); err != nil {
		return err
	}
	if err := s.e.DropCatalog(r.Context(), pathVar(r, "name"), false, boolQuery(r, "force")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (s *Server) listSchemas(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	cat := r.URL.Query().Get("catalog_name")
	if cat == "" {
		return badRequest("query parameter catalog_name is required")
	}
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	if err := z.Require("CATALOG", cat, "USE CATALOG"); err != nil {
		return err
	}
	all, err := s.e.ListSchemas(r.Context(), cat)
	if isSystem(cat) {
		all, err = s.e.SystemSchemas(r.Context())
	}
	if err != nil {
		return err
	}
	list := []engine.SchemaInfo{}
	for _, sc := range all {
		if z.Visible("SCHEMA", sc.FullName) {
			list = append(list, sc)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": list})
	return nil
}

func splitFull(full string, n int) ([]string, error) {
	parts := strings.Split(full, ".")
	if len(parts) != n {
		return nil, badRequest("name " + strconv.Quote(full) + " must have exactly " + strconv.Itoa(n) + " dot-separated parts")
	}
	return parts, nil
}

func (s *Server) getSchema(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	p, err := splitFull(pathVar(r, "full_name"), 2)
	if err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireVisible("SCHEMA", p[0]+"."+p[1]) }); err != nil {
		return err
	}
	sc, err := s.e.GetSchema(r.Context(), p[0], p[1])
	if isSystem(p[0]) {
		sc, err = systemSchema(s.e, r, p[1])
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) createSchema(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req struct {
		Name        string            `json:"name"`
		CatalogName string            `json:"catalog_name"`
		Comment     string            `json:"comment"`
		Properties  map[string]string `json:"properties"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == "" || req.CatalogName == "" {
		return badRequest("fields \"name\" and \"catalog_name\" are required")
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error {
		return z.Require("CATALOG", req.CatalogName, "USE CATALOG", "CREATE SCHEMA")
	}); err != nil {
		return err
	}
	sc, err := s.e.CreateSchema(r.Context(), engine.SchemaInfo{Name: req.Name, CatalogName: req.CatalogName, Comment: req.Comment, Properties: req.Properties, Owner: id.ClientID}, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) deleteSchema(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	p, err := changedName(r, "full_name", 2)
	if err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireManage("SCHEMA", p[0]+"."+p[1]) }); err != nil {
		return err
	}
	if err := s.e.DropSchema(r.Context(), p[0], p[1], false, boolQuery(r, "force")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (s *Server) listTables(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	q := r.URL.Query()
	if q.Get("catalog_name") == "" || q.Get("schema_name") == "" {
		return badRequest("query parameters catalog_name and schema_name are required")
	}
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	if err := z.Require("SCHEMA", q.Get("catalog_name")+"."+q.Get("schema_name"), "USE SCHEMA"); err != nil {
		return err
	}
	all, err := s.e.ListTables(r.Context(), q.Get("catalog_name"), q.Get("schema_name"))
	if isSystem(q.Get("catalog_name")) {
		all, err = s.e.SystemTables(r.Context(), q.Get("schema_name"))
	}
	if err != nil {
		return err
	}
	list := []engine.TableInfo{}
	for _, t := range all {
		if z.Visible("TABLE", t.FullName) {
			list = append(list, t)
		}
	}
	if boolQuery(r, "omit_columns") {
		for i := range list {
			list[i].Columns = nil
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": list})
	return nil
}

func (s *Server) getTable(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	full := pathVar(r, "full_name")
	if _, err := splitFull(full, 3); err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireVisible("TABLE", full) }); err != nil {
		return err
	}
	if err := s.e.Sync(r.Context()); err != nil {
		return err
	}
	t, err := s.lookupTable(r, full)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// tableExists answers for tables the caller may see; a table it may not
// see is reported as missing, so that the call reveals nothing more than
// a list would.
func (s *Server) tableExists(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	_, err = s.lookupTable(r, pathVar(r, "full_name"))
	writeJSON(w, http.StatusOK, map[string]bool{"table_exists": err == nil && z.RequireVisible("TABLE", pathVar(r, "full_name")) == nil})
	return nil
}

func (s *Server) deleteTable(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	full := pathVar(r, "full_name")
	if _, err := changedName(r, "full_name", 3); err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireManage("TABLE", full) }); err != nil {
		return err
	}
	drop := s.e.DropTable
	if ti, err := s.e.GetTable(r.Context(), full); err == nil && ti.TableType == "VIEW" {
		drop = s.e.DropView // UC deletes views through the tables API too
	}
	if err := drop(r.Context(), full, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// createTableREST accepts the UC create-table body as a convenience (the
// real API only makes external tables); the table is created as managed.
func (s *Server) createTableREST(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req struct {
		Name        string `json:"name"`
		CatalogName string `json:"catalog_name"`
		SchemaName  string `json:"schema_name"`
		Comment     string `json:"comment"`
		Columns     []struct {
			Name     string `json:"name"`
			TypeText string `json:"type_text"`
			Nullable *bool  `json:"nullable"`
			Comment  string `json:"comment"`
		} `json:"columns"`
		Properties map[string]string `json:"properties"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == "" || req.CatalogName == "" || req.SchemaName == "" {
		return badRequest("fields \"name\", \"catalog_name\" and \"schema_name\" are required")
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error {
		return z.Require("SCHEMA", req.CatalogName+"."+req.SchemaName, "USE SCHEMA", "CREATE TABLE")
	}); err != nil {
		return err
	}
	spec := engine.TableSpec{Catalog: req.CatalogName, Schema: req.SchemaName, Name: req.Name, Comment: req.Comment, Properties: req.Properties, Owner: id.ClientID}
	for i, c := range req.Columns {
		if c.Name == "" || c.TypeText == "" {
			return badRequest("columns[" + strconv.Itoa(i) + "]: fields \"name\" and \"type_text\" are required")
		}
		spec.Columns = append(spec.Columns, engine.ColumnSpec{Name: c.Name, TypeText: c.TypeText, NotNull: c.Nullable != nil && !*c.Nullable, Comment: c.Comment})
	}
	t, err := s.e.CreateTable(r.Context(), spec, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// authorize runs one check with the caller's Authorizer.
func (s *Server) authorize(r *http.Request, id *engine.Identity, check func(z *engine.Authorizer) error) error {
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	return check(z)
}

// isSystem reports whether a catalog name is the system catalog's.
func isSystem(catalog string) bool { return strings.EqualFold(catalog, "system") }

// systemSchema returns one schema of the system catalog.
func systemSchema(e *engine.Engine, r *http.Request, name string) (engine.SchemaInfo, error) {
	list, err := e.SystemSchemas(r.Context())
	if err != nil {
		return engine.SchemaInfo{}, err
	}
	for _, sc := range list {
		if strings.EqualFold(sc.Name, name) {
			return sc, nil
		}
	}
	return engine.SchemaInfo{}, fmt.Errorf("%w: Schema 'system.%s' does not exist", engine.ErrSchemaNotFound, schema.ClipReceived(name))
}

// lookupTable returns a table of a user catalog or of the system catalog.
func (s *Server) lookupTable(r *http.Request, full string) (engine.TableInfo, error) {
	if c, _, _ := strings.Cut(full, "."); isSystem(c) {
		return s.e.SystemTable(r.Context(), full)
	}
	return s.e.GetTable(r.Context(), full)
}

// changedName reads the path variable {name} of a call that changes or
// deletes a securable: a full name of n parts outside the system catalog,
// which is read-only.
func changedName(r *http.Request, name string, n int) ([]string, error) {
	p, err := splitFull(pathVar(r, name), n)
	if err != nil {
		return nil, err
	}
	if isSystem(p[0]) {
		return nil, fmt.Errorf("%w: the system catalog and its schemas and tables are read-only", engine.ErrPermissionDenied)
	}
	return p, nil
}

// maxUpdateBody bounds a PATCH of a catalog, schema or table.
const maxUpdateBody = 1 << 20

// ucUpdate is the body of a Unity Catalog PATCH. new_name is read to be
// refused: renaming is not supported.
type ucUpdate struct {
	Comment    *string            `json:"comment"`
	Owner      *string            `json:"owner"`
	Properties *map[string]string `json:"properties"`
	NewName    *string            `json:"new_name"`
}

// readUpdate decodes a PATCH body, refusing what zbemu cannot change.
func readUpdate(r *http.Request, kind string) (engine.MetadataUpdate, error) {
	if err := requirePatchBody(r, "comment, owner, properties"); err != nil {
		return engine.MetadataUpdate{}, err
	}
	var req ucUpdate
	if err := decodeJSONLimit(r, &req, maxUpdateBody); err != nil {
		return engine.MetadataUpdate{}, err
	}
	if req.NewName != nil {
		return engine.MetadataUpdate{}, fmt.Errorf("%w: new_name: zbemu cannot rename a %s; create a new one and move the data with SQL", engine.ErrUnsupported, kind)
	}
	if req.Owner != nil && *req.Owner == "" {
		return engine.MetadataUpdate{}, badRequest("owner must name a principal (its application id or display name), got an empty string")
	}
	return engine.MetadataUpdate{Comment: req.Comment, Owner: req.Owner, Properties: req.Properties}, nil
}

// updateCatalog implements PATCH /catalogs/{name}: comment, owner and
// properties, by the owner, a holder of MANAGE or an admin.
func (s *Server) updateCatalog(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	name := pathVar(r, "name")
	if _, err := changedName(r, "name", 1); err != nil {
		return err
	}
	u, err := readUpdate(r, "catalog")
	if err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireManage("CATALOG", name) }); err != nil {
		return err
	}
	c, err := s.e.UpdateCatalog(r.Context(), name, u, id.ClientID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// updateSchema implements PATCH /schemas/{full_name}, as updateCatalog.
func (s *Server) updateSchema(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	p, err := changedName(r, "full_name", 2)
	if err != nil {
		return err
	}
	u, err := readUpdate(r, "schema")
	if err != nil {
		return err
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireManage("SCHEMA", p[0]+"."+p[1]) }); err != nil {
		return err
	}
	sc, err := s.e.UpdateSchema(r.Context(), p[0], p[1], u, id.ClientID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

// updateTable implements PATCH /tables/{full_name}. Databricks' update
// changes the owner only (comments and properties change with SQL). Only
// an admin may give a view a new owner: a view reads with its owner's
// rights, so handing it to a principal with more rights would let the
// giver read through it what it may not read itself.
func (s *Server) updateTable(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	full := pathVar(r, "full_name")
	if _, err := changedName(r, "full_name", 3); err != nil {
		return err
	}
	u, err := readUpdate(r, "table")
	if err != nil {
		return err
	}
	if u.Comment != nil || u.Properties != nil {
		return badRequest("only owner can be changed through the tables API, as in Databricks; change properties with " +
			"ALTER TABLE ... SET TBLPROPERTIES in SQL")
	}
	if u.Owner == nil {
		return badRequest("field \"owner\" is required: the application id or display name of the new owner")
	}
	if err := s.authorize(r, id, func(z *engine.Authorizer) error { return z.RequireManage("TABLE", full) }); err != nil {
		return err
	}
	if t, err := s.e.GetTable(r.Context(), full); err == nil && t.TableType == "VIEW" && !id.Admin {
		return fmt.Errorf("%w: only an admin may change the owner of view %s: a view reads with its owner's rights", engine.ErrPermissionDenied, full)
	}
	t, err := s.e.SetTableOwner(r.Context(), full, *u.Owner)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
