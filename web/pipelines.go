package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/pipeline"
	"github.com/zbemu/zbemu/engine/rowcheck"
)

// PipelineManager runs Lakeflow Declarative Pipelines; *pipeline.Manager
// implements it. Each call authorizes the identity itself.
type PipelineManager interface {
	Create(ctx context.Context, who *engine.Identity, spec pipeline.Spec) (pipeline.Pipeline, error)
	Get(ctx context.Context, who *engine.Identity, id string) (pipeline.Pipeline, error)
	List(ctx context.Context, who *engine.Identity) ([]pipeline.Pipeline, error)
	Edit(ctx context.Context, who *engine.Identity, id string, spec pipeline.Spec) (pipeline.Pipeline, error)
	Delete(ctx context.Context, who *engine.Identity, id string) error
	StartUpdate(ctx context.Context, who *engine.Identity, id string, fullRefresh bool) (pipeline.Update, error)
	Stop(ctx context.Context, who *engine.Identity, id string) error
	Updates(ctx context.Context, who *engine.Identity, id string) ([]pipeline.Update, error)
	GetUpdate(ctx context.Context, who *engine.Identity, id, updateID string) (pipeline.Update, error)
	Events(ctx context.Context, who *engine.Identity, id string, q pipeline.EventQuery) ([]pipeline.Event, string, error)
}

// The Pipelines API 2.0 in Databricks' shapes, as the official SDKs call
// it: https://docs.databricks.com/api/workspace/pipelines
const pipelinesBase = "/api/2.0/pipelines"

func (s *Server) pipelineRoutes(r *mux.Router) {
	h := func(f authedFunc) http.HandlerFunc { return s.handle(s.authed(s.pipelinesOn(f))) }
	r.HandleFunc(pipelinesBase, h(s.createPipeline)).Methods(http.MethodPost)
	r.HandleFunc(pipelinesBase, h(s.listPipelines)).Methods(http.MethodGet)
	r.HandleFunc(pipelinesBase+"/{id}", h(s.getPipeline)).Methods(http.MethodGet)
	r.HandleFunc(pipelinesBase+"/{id}", h(s.editPipeline)).Methods(http.MethodPut)
	r.HandleFunc(pipelinesBase+"/{id}", h(s.deletePipeline)).Methods(http.MethodDelete)
	r.HandleFunc(pipelinesBase+"/{id}/updates", h(s.startUpdate)).Methods(http.MethodPost)
	r.HandleFunc(pipelinesBase+"/{id}/updates", h(s.listUpdates)).Methods(http.MethodGet)
	r.HandleFunc(pipelinesBase+"/{id}/updates/{update_id}", h(s.getUpdate)).Methods(http.MethodGet)
	r.HandleFunc(pipelinesBase+"/{id}/stop", h(s.stopPipeline)).Methods(http.MethodPost)
	r.HandleFunc(pipelinesBase+"/{id}/events", h(s.listEvents)).Methods(http.MethodGet)
}

// pipelinesOn explains when the server runs without the pipelines service.
func (s *Server) pipelinesOn(h authedFunc) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
		if s.opts.Pipelines == nil {
			return &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED", "pipelines are off in this server"}
		}
		return h(w, r, id)
	}
}

// libraryJSON is one entry of libraries[].
type libraryJSON struct {
	File     *pathJSON `json:"file,omitempty"`
	Notebook *pathJSON `json:"notebook,omitempty"`
	Glob     *globJSON `json:"glob,omitempty"`
	// Jar, Maven and Whl are Python/JVM libraries, which zbemu cannot run.
	Jar   json.RawMessage `json:"jar,omitempty"`
	Maven json.RawMessage `json:"maven,omitempty"`
	Whl   json.RawMessage `json:"whl,omitempty"`
}

type pathJSON struct {
	Path string `json:"path"`
}

type globJSON struct {
	Include string `json:"include"`
}

