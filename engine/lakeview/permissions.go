package lakeview

import (
	"context"
	"fmt"

	"github.com/zbemu/zbemu/engine"
)

// Dashboard permissions, as Databricks' Permissions API names them for
// dashboards (https://docs.databricks.com/api/workspace/permissions):
// each level includes the ones before it. The owner and workspace admins
// hold CAN_MANAGE. Sharing never lends the sharer's data: queries always
// run as the viewer.
const (
	CanRead   = "CAN_READ"   // open the dashboard and its published revision
	CanRun    = "CAN_RUN"    // run its widget queries (as oneself)
	CanEdit   = "CAN_EDIT"   // change it
	CanManage = "CAN_MANAGE" // trash, publish and share it
)

var levelRank = map[string]int{CanRead: 1, CanRun: 2, CanEdit: 3, CanManage: 4}

// AllUsers is the group of every principal of the workspace.
const AllUsers = "users"

// Grant gives Principal (a client id, or the group AllUsers when Group is
// set) a permission level on a dashboard.
type Grant struct {
	Principal string
	Group     bool
	Level     string
}

const aclDDL = `
CREATE TABLE IF NOT EXISTS dashboard_acl (
  dashboard_id TEXT NOT NULL REFERENCES dashboards(id),
  principal    TEXT NOT NULL,
  is_group     INTEGER NOT NULL,
  level        TEXT NOT NULL,
  PRIMARY KEY (dashboard_id, principal, is_group)
);
`

// level is the permission who holds on d ("" for none).
func (m *Manager) level(ctx context.Context, who *engine.Identity, d Dashboard) (string, error) {
	if who.Admin || who.ClientID == d.Owner {
		return CanManage, nil
	}
	rows, err := m.st.db.QueryContext(ctx, `SELECT level FROM dashboard_acl WHERE dashboard_id = ?
		AND ((is_group = 0 AND principal = ?) OR (is_group = 1 AND principal = ?))`, d.ID, who.ClientID, AllUsers)
	if err != nil {
		return "", fmt.Errorf("read permissions of dashboard %s: %w", d.ID, err)
	}
	defer rows.Close()
	best := ""
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", fmt.Errorf("read permissions of dashboard %s: %w", d.ID, err)
		}
		if levelRank[l] > levelRank[best] {
			best = l
		}
	}
	return best, rows.Err()
}

// open returns dashboard id if who holds at least need on it.
func (m *Manager) open(ctx context.Context, who *engine.Identity, id, need string) (Dashboard, error) {
	if err := checkUnscoped(who); err != nil {
		return Dashboard{}, err
	}
	d, err := m.st.get(ctx, id)
	if err != nil {
		return Dashboard{}, err
	}
	have, err := m.level(ctx, who, d)
	if err != nil {
		return Dashboard{}, err
	}
	if levelRank[have] < levelRank[need] {
		held := "no permission"
		if have != "" {
			held = have
		}
		return Dashboard{}, fmt.Errorf("%w: principal %q holds %s on dashboard %q and needs %s; its owner, an admin or a principal with CAN_MANAGE may share it "+
			"(PATCH /api/2.0/permissions/dashboards/%s)", engine.ErrPermissionDenied, who.ClientID, held, id, need, id)
	}
	return d, nil
}

// Permissions returns the dashboard's owner and grants (who needs
// CAN_MANAGE, as in Databricks).
func (m *Manager) Permissions(ctx context.Context, who *engine.Identity, id string) (string, []Grant, error) {
	d, err := m.open(ctx, who, id, CanManage)
	if err != nil {
		return "", nil, err
	}
	rows, err := m.st.db.QueryContext(ctx, "SELECT principal, is_group, level FROM dashboard_acl WHERE dashboard_id = ? ORDER BY is_group, principal", id)
	if err != nil {
		return "", nil, fmt.Errorf("read permissions of dashboard %s: %w", id, err)
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Principal, &g.Group, &g.Level); err != nil {
			return "", nil, fmt.Errorf("read permissions of dashboard %s: %w", id, err)
		}
		out = append(out, g)
	}
	return d.Owner, out, rows.Err()
}

// SetPermissions adds grants (PATCH) or replaces them all (PUT, replace).
func (m *Manager) SetPermissions(ctx context.Context, who *engine.Identity, id string, grants []Grant, replace bool) error {
	if _, err := m.open(ctx, who, id, CanManage); err != nil {
		return err
	}
	for i, g := range grants {
		switch {
		case levelRank[g.Level] == 0:
			return fmt.Errorf("%w: access_control_list[%d].permission_level %q is not a dashboard permission (CAN_READ, CAN_RUN, CAN_EDIT or CAN_MANAGE)", engine.ErrInvalidArgument, i, g.Level)
		case g.Group && g.Principal != AllUsers:
			return fmt.Errorf("%w: access_control_list[%d].group_name %q: zbemu knows the group %q (every principal) only", engine.ErrInvalidArgument, i, g.Principal, AllUsers)
		case g.Principal == "":
			return fmt.Errorf("%w: access_control_list[%d] names no principal (service_principal_name, user_name or group_name)", engine.ErrInvalidArgument, i)
		}
	}
	tx, err := m.st.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("share dashboard %s: %w", id, err)
	}
	defer tx.Rollback()
	if replace {
		if _, err := tx.ExecContext(ctx, "DELETE FROM dashboard_acl WHERE dashboard_id = ?", id); err != nil {
			return fmt.Errorf("share dashboard %s: %w", id, err)
		}
	}
	for _, g := range grants {
		if _, err := tx.ExecContext(ctx, `INSERT INTO dashboard_acl(dashboard_id, principal, is_group, level) VALUES (?, ?, ?, ?)
			ON CONFLICT(dashboard_id, principal, is_group) DO UPDATE SET level = excluded.level`, id, g.Principal, g.Group, g.Level); err != nil {
			return fmt.Errorf("share dashboard %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("share dashboard %s: %w", id, err)
	}
	return nil
}
