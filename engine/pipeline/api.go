package pipeline

import (
	"context"
	"time"

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
}

// Open loads the stored pipelines and restarts continuous ones.
func Open(ctx context.Context, eng *engine.Engine, opts Options) (*Manager, error) { panic("contract") }

// Close stops every running update (their progress is committed) and waits.
func (m *Manager) Close(ctx context.Context) error { panic("contract") }

// Create validates the spec (sources readable, SQL parses, dataset graph
// acyclic, references known) and stores the pipeline, owned by who.
func (m *Manager) Create(ctx context.Context, who *engine.Identity, spec Spec) (Pipeline, error) {
	panic("contract")
}

// Get, List, Edit and Delete manage stored pipelines; who must be the
// owner or a workspace admin to see or change one.
func (m *Manager) Get(ctx context.Context, who *engine.Identity, id string) (Pipeline, error) {
	panic("contract")
}
func (m *Manager) List(ctx context.Context, who *engine.Identity) ([]Pipeline, error) {
	panic("contract")
}
func (m *Manager) Edit(ctx context.Context, who *engine.Identity, id string, spec Spec) (Pipeline, error) {
	panic("contract")
}

// Delete stops the pipeline and removes it; its tables are dropped as
// Databricks does.
func (m *Manager) Delete(ctx context.Context, who *engine.Identity, id string) error {
	panic("contract")
}

// StartUpdate queues an update and returns at once; a pipeline runs one
// update at a time (a second start while one runs is ErrConflict-like).
func (m *Manager) StartUpdate(ctx context.Context, who *engine.Identity, id string, fullRefresh bool) (Update, error) {
	panic("contract")
}

// Stop cancels the running update (continuous or triggered).
func (m *Manager) Stop(ctx context.Context, who *engine.Identity, id string) error {
	panic("contract")
}

// Updates lists a pipeline's updates, newest first; GetUpdate returns one.
func (m *Manager) Updates(ctx context.Context, who *engine.Identity, id string) ([]Update, error) {
	panic("contract")
}
func (m *Manager) GetUpdate(ctx context.Context, who *engine.Identity, id, updateID string) (Update, error) {
	panic("contract")
}

// Events pages through the event log; the string is the next page token.
func (m *Manager) Events(ctx context.Context, who *engine.Identity, id string, q EventQuery) ([]Event, string, error) {
	panic("contract")
}
