package lakeview

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/zbemu/zbemu/engine"
)

// Lifecycle states of a dashboard, as the Lakeview API names them.
const (
	Active  = "ACTIVE"
	Trashed = "TRASHED"
)

// Dashboard is a stored dashboard (the Lakeview API's Dashboard object).
type Dashboard struct {
	ID             string
	DisplayName    string
	ParentPath     string
	WarehouseID    string
	Serialized     string // the .lvdash.json, exactly as imported
	LifecycleState string
	Owner          string // client id of the creator
	Created        time.Time
	Updated        time.Time
	// Revision counts changes; the etag is its decimal text.
	Revision int64

	seq int64 // creation order (SQLite rowid): the list's page position
}

// Path is the dashboard's workspace path: parent folder and file name.
func (d Dashboard) Path() string { return d.ParentPath + "/" + d.DisplayName + ".lvdash.json" }

// Etag is what a client sends back to update only the version it read.
func (d Dashboard) Etag() string { return strconv.FormatInt(d.Revision, 10) }

// Published is the published revision of a dashboard.
type Published struct {
	DashboardID      string
	DisplayName      string
	WarehouseID      string
	Serialized       string
	EmbedCredentials bool
	Created          time.Time
}

// store is <data>/dashboards.db: the dashboards and their published
// revisions. It is the only code that opens that file.
type store struct{ db *sql.DB }

const storeDDL = `
CREATE TABLE IF NOT EXISTS dashboards (
  id              TEXT PRIMARY KEY,
  display_name    TEXT NOT NULL,
  parent_path     TEXT NOT NULL,
  warehouse_id    TEXT NOT NULL,
  serialized      TEXT NOT NULL,
  lifecycle_state TEXT NOT NULL,
  owner           TEXT NOT NULL,
  create_time     INTEGER NOT NULL,
  update_time     INTEGER NOT NULL,
  revision        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dashboards_owner ON dashboards(owner);
CREATE TABLE IF NOT EXISTS published (
  dashboard_id      TEXT PRIMARY KEY REFERENCES dashboards(id),
  display_name      TEXT NOT NULL,
  warehouse_id      TEXT NOT NULL,
  serialized        TEXT NOT NULL,
  embed_credentials INTEGER NOT NULL,
  create_time       INTEGER NOT NULL
);
`

func openStore(ctx context.Context, path string) (*store, error) {
	dsn := "file:zbemu-dashboards?mode=memory&cache=shared"
	if path != "" {
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open dashboard store: %w", err)
	}
	// One writer at a time is all SQLite allows; one connection also keeps
	// the shared in-memory database alive for the store's lifetime.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, storeDDL+aclDDL); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise dashboard store: %w", err)
	}
	return &store{db: db}, nil
}

// newID returns a dashboard id: 32 hex digits, as Databricks' ids are.
func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

const dashboardCols = "rowid, id, display_name, parent_path, warehouse_id, serialized, lifecycle_state, owner, create_time, update_time, revision"

const insertCols = "id, display_name, parent_path, warehouse_id, serialized, lifecycle_state, owner, create_time, update_time, revision"

func scanDashboard(row interface{ Scan(...any) error }) (Dashboard, error) {
	var d Dashboard
	var created, updated int64
	err := row.Scan(&d.seq, &d.ID, &d.DisplayName, &d.ParentPath, &d.WarehouseID, &d.Serialized, &d.LifecycleState, &d.Owner, &created, &updated, &d.Revision)
	d.Created, d.Updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return d, err
}

func notFound(id string) error {
	return fmt.Errorf("%w: dashboard %q does not exist", engine.ErrNotFound, id)
}

func (s *store) get(ctx context.Context, id string) (Dashboard, error) {
	d, err := scanDashboard(s.db.QueryRowContext(ctx, "SELECT "+dashboardCols+" FROM dashboards WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Dashboard{}, notFound(id)
	}
	if err != nil {
		return Dashboard{}, fmt.Errorf("read dashboard %s: %w", id, err)
	}
	return d, nil
}

// pathTaken reports whether an active dashboard other than id has path
// (Databricks keeps one file per workspace path).
func (s *store) pathTaken(ctx context.Context, d Dashboard) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM dashboards WHERE parent_path = ? AND display_name = ? AND lifecycle_state = ? AND id <> ?",
		d.ParentPath, d.DisplayName, Active, d.ID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check dashboard path: %w", err)
	}
	return n > 0, nil
}

