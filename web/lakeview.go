package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lakeview"
)

// The Lakeview dashboards API (/api/2.0/lakeview/dashboards), in the shapes
// of Databricks' API and SDKs (https://docs.databricks.com/api/workspace/lakeview),
// plus zbemu's query endpoint that the dashboard page renders widgets
// with. Package lakeview keeps the dashboards and runs their queries.

// dashboardJSON is the API's Dashboard object. List responses leave out
// etag, parent_path, path, serialized_dashboard and update_time, as
// Databricks does.
type dashboardJSON struct {
	DashboardID         string `json:"dashboard_id,omitempty"`
	DisplayName         string `json:"display_name,omitempty"`
	Path                string `json:"path,omitempty"`
	ParentPath          string `json:"parent_path,omitempty"`
	CreateTime          string `json:"create_time,omitempty"`
	UpdateTime          string `json:"update_time,omitempty"`
	Etag                string `json:"etag,omitempty"`
	LifecycleState      string `json:"lifecycle_state,omitempty"`
	SerializedDashboard string `json:"serialized_dashboard,omitempty"`
	WarehouseID         string `json:"warehouse_id,omitempty"`
}

// dashboardRequest is the body of create and update: every field optional.
type dashboardRequest struct {
	DisplayName         *string `json:"display_name"`
	ParentPath          *string `json:"parent_path"`
	SerializedDashboard *string `json:"serialized_dashboard"`
	WarehouseID         *string `json:"warehouse_id"`
	Etag                string  `json:"etag"`
}

type publishedJSON struct {
	DisplayName        string `json:"display_name,omitempty"`
	EmbedCredentials   bool   `json:"embed_credentials"`
	RevisionCreateTime string `json:"revision_create_time,omitempty"`
	WarehouseID        string `json:"warehouse_id,omitempty"`
}

// apiTime is the timestamp format of the Lakeview API.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func toDashboardJSON(d lakeview.Dashboard, full bool) dashboardJSON {
	j := dashboardJSON{DashboardID: d.ID, DisplayName: d.DisplayName, CreateTime: apiTime(d.Created),
		LifecycleState: d.LifecycleState, WarehouseID: d.WarehouseID}
	if full {
		j.Path, j.ParentPath, j.UpdateTime, j.Etag, j.SerializedDashboard = d.Path(), d.ParentPath, apiTime(d.Updated), d.Etag(), d.Serialized
	}
	return j
}

// maxDashboardBody bounds a create or update body: the largest
// serialized_dashboard zbemu accepts, JSON-escaped inside a string
// (quotes and backslashes double), plus the other fields.
const maxDashboardBody = 2*lakeview.MaxSerializedBytes + 64<<10

func (s *Server) lakeviewRoutes(r *mux.Router) {
	const base = "/api/2.0/lakeview/dashboards"
	r.HandleFunc(base, s.handle(s.authed(s.lakeview(s.createDashboard)))).Methods(http.MethodPost)
	r.HandleFunc(base, s.handle(s.authed(s.lakeview(s.listDashboards)))).Methods(http.MethodGet)
	r.HandleFunc(base+"/{id}", s.handle(s.authed(s.lakeview(s.getDashboard)))).Methods(http.MethodGet)
	r.HandleFunc(base+"/{id}", s.handle(s.authed(s.lakeview(s.updateDashboard)))).Methods(http.MethodPatch)
	r.HandleFunc(base+"/{id}", s.handle(s.authed(s.lakeview(s.trashDashboard)))).Methods(http.MethodDelete)
	r.HandleFunc(base+"/{id}/published", s.handle(s.authed(s.lakeview(s.publishDashboard)))).Methods(http.MethodPost)
	r.HandleFunc(base+"/{id}/published", s.handle(s.authed(s.lakeview(s.getPublished)))).Methods(http.MethodGet)
	r.HandleFunc(base+"/{id}/published", s.handle(s.authed(s.lakeview(s.unpublishDashboard)))).Methods(http.MethodDelete)
	const perms = "/api/2.0/permissions/dashboards/{id}"
	r.HandleFunc(perms, s.handle(s.authed(s.lakeview(s.getDashboardPermissions)))).Methods(http.MethodGet)
	r.HandleFunc(perms, s.handle(s.authed(s.lakeview(s.setDashboardPermissions)))).Methods(http.MethodPut, http.MethodPatch)
	r.HandleFunc("/zbemu/v1/lakeview/dashboards/{id}/query", s.handle(s.authed(s.lakeview(s.queryDashboard)))).Methods(http.MethodPost)
}

// lakeview explains when the server runs without dashboards.
func (s *Server) lakeview(h authedFunc) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
		if s.opts.Dashboards == nil {
			return &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED", "dashboards are not available on this server"}
		}
		return h(w, r, id)
	}
}