// specJSON is a pipeline's settings on the wire (PipelineSpec). Cluster,
// channel, edition, photon and serverless settings are accepted and
// ignored: they choose compute, which zbemu does not have.
type specJSON struct {
	ID            string            `json:"id,omitempty"`
	Name          string            `json:"name"`
	Catalog       string            `json:"catalog,omitempty"`
	Schema        string            `json:"schema,omitempty"`
	Target        string            `json:"target,omitempty"`
	Libraries     []libraryJSON     `json:"libraries"`
	Continuous    bool              `json:"continuous"`
	Development   bool              `json:"development"`
	Configuration map[string]string `json:"configuration,omitempty"`
	// SQL is inline pipeline source, a zbemu extension.
	SQL string `json:"zbemu_sql,omitempty"`
	// Options of the create/edit request, not part of the stored spec.
	DryRun              bool   `json:"dry_run,omitempty"`
	AllowDuplicateNames bool   `json:"allow_duplicate_names,omitempty"`
	PipelineID          string `json:"pipeline_id,omitempty"`
}

func (j specJSON) spec() (pipeline.Spec, error) {
	sp := pipeline.Spec{Name: j.Name, Catalog: j.Catalog, Schema: j.Schema, Continuous: j.Continuous,
		Development: j.Development, Configuration: j.Configuration, SQL: j.SQL}
	if sp.Schema == "" {
		sp.Schema = j.Target
	} else if j.Target != "" && j.Target != j.Schema {
		return sp, badRequest(fmt.Sprintf("fields \"schema\" (%q) and \"target\" (%q) differ; \"target\" is the legacy name of \"schema\": give one", j.Schema, j.Target))
	}
	if sp.Name == "" {
		return sp, badRequest("field \"name\" is required: a string naming the pipeline")
	}
	for i, l := range j.Libraries {
		field := fmt.Sprintf("libraries[%d]", i)
		switch {
		case l.File != nil && l.File.Path != "":
			if err := sqlSourcePath(field+".file.path", l.File.Path); err != nil {
				return sp, err
			}
			sp.Libraries = append(sp.Libraries, pipeline.Library{File: l.File.Path})
		case l.Notebook != nil && l.Notebook.Path != "":
			// A workspace notebook path has no extension; its local
			// stand-in is the .sql file of the same name.
			p := l.Notebook.Path
			if filepath.Ext(p) == "" {
				p += ".sql"
			}
			if err := sqlSourcePath(field+".notebook.path", p); err != nil {
				return sp, err
			}
			sp.Libraries = append(sp.Libraries, pipeline.Library{Notebook: p})
		case l.Glob != nil && l.Glob.Include != "":
			if err := sqlSourcePath(field+".glob.include", l.Glob.Include); err != nil {
				return sp, err
			}
			sp.Libraries = append(sp.Libraries, pipeline.Library{Glob: l.Glob.Include})
		case l.Jar != nil || l.Maven != nil || l.Whl != nil:
			return sp, &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED",
				fmt.Sprintf("field \"libraries[%d]\": jar, maven and whl libraries are not supported; zbemu runs SQL sources given as {\"file\": {\"path\": \"...sql\"}}", i)}
		default:
			return sp, badRequest(fmt.Sprintf("field \"libraries[%d]\": expected {\"file\": {\"path\": ...}}, {\"notebook\": {\"path\": ...}} or {\"glob\": {\"include\": ...}} with a non-empty path", i))
		}
	}
	return sp, nil
}

// sqlSourcePath admits only .sql sources: the server reads these files
// with its own rights, and a parse error quotes their text, so a path must
// not be a way to read other files of the machine.
func sqlSourcePath(field, p string) error {
	if !strings.EqualFold(filepath.Ext(p), ".sql") {
		return badRequest(fmt.Sprintf("field %q: expected the path of a .sql file (Lakeflow Declarative Pipelines SQL), got %q", field, p))
	}
	return nil
}

func toSpecJSON(id string, sp pipeline.Spec) specJSON {
	j := specJSON{ID: id, Name: sp.Name, Catalog: sp.Catalog, Schema: sp.Schema, Continuous: sp.Continuous,
		Development: sp.Development, Configuration: sp.Configuration, SQL: sp.SQL, Libraries: []libraryJSON{}}
	for _, l := range sp.Libraries {
		switch {
		case l.File != "":
			j.Libraries = append(j.Libraries, libraryJSON{File: &pathJSON{l.File}})
		case l.Notebook != "":
			j.Libraries = append(j.Libraries, libraryJSON{Notebook: &pathJSON{l.Notebook}})
		default:
			j.Libraries = append(j.Libraries, libraryJSON{Glob: &globJSON{l.Glob}})
		}
	}
	return j
}

