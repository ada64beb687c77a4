package lakeview

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// Options configure a Manager.
type Options struct {
	// Path is the SQLite file (<data>/dashboards.db); empty keeps the
	// dashboards in memory.
	Path string
}

// Manager keeps the dashboards of one engine and runs their queries. It is
// safe for concurrent use and owns no goroutine.
type Manager struct {
	eng *engine.Engine
	st  *store
}

// Open opens (or creates) the dashboard store.
func Open(ctx context.Context, eng *engine.Engine, opts Options) (*Manager, error) {
	st, err := openStore(ctx, opts.Path)
	if err != nil {
		return nil, err
	}
	return &Manager{eng: eng, st: st}, nil
}

// Close closes the store.
func (m *Manager) Close() error { return m.st.db.Close() }

// Limits of the API.
const (
	// DefaultPageSize and MaxPageSize bound a list page.
	DefaultPageSize = 100
	MaxPageSize     = 1000
	// MaxRows bounds the rows one widget query returns; a chart of more
	// points is unreadable, and Result.Truncated says it was cut.
	MaxRows = 10_000
	// MaxNameLength bounds display_name and parent_path.
	MaxNameLength = 1024
)

// checkUnscoped refuses tokens scoped to tables (authorization_details):
// they are for ingest and reach no dashboard.
func checkUnscoped(who *engine.Identity) error { return who.RequireWorkspace("dashboards") }

// Create stores a new dashboard owned by who. An empty Serialized gets
// an empty dashboard with one page.
func (m *Manager) Create(ctx context.Context, who *engine.Identity, d Dashboard) (Dashboard, error) {
	if err := checkUnscoped(who); err != nil {
		return Dashboard{}, err
	}
	if d.ParentPath == "" {
		d.ParentPath = "/Users/" + who.ClientID
	}
	if d.Serialized == "" {
		d.Serialized = emptyDashboard
	}
	now := time.Now().UTC()
	d.ID, d.Owner, d.LifecycleState, d.Created, d.Updated, d.Revision = newID(), who.ClientID, Active, now, now, 1
	return d, m.insert(ctx, d)
}

// emptyDashboard is what Databricks creates without serialized_dashboard.
const emptyDashboard = `{"datasets":[],"pages":[{"name":"page1","displayName":"New Page","layout":[]}]}`

func (m *Manager) insert(ctx context.Context, d Dashboard) error {
	if err := check(d); err != nil {
		return err
	}
	if taken, err := m.st.pathTaken(ctx, d); err != nil {
		return err
	} else if taken {
		return fmt.Errorf("%w: a dashboard already exists at %s; choose another display_name or parent_path", engine.ErrAlreadyExists, d.Path())
	}
	return m.st.insert(ctx, d)
}

// check validates the fields a client sets.
func check(d Dashboard) error {
	switch {
	case strings.TrimSpace(d.DisplayName) == "":
		return fmt.Errorf("%w: display_name is required (a non-empty string)", engine.ErrInvalidArgument)
	case len(d.DisplayName) > MaxNameLength || len(d.ParentPath) > MaxNameLength:
		return fmt.Errorf("%w: display_name and parent_path may be at most %d bytes", engine.ErrInvalidArgument, MaxNameLength)
	case strings.ContainsAny(d.DisplayName, "/\x00"):
		return fmt.Errorf("%w: display_name %q may not contain / (it is the file name of the dashboard)", engine.ErrInvalidArgument, d.DisplayName)
	case !strings.HasPrefix(d.ParentPath, "/") || strings.HasSuffix(d.ParentPath, "/") && d.ParentPath != "/":
		return fmt.Errorf("%w: parent_path %q must start with / and not end with / (e.g. /Users/me)", engine.ErrInvalidArgument, d.ParentPath)
	}
	_, err := Parse(d.Serialized)
	return err
}

// Get returns a dashboard who may read (trashed ones too, as Databricks).
func (m *Manager) Get(ctx context.Context, who *engine.Identity, id string) (Dashboard, error) {
	return m.open(ctx, who, id, CanRead)
}

// ListOptions page through List.
type ListOptions struct {
	PageSize    int
	PageToken   string
	ShowTrashed bool
}

// List returns the dashboards who may read (an admin: all), oldest first,
// and the token of the next page ("" after the last).
func (m *Manager) List(ctx context.Context, who *engine.Identity, o ListOptions) ([]Dashboard, string, error) {
	if err := checkUnscoped(who); err != nil {
		return nil, "", err
	}
	switch {
	case o.PageSize < 0 || o.PageSize > MaxPageSize:
		return nil, "", fmt.Errorf("%w: page_size must be 1 … %d, got %d", engine.ErrInvalidArgument, MaxPageSize, o.PageSize)
	case o.PageSize == 0:
		o.PageSize = DefaultPageSize
	}
	after, err := parsePageToken(o.PageToken)
	if err != nil {
		return nil, "", err
	}
	reader := who.ClientID
	if who.Admin {
		reader = ""
	}
	ds, err := m.st.list(ctx, reader, o.ShowTrashed, after, o.PageSize+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ds) > o.PageSize {
		ds = ds[:o.PageSize]
		next = strconv.FormatInt(ds[len(ds)-1].seq, 10)
	}
	return ds, next, nil
}

