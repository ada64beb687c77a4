package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine"
)

// Library is one source of a pipeline, as the Pipelines API names it
// (libraries[]: {"file": {"path"}}, {"notebook": {"path"}}, {"glob":
// {"include"}}). Paths are local SQL files, absolute or relative to the
// server's working directory.
type Library struct {
	File     string
	Notebook string
	Glob     string
}

// Spec is a pipeline's settings (the Pipelines API "spec").
type Spec struct {
	Name string
	// Catalog and Schema are where the datasets are published (Target is
	// the legacy name of Schema; the API layer maps it).
	Catalog, Schema string
	Libraries       []Library
	// SQL is inline pipeline source (zbemu extension, used by tests and
	// `zbemu pipeline run`); it is read in addition to Libraries.
	SQL           string
	Continuous    bool
	Development   bool
	Configuration map[string]string
}

// Pipeline is a stored pipeline with its state.
type Pipeline struct {
	ID      string
	Spec    Spec
	Owner   string // creator, who updates run as
	State   string // IDLE, RUNNING, FAILED, DELETED
	Created time.Time
	// Latest are the most recent updates, newest first (at most 5).
	Latest []Update
}

// Update states, as the Pipelines API names them.
const (
	UpdateQueued       = "QUEUED"
	UpdateInitializing = "INITIALIZING"
	UpdateSettingUp    = "SETTING_UP_TABLES"
	UpdateRunning      = "RUNNING"
	UpdateStopping     = "STOPPING"
	UpdateCompleted    = "COMPLETED"
	UpdateFailed       = "FAILED"
	UpdateCanceled     = "CANCELED"
)

// Update is one update (run) of a pipeline.
type Update struct {
	PipelineID  string
	ID          string
	State       string
	Cause       string // API_CALL, ...
	FullRefresh bool
	Created     time.Time
	// Flows is the per-dataset summary, filled as the update runs.
	Flows []FlowSummary
	// Error is the failure message of a FAILED update.
	Error string
}

// FlowSummary is what one dataset's flow did in an update.
type FlowSummary struct {
	Dataset      string // catalog.schema.name
	Kind         string // dialect.DatasetStreamingTable, ...
	RowsIn       int64  // source rows read
	RowsWritten  int64
	Expectations []ExpectationResult
	Status       string // COMPLETED, FAILED, SKIPPED, STOPPED
}

// ExpectationResult is one expectation's counts in one flow, as the event
// log's flow_progress.data_quality.expectations reports them.
type ExpectationResult struct {
	Name          string
	Dataset       string
	Action        string // WARN, DROP, FAIL
	PassedRecords int64
	FailedRecords int64
}

// Event is one event log entry (Databricks' event log schema).
type Event struct {
	ID            string
	Sequence      string // JSON, as Databricks' sequence struct
	Origin        Origin
	Timestamp     time.Time
	Message       string
	Level         string // INFO, WARN, ERROR, METRICS
	MaturityLevel string // STABLE, EVOLVING, ...
	Error         string // JSON or empty
	Details       string // JSON
	EventType     string // create_update, update_progress, flow_progress, ...
}

// Origin is where an event comes from.
type Origin struct {
	PipelineID, PipelineName, UpdateID, FlowName, DatasetName string
}

// EventQuery pages through a pipeline's events, newest first.
type EventQuery struct {
	MaxResults int
	PageToken  string
	// Filter is the Pipelines API filter, e.g. "level='ERROR'" or
	// "event_type='flow_progress'" (a documented subset).
	Filter string
}

// Options configure a Manager.
type Options struct {
	// WorkDir resolves relative library paths (the server's working
	// directory by default).
	WorkDir string
	// ContinuousInterval is how often a continuous pipeline looks for new
	// rows (default 250ms).
	ContinuousInterval time.Duration
	// Observer receives run measurements (may be nil).
	Observer Observer
}

// Observer receives what pipeline runs do, for /metrics and stats.
type Observer interface {
	FlowProgress(pipelineID, dataset string, rowsIn, rowsWritten, dropped int64)
	UpdateDone(pipelineID, state string, d time.Duration)
}