// updateStateJSON is UpdateStateInfo (latest_updates[]).
type updateStateJSON struct {
	UpdateID     string `json:"update_id"`
	State        string `json:"state"`
	CreationTime string `json:"creation_time"`
}

// updateJSON is UpdateInfo.
type updateJSON struct {
	PipelineID   string   `json:"pipeline_id"`
	UpdateID     string   `json:"update_id"`
	State        string   `json:"state"`
	Cause        string   `json:"cause,omitempty"`
	CreationTime int64    `json:"creation_time"`
	FullRefresh  bool     `json:"full_refresh"`
	Config       specJSON `json:"config"`
	// ClusterID is empty: updates run inside zbemu.
	ClusterID string `json:"cluster_id,omitempty"`
	// Error and Flows are zbemu extensions: why a FAILED update failed,
	// and what each dataset's flow did (zbemu pipeline run prints them).
	Error string     `json:"zbemu_error,omitempty"`
	Flows []flowJSON `json:"zbemu_flows,omitempty"`
}

type flowJSON struct {
	Dataset      string            `json:"dataset"`
	Kind         string            `json:"kind"`
	Status       string            `json:"status"`
	RowsIn       int64             `json:"rows_in"`
	RowsWritten  int64             `json:"rows_written"`
	Expectations []expectationJSON `json:"expectations"`
}

// expectationJSON has the field names of the event log's
// flow_progress.data_quality.expectations.
type expectationJSON struct {
	Name          string `json:"name"`
	Dataset       string `json:"dataset"`
	Action        string `json:"action"`
	PassedRecords int64  `json:"passed_records"`
	FailedRecords int64  `json:"failed_records"`
}

func toUpdateJSON(u pipeline.Update, sp pipeline.Spec) updateJSON {
	j := updateJSON{PipelineID: u.PipelineID, UpdateID: u.ID, State: u.State, Cause: u.Cause,
		CreationTime: u.Created.UnixMilli(), FullRefresh: u.FullRefresh, Config: toSpecJSON(u.PipelineID, sp), Error: u.Error}
	for _, f := range u.Flows {
		fj := flowJSON{Dataset: f.Dataset, Kind: f.Kind, Status: f.Status, RowsIn: f.RowsIn, RowsWritten: f.RowsWritten, Expectations: []expectationJSON{}}
		for _, e := range f.Expectations {
			fj.Expectations = append(fj.Expectations, expectationJSON{Name: e.Name, Dataset: e.Dataset, Action: e.Action,
				PassedRecords: e.PassedRecords, FailedRecords: e.FailedRecords})
		}
		j.Flows = append(j.Flows, fj)
	}
	return j
}

// pipelineJSON is GetPipelineResponse; List returns the same fields but spec
// (PipelineStateInfo).
type pipelineJSON struct {
	PipelineID      string            `json:"pipeline_id"`
	Name            string            `json:"name"`
	State           string            `json:"state"`
	Health          string            `json:"health"`
	Cause           string            `json:"cause,omitempty"`
	CreatorUserName string            `json:"creator_user_name"`
	RunAsUserName   string            `json:"run_as_user_name"`
	LastModified    int64             `json:"last_modified,omitempty"`
	LatestUpdates   []updateStateJSON `json:"latest_updates"`
	Spec            *specJSON         `json:"spec,omitempty"`
}

func toPipelineJSON(p pipeline.Pipeline, withSpec bool) pipelineJSON {
	j := pipelineJSON{PipelineID: p.ID, Name: p.Spec.Name, State: p.State, Health: "HEALTHY",
		CreatorUserName: p.Owner, RunAsUserName: p.Owner, LastModified: p.Created.UnixMilli(), LatestUpdates: []updateStateJSON{}}
	if p.State == "FAILED" {
		j.Health = "UNHEALTHY"
	}
	for _, u := range p.Latest {
		j.LatestUpdates = append(j.LatestUpdates, updateStateJSON{UpdateID: u.ID, State: u.State, CreationTime: u.Created.UTC().Format(time.RFC3339Nano)})
	}
	if withSpec {
		sp := toSpecJSON(p.ID, p.Spec)
		j.Spec = &sp
	}
	return j
}