// Change is a partial update (PATCH): nil fields stay as they are.
type Change struct {
	DisplayName, ParentPath, WarehouseID, Serialized *string
	// Etag, when set, must be the current etag: the update then applies
	// only to the version the client read.
	Etag string
}

// Update changes a dashboard.
func (m *Manager) Update(ctx context.Context, who *engine.Identity, id string, c Change) (Dashboard, error) {
	d, err := m.open(ctx, who, id, CanEdit)
	if err != nil {
		return Dashboard{}, err
	}
	if d.LifecycleState == Trashed {
		return Dashboard{}, fmt.Errorf("%w: dashboard %q is in the trash; restore it before changing it", engine.ErrInvalidArgument, id)
	}
	if c.Etag != "" && c.Etag != d.Etag() {
		return Dashboard{}, fmt.Errorf("%w: dashboard %q changed since it was read (etag %s, current %s); get it again and reapply the change", engine.ErrConflict, id, c.Etag, d.Etag())
	}
	prev := d.Revision
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&d.DisplayName, c.DisplayName)
	set(&d.ParentPath, c.ParentPath)
	set(&d.WarehouseID, c.WarehouseID)
	set(&d.Serialized, c.Serialized)
	if err := check(d); err != nil {
		return Dashboard{}, err
	}
	if taken, err := m.st.pathTaken(ctx, d); err != nil {
		return Dashboard{}, err
	} else if taken {
		return Dashboard{}, fmt.Errorf("%w: a dashboard already exists at %s", engine.ErrAlreadyExists, d.Path())
	}
	d.Updated, d.Revision = time.Now().UTC(), prev+1
	ok, err := m.st.replace(ctx, d, prev)
	if err != nil {
		return Dashboard{}, err
	}
	if !ok {
		return Dashboard{}, fmt.Errorf("%w: dashboard %q changed while it was being updated; get it again and reapply the change", engine.ErrConflict, id)
	}
	return d, nil
}

// Trash moves a dashboard to the trash (DELETE, as Databricks does): it
// stays readable with lifecycle_state TRASHED and leaves the list.
func (m *Manager) Trash(ctx context.Context, who *engine.Identity, id string) error {
	d, err := m.open(ctx, who, id, CanManage)
	if err != nil || d.LifecycleState == Trashed {
		return err
	}
	prev := d.Revision
	d.LifecycleState, d.Updated, d.Revision = Trashed, time.Now().UTC(), prev+1
	ok, err := m.st.replace(ctx, d, prev)
	if err == nil && !ok {
		err = fmt.Errorf("%w: dashboard %q changed while it was being trashed; try again", engine.ErrConflict, id)
	}
	return err
}

// Publish snapshots the draft as the published dashboard. Queries of the
// published dashboard run as the viewer too: embedCredentials is kept for
// the API's sake but never makes zbemu run them as the publisher.
func (m *Manager) Publish(ctx context.Context, who *engine.Identity, id, warehouseID string, embedCredentials bool) (Published, error) {
	d, err := m.open(ctx, who, id, CanManage)
	if err != nil {
		return Published{}, err
	}
	if d.LifecycleState == Trashed {
		return Published{}, fmt.Errorf("%w: dashboard %q is in the trash and cannot be published", engine.ErrInvalidArgument, id)
	}
	if warehouseID == "" {
		warehouseID = d.WarehouseID
	}
	p := Published{DashboardID: d.ID, DisplayName: d.DisplayName, WarehouseID: warehouseID, Serialized: d.Serialized,
		EmbedCredentials: embedCredentials, Created: time.Now().UTC()}
	return p, m.st.putPublished(ctx, p)
}

// GetPublished returns the published revision.
func (m *Manager) GetPublished(ctx context.Context, who *engine.Identity, id string) (Published, error) {
	if _, err := m.Get(ctx, who, id); err != nil {
		return Published{}, err
	}
	return m.st.published(ctx, id)
}

// Unpublish removes the published revision.
func (m *Manager) Unpublish(ctx context.Context, who *engine.Identity, id string) error {
	if _, err := m.open(ctx, who, id, CanManage); err != nil {
		return err
	}
	if _, err := m.st.published(ctx, id); err != nil {
		return err
	}
	return m.st.deletePublished(ctx, id)
}

// BuiltinID is the fixed id of a built-in dashboard, so that links to it
// stay valid across data directories.
func BuiltinID(key string) string {
	sum := sha256.Sum256([]byte("zbemu-builtin-dashboard:" + key))
	return hex.EncodeToString(sum[:16])
}

// InstallBuiltin stores a built-in dashboard owned by owner unless a
// dashboard with its id exists (also in the trash: a learner who trashed
// it does not get it back on the next start). It reports whether it did.
func (m *Manager) InstallBuiltin(ctx context.Context, owner, key, displayName, serialized string) (bool, error) {
	id := BuiltinID(key)
	if _, err := m.st.get(ctx, id); err == nil {
		return false, nil
	}
	now := time.Now().UTC()
	d := Dashboard{ID: id, DisplayName: displayName, ParentPath: "/Workspace/zbemu", Serialized: serialized, LifecycleState: Active,
		Owner: owner, Created: now, Updated: now, Revision: 1}
	if err := m.insert(ctx, d); err != nil {
		return false, fmt.Errorf("install built-in dashboard %s: %w", key, err)
	}
	return true, nil
}