func (s *Server) createDashboard(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req dashboardRequest
	if err := decodeJSONLimit(r, &req, maxDashboardBody); err != nil {
		return err
	}
	var d lakeview.Dashboard
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&d.DisplayName, req.DisplayName}, {&d.ParentPath, req.ParentPath}, {&d.Serialized, req.SerializedDashboard}, {&d.WarehouseID, req.WarehouseID}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	created, err := s.opts.Dashboards.Create(r.Context(), id, d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDashboardJSON(created, true))
	return nil
}

func (s *Server) listDashboards(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	q := r.URL.Query()
	o := lakeview.ListOptions{PageToken: q.Get("page_token")}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return badRequest("page_size must be an integer, got " + strconv.Quote(v))
		}
		o.PageSize = n
	}
	if v := q.Get("show_trashed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("show_trashed must be true or false, got " + strconv.Quote(v))
		}
		o.ShowTrashed = b
	}
	ds, next, err := s.opts.Dashboards.List(r.Context(), id, o)
	if err != nil {
		return err
	}
	out := struct {
		Dashboards    []dashboardJSON `json:"dashboards"`
		NextPageToken string          `json:"next_page_token,omitempty"`
	}{Dashboards: make([]dashboardJSON, len(ds)), NextPageToken: next}
	for i, d := range ds {
		out.Dashboards[i] = toDashboardJSON(d, false)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getDashboard(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	d, err := s.opts.Dashboards.Get(r.Context(), id, pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDashboardJSON(d, true))
	return nil
}

func (s *Server) updateDashboard(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := requirePatchBody(r, "display_name, serialized_dashboard, warehouse_id, parent_path, and etag to change only the version read"); err != nil {
		return err
	}
	var req dashboardRequest
	if err := decodeJSONLimit(r, &req, maxDashboardBody); err != nil {
		return err
	}
	d, err := s.opts.Dashboards.Update(r.Context(), id, pathVar(r, "id"), lakeview.Change{DisplayName: req.DisplayName, ParentPath: req.ParentPath,
		Serialized: req.SerializedDashboard, WarehouseID: req.WarehouseID, Etag: req.Etag})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDashboardJSON(d, true))
	return nil
}