func (s *Server) createPipeline(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req specJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sp, err := req.spec()
	if err != nil {
		return err
	}
	if !req.AllowDuplicateNames {
		if err := s.uniquePipelineName(r.Context(), id, sp.Name, ""); err != nil {
			return err
		}
	}
	if req.DryRun {
		// Validation without storing: what Create checks, then nothing.
		writeJSON(w, http.StatusOK, map[string]any{"effective_settings": toSpecJSON("", sp)})
		return nil
	}
	p, err := s.opts.Pipelines.Create(r.Context(), id, sp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"pipeline_id": p.ID})
	return nil
}

// uniquePipelineName refuses a second pipeline of the same name, as
// Databricks does unless allow_duplicate_names is set.
func (s *Server) uniquePipelineName(ctx context.Context, id *engine.Identity, name, self string) error {
	list, err := s.opts.Pipelines.List(ctx, id)
	if err != nil {
		return err
	}
	for _, p := range list {
		if p.ID != self && p.Spec.Name == name {
			return &httpError{http.StatusConflict, "RESOURCE_CONFLICT",
				fmt.Sprintf("a pipeline named %q already exists (pipeline_id %s); choose another name or set \"allow_duplicate_names\": true", name, p.ID)}
		}
	}
	return nil
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	like, err := pipelineNameFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return err
	}
	// Names match case-insensitively, as the workspace's pipeline list does.
	re, err := rowcheck.LikeRegexp(strings.ToLower(like))
	if err != nil {
		return badRequest("query parameter filter: " + err.Error())
	}
	list, err := s.opts.Pipelines.List(r.Context(), id)
	if err != nil {
		return err
	}
	out := []pipelineJSON{}
	for _, p := range list {
		if re.MatchString(strings.ToLower(p.Spec.Name)) {
			out = append(out, toPipelineJSON(p, false))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"statuses": out})
	return nil
}

// pipelineNameFilter reads the list filter Databricks documents for
// pipelines: name LIKE '<pattern>'; no filter is the pattern %.
func pipelineNameFilter(f string) (string, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return "%", nil
	}
	fields := strings.Fields(f)
	if len(fields) >= 3 && strings.EqualFold(fields[0], "name") && strings.EqualFold(fields[1], "LIKE") {
		pat := strings.TrimSpace(f[strings.Index(strings.ToUpper(f), "LIKE")+4:])
		if len(pat) >= 2 && pat[0] == '\'' && pat[len(pat)-1] == '\'' {
			return pat[1 : len(pat)-1], nil
		}
	}
	return "", badRequest(fmt.Sprintf("query parameter filter: expected name LIKE '<pattern>', got %q", f))
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	p, err := s.opts.Pipelines.Get(r.Context(), id, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPipelineJSON(p, true))
	return nil
}