// Manager owns the pipelines of one engine and their runs.
type Manager struct {
	eng  *engine.Engine
	opts Options
	log  *slog.Logger
	seq  atomic.Int64 // last event sequence number

	// mu guards the pipelines, their updates and runs.
	mu     sync.Mutex
	pipes  map[string]*pipe
	closed bool
	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// pipe is a stored pipeline with its updates (newest first) and its
// active run, if any.
type pipe struct {
	p       Pipeline
	updates []Update
	run     *activeRun
}

// activeRun is a running update; stopped is set by Stop (not by Close,
// after which a continuous pipeline resumes on the next Open).
type activeRun struct {
	r       *updateRun
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

type nopObserver struct{}

func (nopObserver) FlowProgress(string, string, int64, int64, int64) {}
func (nopObserver) UpdateDone(string, string, time.Duration)         {}

// Pipeline states.
const (
	StateIdle    = "IDLE"
	StateRunning = "RUNNING"
	StateFailed  = "FAILED"
)

// Open loads the stored pipelines and restarts continuous ones.
func Open(ctx context.Context, eng *engine.Engine, opts Options) (*Manager, error) {
	if opts.ContinuousInterval <= 0 {
		opts.ContinuousInterval = 250 * time.Millisecond
	}
	if opts.WorkDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		opts.WorkDir = wd
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	m := &Manager{eng: eng, opts: opts, log: eng.Options().Logger, pipes: map[string]*pipe{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if err := m.load(ctx); err != nil {
		return nil, fmt.Errorf("load pipelines: %w", err)
	}
	eng.SetEventLogSource(m)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, pp := range m.pipes {
		// An update that was running when the server stopped ended then.
		for i := range pp.updates {
			if u := &pp.updates[i]; !terminal(u.State) {
				u.State = UpdateCanceled
				if err := m.saveUpdate(ctx, pp.p.Spec.Catalog, *u); err != nil {
					return nil, err
				}
			}
		}
		if pp.p.State != StateRunning {
			continue
		}
		if pp.p.Spec.Continuous {
			m.startLocked(pp, "SERVICE_UPGRADE", false)
			continue
		}
		pp.p.State = StateIdle
		if err := m.savePipeline(ctx, pp.p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func terminal(state string) bool {
	return state == UpdateCompleted || state == UpdateFailed || state == UpdateCanceled
}

// Close stops every running update (their progress is committed) and
// waits. Close the Manager before its engine.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.eng.SetEventLogSource(nil)
	m.cancel()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close pipelines: %w", ctx.Err())
	}
}

// Create validates the spec (sources readable, SQL parses, dataset graph
// acyclic, references known) and stores the pipeline, owned by who.
func (m *Manager) Create(ctx context.Context, who *engine.Identity, spec Spec) (Pipeline, error) {
	if who == nil {
		return Pipeline{}, fmt.Errorf("%w: missing credentials", engine.ErrUnauthenticated)
	}
	if err := m.validate(ctx, spec); err != nil {
		return Pipeline{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkOpenLocked(); err != nil {
		return Pipeline{}, err
	}
	if err := m.uniqueNameLocked(spec.Name, ""); err != nil {
		return Pipeline{}, err
	}
	p := Pipeline{ID: uuid.NewString(), Spec: spec, Owner: who.ClientID, State: StateIdle, Created: time.Now().UTC()}
	if err := m.savePipeline(ctx, p); err != nil {
		return Pipeline{}, err
	}
	m.pipes[p.ID] = &pipe{p: p}
	return p, nil
}

// validate checks a spec's fields and compiles its sources.
func (m *Manager) validate(ctx context.Context, spec Spec) error {
	for _, f := range []struct{ name, val string }{{"name", spec.Name}, {"catalog", spec.Catalog}, {"schema", spec.Schema}} {
		if strings.TrimSpace(f.val) == "" {
			return fmt.Errorf("%w: %s is required (a non-empty string)", engine.ErrInvalidArgument, f.name)
		}
	}
	if _, err := m.eng.GetSchema(ctx, spec.Catalog, spec.Schema); err != nil {
		return err
	}
	_, err := compile(spec, m.opts.WorkDir, m.eng.TranslateOptions(ctx, nil))
	return err
}

func (m *Manager) checkOpenLocked() error {
	if m.closed {
		return fmt.Errorf("%w: the pipeline manager is closed", engine.ErrClosed)
	}
	return nil
}

// uniqueNameLocked refuses a second pipeline of the same name, as the
// Pipelines API does unless allow_duplicate_names is set.
func (m *Manager) uniqueNameLocked(name, except string) error {
	for id, pp := range m.pipes {
		if id != except && pp.p.Spec.Name == name {
			return fmt.Errorf("%w: a pipeline named %q already exists (id %s)", engine.ErrAlreadyExists, name, id)
		}
	}
	return nil
}

// pipeline returns a copy of a stored pipeline.
func (m *Manager) pipeline(id string) (Pipeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, ok := m.pipes[id]
	if !ok {
		return Pipeline{}, fmt.Errorf("%w: Pipeline '%s' does not exist", ErrPipelineNotFound, id)
	}
	return m.viewLocked(pp), nil
}

// allowedLocked finds a pipeline that who may see and change: its owner or
// a workspace admin.
func (m *Manager) allowedLocked(who *engine.Identity, id string) (*pipe, error) {
	if who == nil {
		return nil, fmt.Errorf("%w: missing credentials", engine.ErrUnauthenticated)
	}
	pp, ok := m.pipes[id]
	if !ok {
		return nil, fmt.Errorf("%w: Pipeline '%s' does not exist", ErrPipelineNotFound, id)
	}
	if !who.Admin && who.ClientID != pp.p.Owner {
		return nil, fmt.Errorf("%w: only the owner of pipeline %s (%s) or a workspace admin may use it", engine.ErrPermissionDenied, id, pp.p.Owner)
	}
	return pp, nil
}

func (m *Manager) viewLocked(pp *pipe) Pipeline {
	p := pp.p
	p.Latest = append([]Update(nil), pp.updates[:min(5, len(pp.updates))]...)
	return p
}

// Get, List, Edit and Delete manage stored pipelines; who must be the
// owner or a workspace admin to see or change one.
func (m *Manager) Get(ctx context.Context, who *engine.Identity, id string) (Pipeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		return Pipeline{}, err
	}
	return m.viewLocked(pp), nil
}

func (m *Manager) List(ctx context.Context, who *engine.Identity) ([]Pipeline, error) {
	if who == nil {
		return nil, fmt.Errorf("%w: missing credentials", engine.ErrUnauthenticated)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Pipeline
	for _, pp := range m.pipes {
		if who.Admin || who.ClientID == pp.p.Owner {
			out = append(out, m.viewLocked(pp))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Name < out[j].Spec.Name })
	return out, nil
}

// Edit replaces a pipeline's settings. The catalog and schema cannot
// change: the datasets and their read positions live there. A running
// continuous update is restarted with the new settings; a running
// triggered update finishes with the old ones.
func (m *Manager) Edit(ctx context.Context, who *engine.Identity, id string, spec Spec) (Pipeline, error) {
	if err := m.validate(ctx, spec); err != nil {
		return Pipeline{}, err
	}
	p, restart, err := m.edit(ctx, who, id, spec)
	if err != nil || !restart {
		return p, err
	}
	if err := m.Stop(ctx, who, id); err != nil {
		return Pipeline{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		return Pipeline{}, err
	}
	if pp.run == nil && !m.closed {
		m.startLocked(pp, "USER_ACTION", false)
	}
	return m.viewLocked(pp), nil
}

// edit stores the new settings; restart says whether a continuous update
// runs with the old ones.
func (m *Manager) edit(ctx context.Context, who *engine.Identity, id string, spec Spec) (Pipeline, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		return Pipeline{}, false, err
	}
	if !strings.EqualFold(spec.Catalog, pp.p.Spec.Catalog) || !strings.EqualFold(spec.Schema, pp.p.Spec.Schema) {
		return Pipeline{}, false, fmt.Errorf("%w: the catalog and schema of pipeline %s (%s.%s) cannot change; create a new pipeline for %s.%s",
			engine.ErrInvalidArgument, id, pp.p.Spec.Catalog, pp.p.Spec.Schema, spec.Catalog, spec.Schema)
	}
	if err := m.uniqueNameLocked(spec.Name, id); err != nil {
		return Pipeline{}, false, err
	}
	p := pp.p
	p.Spec = spec
	if err := m.savePipeline(ctx, p); err != nil {
		return Pipeline{}, false, err
	}
	pp.p = p
	return m.viewLocked(pp), pp.run != nil && pp.run.r.p.Spec.Continuous, nil
}

// Delete stops the pipeline and removes it; its tables are dropped as
// Databricks does.
func (m *Manager) Delete(ctx context.Context, who *engine.Identity, id string) error {
	if err := m.Stop(ctx, who, id); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		return err
	}
	if pp.run != nil {
		return fmt.Errorf("%w: an update of pipeline %s started while it was being deleted; try again", ErrUpdateActive, id)
	}
	schemas, err := m.eng.ListSchemas(ctx, pp.p.Spec.Catalog)
	if err != nil {
		return err
	}
	for _, s := range schemas {
		tables, err := m.eng.ListTables(ctx, s.CatalogName, s.Name)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.PipelineID == id {
				if err := m.eng.DropTable(ctx, t.FullName, true); err != nil {
					return err
				}
			}
		}
	}
	if err := m.forgetPipeline(ctx, pp.p.Spec.Catalog, id); err != nil {
		return err
	}
	delete(m.pipes, id)
	return nil
}

// StartUpdate queues an update and returns at once; a pipeline runs one
// update at a time (a second start while one runs fails with
// ErrUpdateActive).
func (m *Manager) StartUpdate(ctx context.Context, who *engine.Identity, id string, fullRefresh bool) (Update, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkOpenLocked(); err != nil {
		return Update{}, err
	}
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		return Update{}, err
	}
	if pp.run != nil {
		return Update{}, fmt.Errorf("%w: pipeline %s already runs update %s; stop it first", ErrUpdateActive, id, pp.run.r.updateID)
	}
	u := m.startLocked(pp, "API_CALL", fullRefresh)
	return u, nil
}

// startLocked queues an update of pp and starts its goroutine.
func (m *Manager) startLocked(pp *pipe, cause string, fullRefresh bool) Update {
	u := Update{PipelineID: pp.p.ID, ID: uuid.NewString(), State: UpdateQueued, Cause: cause, FullRefresh: fullRefresh, Created: time.Now().UTC()}
	pp.updates = append([]Update{u}, pp.updates...)
	pp.p.State = StateRunning
	ctx, cancel := context.WithCancel(m.ctx)
	r := &updateRun{m: m, pp: pp, p: pp.p, updateID: u.ID, fullRefresh: fullRefresh, tables: map[string]engine.TableInfo{},
		refresh: map[*dataset]bool{}, flows: map[string]*FlowSummary{}}
	ar := &activeRun{r: r, cancel: cancel, done: make(chan struct{})}
	pp.run = ar
	if err := m.savePipeline(ctx, pp.p); err != nil {
		m.log.Error("store pipeline", "pipeline_id", pp.p.ID, "err", err)
	}
	if err := m.saveUpdate(ctx, pp.p.Spec.Catalog, u); err != nil {
		m.log.Error("store pipeline update", "pipeline_id", pp.p.ID, "update_id", u.ID, "err", err)
	}
	m.emit(ctx, pp.p.Spec.Catalog,
		m.newEvent(pp.p, u.ID, "", "", "create_update", "INFO", fmt.Sprintf("Update %s started by %s.", shortID(u.ID), cause),
			map[string]any{"cause": cause, "full_refresh": fullRefresh, "config": map[string]any{"continuous": pp.p.Spec.Continuous}}),
		m.progressEvent(pp.p, u.ID, UpdateQueued, nil))
	m.wg.Add(1)
	// An update's DuckDB work runs on a low-priority thread, so that it
	// never slows the acknowledgements of the ingest it reads.
	m.eng.Background(func() {
		defer m.wg.Done()
		defer close(ar.done)
		defer cancel()
		r.run(ctx)
	})
	return u
}

func shortID(id string) string { return id[:min(6, len(id))] }

// progressEvent is an update_progress event: the update's new state.
func (m *Manager) progressEvent(p Pipeline, updateID, state string, err error) Event {
	level := "INFO"
	if state == UpdateFailed {
		level = "ERROR"
	}
	ev := m.newEvent(p, updateID, "", "", "update_progress", level, fmt.Sprintf("Update %s is %s.", shortID(updateID), state),
		map[string]any{"state": state})
	if err != nil {
		ev.Error = errorJSON(err)
	}
	return ev
}

// setState moves a running update to state and records it.
func (m *Manager) setState(ctx context.Context, r *updateRun, state string, err error) {
	m.mu.Lock()
	var u Update
	for i := range r.pp.updates {
		if r.pp.updates[i].ID == r.updateID {
			r.pp.updates[i].State = state
			if err != nil {
				r.pp.updates[i].Error = err.Error()
			}
			u = r.pp.updates[i]
		}
	}
	m.mu.Unlock()
	if err := m.saveUpdate(ctx, r.p.Spec.Catalog, u); err != nil {
		m.log.Error("store pipeline update", "pipeline_id", r.p.ID, "update_id", r.updateID, "err", err)
	}
	m.emit(ctx, r.p.Spec.Catalog, m.progressEvent(r.p, r.updateID, state, err))
}

// recordFlow adds one flow run to the update's summary and the Observer.
func (m *Manager) recordFlow(r *updateRun, d *dataset, res flowResult) {
	m.mu.Lock()
	fs := r.flowLocked(d)
	fs.Status = UpdateCompleted
	fs.RowsIn += res.rowsIn
	fs.RowsWritten += res.written
	for i := range res.exps {
		fs.Expectations[i].PassedRecords += res.exps[i].PassedRecords
		fs.Expectations[i].FailedRecords += res.exps[i].FailedRecords
	}
	m.syncFlowsLocked(r)
	m.mu.Unlock()
	m.opts.Observer.FlowProgress(r.p.ID, d.full, res.rowsIn, res.written, res.dropped)
}

// flowLocked returns the update's summary of d's flow.
func (r *updateRun) flowLocked(d *dataset) *FlowSummary {
	fs := r.flows[d.name]
	if fs == nil {
		fs = &FlowSummary{Dataset: d.full, Kind: d.def.Kind}
		for _, e := range d.def.Expectations {
			fs.Expectations = append(fs.Expectations, ExpectationResult{Name: e.Name, Dataset: d.name, Action: e.Action})
		}
		r.flows[d.name] = fs
	}
	return fs
}

// syncFlowsLocked copies the flow summaries into the update, in
// dependency order.
func (m *Manager) syncFlowsLocked(r *updateRun) {
	var flows []FlowSummary
	for _, d := range r.g.order {
		if fs := r.flows[d.name]; fs != nil {
			c := *fs
			c.Expectations = append([]ExpectationResult(nil), fs.Expectations...)
			flows = append(flows, c)
		}
	}
	for i := range r.pp.updates {
		if r.pp.updates[i].ID == r.updateID {
			r.pp.updates[i].Flows = flows
		}
	}
}

// finish records an update's end and releases the pipeline for the next.
func (m *Manager) finish(r *updateRun, state string, err error) {
	ctx := context.Background()
	m.mu.Lock()
	ar := r.pp.run
	stopped := ar != nil && ar.stopped
	closing := m.closed && !stopped
	switch {
	case state == UpdateFailed:
		r.pp.p.State = StateFailed
	case closing && r.p.Spec.Continuous:
		// Stays RUNNING in the store: the next Open resumes it.
	default:
		r.pp.p.State = StateIdle
	}
	if r.g != nil {
		m.syncFlowsLocked(r)
	}
	p := r.pp.p
	r.pp.run = nil
	m.mu.Unlock()
	if !closing || !r.p.Spec.Continuous {
		if err := m.savePipeline(ctx, p); err != nil {
			m.log.Error("store pipeline", "pipeline_id", p.ID, "err", err)
		}
	}
	m.setState(ctx, r, state, err)
}

// Stop cancels the running update (continuous or triggered) and waits for
// it to end; stopping an idle pipeline does nothing.
func (m *Manager) Stop(ctx context.Context, who *engine.Identity, id string) error {
	m.mu.Lock()
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	ar := pp.run
	if ar == nil {
		m.mu.Unlock()
		return nil
	}
	ar.stopped = true
	ar.cancel()
	m.mu.Unlock()
	select {
	case <-ar.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for update %s to stop: %v", engine.ErrCanceled, ar.r.updateID, ctx.Err())
	}
}

// Updates lists a pipeline's updates, newest first; GetUpdate returns one.
func (m *Manager) Updates(ctx context.Context, who *engine.Identity, id string) ([]Update, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		return nil, err
	}
	return append([]Update(nil), pp.updates...), nil
}

func (m *Manager) GetUpdate(ctx context.Context, who *engine.Identity, id, updateID string) (Update, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, err := m.allowedLocked(who, id)
	if err != nil {
		return Update{}, err
	}
	for _, u := range pp.updates {
		if u.ID == updateID {
			return u, nil
		}
	}
	return Update{}, fmt.Errorf("%w: pipeline %s has no update %s", ErrUpdateNotFound, id, updateID)
}

// Events pages through the event log, newest first; the string is the
// next page token ("" on the last page).
func (m *Manager) Events(ctx context.Context, who *engine.Identity, id string, q EventQuery) ([]Event, string, error) {
	m.mu.Lock()
	pp, err := m.allowedLocked(who, id)
	var p Pipeline
	if err == nil {
		p = pp.p
	}
	m.mu.Unlock()
	if err != nil {
		return nil, "", err
	}
	return m.readEvents(ctx, p, q)
}