func (s *Server) trashDashboard(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.opts.Dashboards.Trash(r.Context(), id, pathVar(r, "id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func toPublishedJSON(p lakeview.Published) publishedJSON {
	return publishedJSON{DisplayName: p.DisplayName, EmbedCredentials: p.EmbedCredentials, RevisionCreateTime: apiTime(p.Created), WarehouseID: p.WarehouseID}
}

func (s *Server) publishDashboard(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req struct {
		EmbedCredentials bool   `json:"embed_credentials"`
		WarehouseID      string `json:"warehouse_id"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	p, err := s.opts.Dashboards.Publish(r.Context(), id, pathVar(r, "id"), req.WarehouseID, req.EmbedCredentials)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPublishedJSON(p))
	return nil
}

func (s *Server) getPublished(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	p, err := s.opts.Dashboards.GetPublished(r.Context(), id, pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPublishedJSON(p))
	return nil
}

func (s *Server) unpublishDashboard(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.opts.Dashboards.Unpublish(r.Context(), id, pathVar(r, "id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// aceJSON is one entry of a Permissions API access_control_list. zbemu's
// principals are service principals; user_name is read as a client id too.
type aceJSON struct {
	UserName             string           `json:"user_name,omitempty"`
	ServicePrincipalName string           `json:"service_principal_name,omitempty"`
	GroupName            string           `json:"group_name,omitempty"`
	PermissionLevel      string           `json:"permission_level,omitempty"`
	AllPermissions       []permissionJSON `json:"all_permissions,omitempty"`
}

type permissionJSON struct {
	PermissionLevel string `json:"permission_level"`
	Inherited       bool   `json:"inherited"`
}

func (s *Server) writeDashboardPermissions(w http.ResponseWriter, r *http.Request, who *engine.Identity, id string) error {
	owner, grants, err := s.opts.Dashboards.Permissions(r.Context(), who, id)
	if err != nil {
		return err
	}
	entry := func(principal string, group bool, level string, inherited bool) aceJSON {
		a := aceJSON{ServicePrincipalName: principal}
		if group {
			a = aceJSON{GroupName: principal}
		}
		a.AllPermissions = []permissionJSON{{level, inherited}}
		return a
	}
	acl := []aceJSON{entry(owner, false, lakeview.CanManage, false), entry("admins", true, lakeview.CanManage, true)}
	for _, g := range grants {
		acl = append(acl, entry(g.Principal, g.Group, g.Level, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object_id": "/dashboards/" + id, "object_type": "dashboard", "access_control_list": acl})
	return nil
}

func (s *Server) getDashboardPermissions(w http.ResponseWriter, r *http.Request, who *engine.Identity) error {
	return s.writeDashboardPermissions(w, r, who, pathVar(r, "id"))
}

// setDashboardPermissions adds grants (PATCH) or replaces them (PUT).
func (s *Server) setDashboardPermissions(w http.ResponseWriter, r *http.Request, who *engine.Identity) error {
	var req struct {
		AccessControlList []aceJSON `json:"access_control_list"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	grants := make([]lakeview.Grant, len(req.AccessControlList))
	for i, a := range req.AccessControlList {
		g := lakeview.Grant{Principal: a.ServicePrincipalName, Level: a.PermissionLevel}
		switch {
		case a.GroupName != "":
			g.Principal, g.Group = a.GroupName, true
		case a.UserName != "":
			g.Principal = a.UserName
		}
		grants[i] = g
	}
	id := pathVar(r, "id")
	if err := s.opts.Dashboards.SetPermissions(r.Context(), who, id, grants, r.Method == http.MethodPut); err != nil {
		return err
	}
	return s.writeDashboardPermissions(w, r, who, id)
}

// selectionJSON is a filter or parameter selection on the wire: "value"
// (one), "values" (several) or "min"/"max" (a range).
type selectionJSON struct {
	Value  *string  `json:"value"`
	Values []string `json:"values"`
	Min    *string  `json:"min"`
	Max    *string  `json:"max"`
}

func (v selectionJSON) value() lakeview.Value {
	out := lakeview.Value{Values: v.Values, Min: v.Min, Max: v.Max}
	if v.Value != nil {
		out.Values = append([]string{*v.Value}, out.Values...)
	}
	return out
}

// queryRequestJSON is the body of POST /zbemu/v1/lakeview/dashboards/{id}/query.
type queryRequestJSON struct {
	Page       string `json:"page"`
	Widget     string `json:"widget"`
	Dataset    string `json:"dataset"`
	Published  bool   `json:"published"`
	Parameters []struct {
		Keyword string `json:"keyword"`
		Dataset string `json:"dataset"`
		selectionJSON
	} `json:"parameters"`
	Filters []struct {
		Page   string `json:"page"`
		Widget string `json:"widget"`
		selectionJSON
	} `json:"filters"`
}

// queryResultJSON is one query's outcome: the Statement API's status,
// manifest and result, plus the statement and parameters that ran.
type queryResultJSON struct {
	QueryName  string           `json:"query_name,omitempty"`
	Dataset    string           `json:"dataset"`
	Statement  string           `json:"statement,omitempty"`
	Parameters []statementParam `json:"parameters"`
	Status     statementStatus  `json:"status"`
	Manifest   *manifest        `json:"manifest,omitempty"`
	Result     *resultData      `json:"result,omitempty"`
}

func (s *Server) queryDashboard(w http.ResponseWriter, r *http.Request, who *engine.Identity) error {
	var req queryRequestJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	q := lakeview.QueryRequest{Page: req.Page, Widget: req.Widget, Dataset: req.Dataset, Published: req.Published}
	for i, p := range req.Parameters {
		if p.Keyword == "" {
			return badRequest("parameters[" + strconv.Itoa(i) + "]: field \"keyword\" is required")
		}
		q.Params = append(q.Params, lakeview.ParamValue{Dataset: p.Dataset, Keyword: p.Keyword, Value: p.value()})
	}
	for i, f := range req.Filters {
		if f.Widget == "" {
			return badRequest("filters[" + strconv.Itoa(i) + "]: field \"widget\" is required (the filter widget's name)")
		}
		q.Filters = append(q.Filters, lakeview.FilterValue{Page: f.Page, Widget: f.Widget, Value: f.value()})
	}
	id := pathVar(r, "id")
	results, err := s.opts.Dashboards.Query(r.Context(), who, id, q)
	if err != nil {
		return err
	}
	out := struct {
		Results []queryResultJSON `json:"results"`
	}{Results: make([]queryResultJSON, len(results))}
	for i, res := range results {
		j := queryResultJSON{QueryName: res.Name, Dataset: res.Dataset, Statement: res.Compiled.SQL, Parameters: []statementParam{}}
		for _, p := range res.Compiled.Params {
			j.Parameters = append(j.Parameters, statementParam{Name: p.Name, Value: p.Value, Type: p.Type})
		}
		if res.Err != nil {
			s.logFailure(r.Context(), "dashboard query failed", res.Err, "dashboard_id", id, "page", req.Page, "widget", req.Widget,
				"query", res.Name, "dataset", res.Dataset, "principal", who.ClientID)
			j.Status = failedStatus(res.Err)
		} else {
			j.Status = statementStatus{State: "SUCCEEDED"}
			var chunks []resultData
			j.Manifest, chunks = shapeResult(res.Result, "", engine.MaxResultBytes)
			j.Result = &chunks[0]
		}
		out.Results[i] = j
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