func (s *Server) editPipeline(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req specJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	pid := mux.Vars(r)["id"]
	// Whether the caller may see the pipeline comes before what is wrong
	// with the request: a stranger learns nothing from the answer.
	if _, err := s.opts.Pipelines.Get(r.Context(), id, pid); err != nil {
		return err
	}
	if req.PipelineID != "" && req.PipelineID != pid {
		return badRequest(fmt.Sprintf("field \"pipeline_id\" (%q) differs from the pipeline in the path (%q)", req.PipelineID, pid))
	}
	sp, err := req.spec()
	if err != nil {
		return err
	}
	if !req.AllowDuplicateNames {
		if err := s.uniquePipelineName(r.Context(), id, sp.Name, pid); err != nil {
			return err
		}
	}
	if _, err := s.opts.Pipelines.Edit(r.Context(), id, pid, sp); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (s *Server) deletePipeline(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.opts.Pipelines.Delete(r.Context(), id, mux.Vars(r)["id"]); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (s *Server) startUpdate(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req struct {
		FullRefresh          bool     `json:"full_refresh"`
		Cause                string   `json:"cause"`
		ValidateOnly         bool     `json:"validate_only"`
		RefreshSelection     []string `json:"refresh_selection"`
		FullRefreshSelection []string `json:"full_refresh_selection"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	switch {
	case req.ValidateOnly:
		return &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED", "field \"validate_only\": zbemu validates a pipeline when it is created or edited; start an update without validate_only"}
	case len(req.RefreshSelection) > 0 || len(req.FullRefreshSelection) > 0:
		return &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED", "fields \"refresh_selection\" and \"full_refresh_selection\": zbemu refreshes every dataset of the pipeline; omit them (use \"full_refresh\": true to recompute all)"}
	}
	u, err := s.opts.Pipelines.StartUpdate(r.Context(), id, mux.Vars(r)["id"], req.FullRefresh)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"update_id": u.ID})
	return nil
}

func (s *Server) listUpdates(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	pid := mux.Vars(r)["id"]
	max, err := intQuery(r, "max_results", 25, 1, 100)
	if err != nil {
		return err
	}
	p, err := s.opts.Pipelines.Get(r.Context(), id, pid)
	if err != nil {
		return err
	}
	all, err := s.opts.Pipelines.Updates(r.Context(), id, pid)
	if err != nil {
		return err
	}
	start := 0
	if tok := r.URL.Query().Get("page_token"); tok != "" {
		start = -1
		for i, u := range all {
			if u.ID == tok {
				start = i
			}
		}
		if start < 0 {
			return badRequest(fmt.Sprintf("query parameter page_token: %q is not a page of this pipeline's updates", tok))
		}
	}
	out := []updateJSON{}
	next := ""
	for i := start; i < len(all); i++ {
		if len(out) == max {
			next = all[i].ID
			break
		}
		out = append(out, toUpdateJSON(all[i], p.Spec))
		if u := r.URL.Query().Get("until_update_id"); u != "" && all[i].ID == u {
			break
		}
	}
	body := map[string]any{"updates": out}
	if next != "" {
		body["next_page_token"] = next
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// intQuery reads an optional integer query parameter in [lo, hi].
func intQuery(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(fmt.Sprintf("query parameter %s: expected an integer from %d to %d, got %q", name, lo, hi, v))
	}
	return n, nil
}

func (s *Server) getUpdate(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	pid := mux.Vars(r)["id"]
	p, err := s.opts.Pipelines.Get(r.Context(), id, pid)
	if err != nil {
		return err
	}
	u, err := s.opts.Pipelines.GetUpdate(r.Context(), id, pid, mux.Vars(r)["update_id"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"update": toUpdateJSON(u, p.Spec)})
	return nil
}

func (s *Server) stopPipeline(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.opts.Pipelines.Stop(r.Context(), id, mux.Vars(r)["id"]); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// eventJSON is PipelineEvent; details is the JSON object the event log's
// details column holds.
type eventJSON struct {
	ID            string          `json:"id"`
	Sequence      json.RawMessage `json:"sequence,omitempty"`
	Origin        originJSON      `json:"origin"`
	Timestamp     string          `json:"timestamp"`
	Message       string          `json:"message"`
	Level         string          `json:"level"`
	MaturityLevel string          `json:"maturity_level,omitempty"`
	Error         json.RawMessage `json:"error,omitempty"`
	Details       json.RawMessage `json:"details,omitempty"`
	EventType     string          `json:"event_type"`
}

type originJSON struct {
	PipelineID   string `json:"pipeline_id"`
	PipelineName string `json:"pipeline_name,omitempty"`
	UpdateID     string `json:"update_id,omitempty"`
	FlowName     string `json:"flow_name,omitempty"`
	DatasetName  string `json:"dataset_name,omitempty"`
}

// rawJSON passes stored JSON through, dropping what is not JSON.
func rawJSON(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return nil
	}
	return json.RawMessage(s)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	max, err := intQuery(r, "max_results", 25, 1, 250)
	if err != nil {
		return err
	}
	q := pipeline.EventQuery{MaxResults: max, PageToken: r.URL.Query().Get("page_token"), Filter: r.URL.Query().Get("filter")}
	evs, next, err := s.opts.Pipelines.Events(r.Context(), id, mux.Vars(r)["id"], q)
	if err != nil {
		return err
	}
	out := make([]eventJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventJSON{ID: e.ID, Sequence: rawJSON(e.Sequence), Timestamp: e.Timestamp.UTC().Format(time.RFC3339Nano),
			Message: e.Message, Level: e.Level, MaturityLevel: e.MaturityLevel, Error: rawJSON(e.Error), Details: rawJSON(e.Details),
			EventType: e.EventType, Origin: originJSON{PipelineID: e.Origin.PipelineID, PipelineName: e.Origin.PipelineName,
				UpdateID: e.Origin.UpdateID, FlowName: e.Origin.FlowName, DatasetName: e.Origin.DatasetName}})
	}
	body := map[string]any{"events": out}
	if next != "" {
		body["next_page_token"] = next
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