func (s *store) insert(ctx context.Context, d Dashboard) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO dashboards("+insertCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d.ID, d.DisplayName, d.ParentPath, d.WarehouseID, d.Serialized, d.LifecycleState, d.Owner, d.Created.UnixMilli(), d.Updated.UnixMilli(), d.Revision)
	if err != nil {
		return fmt.Errorf("store dashboard %s: %w", d.ID, err)
	}
	return nil
}

// replace writes d if the stored revision is still prev; it reports
// whether it did.
func (s *store) replace(ctx context.Context, d Dashboard, prev int64) (bool, error) {
	r, err := s.db.ExecContext(ctx, `UPDATE dashboards SET display_name = ?, parent_path = ?, warehouse_id = ?, serialized = ?,
		lifecycle_state = ?, update_time = ?, revision = ? WHERE id = ? AND revision = ?`,
		d.DisplayName, d.ParentPath, d.WarehouseID, d.Serialized, d.LifecycleState, d.Updated.UnixMilli(), d.Revision, d.ID, prev)
	if err != nil {
		return false, fmt.Errorf("update dashboard %s: %w", d.ID, err)
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// list pages through the dashboards reader owns or was granted a
// permission on ("" for every dashboard) in creation order, after the one
// at position after.
func (s *store) list(ctx context.Context, reader string, trashed bool, after int64, limit int) ([]Dashboard, error) {
	q := "SELECT " + dashboardCols + " FROM dashboards WHERE rowid > ?"
	args := []any{after}
	if reader != "" {
		q += ` AND (owner = ? OR id IN (SELECT dashboard_id FROM dashboard_acl
			WHERE (is_group = 0 AND principal = ?) OR (is_group = 1 AND principal = ?)))`
		args = append(args, reader, reader, AllUsers)
	}
	if !trashed {
		q += " AND lifecycle_state = ?"
		args = append(args, Active)
	}
	q += " ORDER BY rowid LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list dashboards: %w", err)
	}
	defer rows.Close()
	var out []Dashboard
	for rows.Next() {
		d, err := scanDashboard(rows)
		if err != nil {
			return nil, fmt.Errorf("list dashboards: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *store) putPublished(ctx context.Context, p Published) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO published(dashboard_id, display_name, warehouse_id, serialized, embed_credentials, create_time)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(dashboard_id) DO UPDATE SET display_name = excluded.display_name,
		warehouse_id = excluded.warehouse_id, serialized = excluded.serialized, embed_credentials = excluded.embed_credentials,
		create_time = excluded.create_time`,
		p.DashboardID, p.DisplayName, p.WarehouseID, p.Serialized, p.EmbedCredentials, p.Created.UnixMilli())
	if err != nil {
		return fmt.Errorf("publish dashboard %s: %w", p.DashboardID, err)
	}
	return nil
}

func (s *store) published(ctx context.Context, id string) (Published, error) {
	var p Published
	var created int64
	err := s.db.QueryRowContext(ctx, "SELECT dashboard_id, display_name, warehouse_id, serialized, embed_credentials, create_time FROM published WHERE dashboard_id = ?", id).
		Scan(&p.DashboardID, &p.DisplayName, &p.WarehouseID, &p.Serialized, &p.EmbedCredentials, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Published{}, fmt.Errorf("%w: dashboard %q is not published", engine.ErrNotFound, id)
	}
	if err != nil {
		return Published{}, fmt.Errorf("read published dashboard %s: %w", id, err)
	}
	p.Created = time.UnixMilli(created).UTC()
	return p, nil
}

func (s *store) deletePublished(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM published WHERE dashboard_id = ?", id); err != nil {
		return fmt.Errorf("unpublish dashboard %s: %w", id, err)
	}
	return nil
}

// parsePageToken reads a list page token: the position of the last
// dashboard of the previous page.
func parsePageToken(tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: page_token %q is not a token of this server's list (pass next_page_token unchanged)", engine.ErrInvalidArgument, tok)
	}
	return n, nil
}
