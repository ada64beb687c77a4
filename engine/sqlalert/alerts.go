package sqlalert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// CreateAlert stores a new alert owned by who. Its query must run as the
// alert's run-as principal (who by default) and return the columns the
// condition names; it is evaluated from its next scheduled time on.
func (m *Manager) CreateAlert(ctx context.Context, who *engine.Identity, a Alert) (Alert, error) {
	return m.createAlert(ctx, who, a, 0, true)
}

// createAlert stores a; every > 0 makes it a rule of the zbemu alert API,
// and check runs its query first (not for rules kept by an older zbemu,
// whose query may fail now and is then ERROR, not lost).
func (m *Manager) createAlert(ctx context.Context, who *engine.Identity, a Alert, every time.Duration, check bool) (Alert, error) {
	if err := who.RequireWorkspace("alerts"); err != nil {
		return Alert{}, err
	}
	if err := a.validate(every); err != nil {
		return Alert{}, err
	}
	runAs, err := m.resolveRunAs(ctx, who, a, who.ClientID)
	if err != nil {
		return Alert{}, err
	}
	if check {
		if err := m.checkQuery(ctx, runAs, a); err != nil {
			return Alert{}, err
		}
	}
	now := apiTime(m.now())
	a.ID, a.OwnerUserName, a.LifecycleState, a.CreateTime, a.UpdateTime = newID(), who.ClientID, Active, now, now
	a.EffectiveRunAs = &RunAs{ServicePrincipalName: runAs.ClientID}
	a.Evaluation.State, a.Evaluation.LastEvaluatedAt = StateUnknown, ""
	if a.ParentPath == "" {
		a.ParentPath = "/Users/" + who.ClientID
	}
	r := &alertRec{Alert: a, EveryMS: every.Milliseconds()}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkDestinations(a); err != nil {
		return Alert{}, err
	}
	if r.seq, err = m.st.put(ctx, kindAlert, a.ID, r); err != nil {
		return Alert{}, err
	}
	m.alerts[a.ID] = r
	m.schedule(r, true)
	return a, nil
}

// resolveRunAs returns the identity an alert's query runs as: its run_as
// (or run_as_user_name), else def. Only admins may name another principal,
// as Databricks requires the servicePrincipal/user role for that.
func (m *Manager) resolveRunAs(ctx context.Context, who *engine.Identity, a Alert, def string) (*engine.Identity, error) {
	p := a.RunAs.principal()
	if p == "" {
		p = a.RunAsUserName
	}
	if p == "" {
		p = def
	}
	if p != who.ClientID && p != def && !who.Admin {
		return nil, fmt.Errorf("%w: principal %q may not run an alert as %q; only a workspace admin may set run_as to another principal", ErrDenied, who.ClientID, p)
	}
	id, err := m.exec.PrincipalIdentity(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%w: run_as %q is not a principal of this workspace: %v", ErrInvalid, p, err)
	}
	return id, nil
}

// checkQuery runs the alert's query once as runAs, so that a query that
// cannot run (or may not: Unity Catalog privileges) is refused at once,
// and checks that the condition's columns are in its result.
func (m *Manager) checkQuery(ctx context.Context, runAs *engine.Identity, a Alert) error {
	qctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	res, err := m.exec.Execute(qctx, engine.StatementRequest{SQL: a.QueryText, Identity: runAs, RowLimit: 1})
	cancel()
	if errors.Is(err, engine.ErrPermissionDenied) {
		return fmt.Errorf("query_text cannot run as %q: %w", runAs.ClientID, err)
	}
	if err != nil {
		return fmt.Errorf("%w: query_text fails when run as %q: %v", ErrInvalid, runAs.ClientID, err)
	}
	cols := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		cols[i] = c.Name
	}
	check := func(field string, c OperandColumn) error {
		if c.Name == RowsColumn {
			if c.Aggregation != "COUNT" {
				return fmt.Errorf("%w: %s.name %q (the rows) needs aggregation COUNT", ErrInvalid, field, RowsColumn)
			}
			return nil
		}
		for _, n := range cols {
			if n == c.Name {
				return nil
			}
		}
		return fmt.Errorf("%w: %s.name %q is not a column of the query's result (its columns: %s)", ErrInvalid, field, c.Name, strings.Join(cols, ", "))
	}
	if err := check("evaluation.source", a.Evaluation.Source); err != nil {
		return err
	}
	if t := a.Evaluation.Threshold; t != nil && t.Column != nil {
		return check("evaluation.threshold.column", *t.Column)
	}
	return nil
}

// checkDestinations refuses subscriptions to unknown destinations. Called
// with mu held.
func (m *Manager) checkDestinations(a Alert) error {
	if a.Evaluation.Notification == nil {
		return nil
	}
	for i, s := range a.Evaluation.Notification.Subscriptions {
		if _, ok := m.dests[s.DestinationID]; s.DestinationID != "" && !ok {
			return fmt.Errorf("%w: evaluation.notification.subscriptions[%d].destination_id %q names no notification destination (see GET /api/2.0/notification-destinations)", ErrInvalid, i, s.DestinationID)
		}
	}
	return nil
}

// alert returns the alert id if who may use it. Called with mu held.
func (m *Manager) alert(who *engine.Identity, id string) (*alertRec, error) {
	if err := who.RequireWorkspace("alerts"); err != nil {
		return nil, err
	}
	r, ok := m.alerts[id]
	if !ok {
		return nil, fmt.Errorf("%w: alert %q (GET /api/2.0/alerts lists yours)", ErrNotFound, id)
	}
	if !owns(who, r.Alert.OwnerUserName) {
		return nil, denied(who, "alert", id, r.Alert.OwnerUserName)
	}
	return r, nil
}

// GetAlert returns an alert (also a trashed one) its owner or an admin asks for.
func (m *Manager) GetAlert(ctx context.Context, who *engine.Identity, id string) (Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.alert(who, id)
	if err != nil {
		return Alert{}, err
	}
	return r.Alert, nil
}

// ListAlerts returns a page of the active alerts who may see, in creation
// order, and the next page's token.
func (m *Manager) ListAlerts(ctx context.Context, who *engine.Identity, pageSize int, token string) ([]Alert, string, error) {
	if err := who.RequireWorkspace("alerts"); err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	var recs []*alertRec
	for _, r := range m.alerts {
		if r.Alert.LifecycleState == Active && owns(who, r.Alert.OwnerUserName) {
			recs = append(recs, r)
		}
	}
	m.mu.Unlock()
	recs, next, err := page(recs, func(r *alertRec) int64 { return r.seq }, pageSize, token)
	if err != nil {
		return nil, "", err
	}
	out := make([]Alert, len(recs))
	m.mu.Lock()
	for i, r := range recs {
		out[i] = r.Alert
	}
	m.mu.Unlock()
	return out, next, nil
}

// alertFields are the update_mask paths of an alert, each copying one
// field from the request.
var alertFields = map[string]func(dst, src *Alert){
	"display_name":                   func(d, s *Alert) { d.DisplayName = s.DisplayName },
	"query_text":                     func(d, s *Alert) { d.QueryText = s.QueryText },
	"warehouse_id":                   func(d, s *Alert) { d.WarehouseID = s.WarehouseID },
	"custom_summary":                 func(d, s *Alert) { d.CustomSummary = s.CustomSummary },
	"custom_description":             func(d, s *Alert) { d.CustomDescription = s.CustomDescription },
	"run_as":                         func(d, s *Alert) { d.RunAs = s.RunAs },
	"run_as_user_name":               func(d, s *Alert) { d.RunAsUserName = s.RunAsUserName },
	"schedule":                       func(d, s *Alert) { d.Schedule = s.Schedule },
	"schedule.quartz_cron_schedule":  func(d, s *Alert) { d.Schedule.QuartzCronSchedule = s.Schedule.QuartzCronSchedule },
	"schedule.timezone_id":           func(d, s *Alert) { d.Schedule.TimezoneID = s.Schedule.TimezoneID },
	"schedule.pause_status":          func(d, s *Alert) { d.Schedule.PauseStatus = s.Schedule.PauseStatus },
	"evaluation.comparison_operator": func(d, s *Alert) { d.Evaluation.ComparisonOperator = s.Evaluation.ComparisonOperator },
	"evaluation.source":              func(d, s *Alert) { d.Evaluation.Source = s.Evaluation.Source },
	"evaluation.threshold":           func(d, s *Alert) { d.Evaluation.Threshold = s.Evaluation.Threshold },
	"evaluation.empty_result_state":  func(d, s *Alert) { d.Evaluation.EmptyResultState = s.Evaluation.EmptyResultState },
	"evaluation.notification":        func(d, s *Alert) { d.Evaluation.Notification = s.Evaluation.Notification },
	"evaluation": func(d, s *Alert) {
		st, at := d.Evaluation.State, d.Evaluation.LastEvaluatedAt
		d.Evaluation = s.Evaluation
		d.Evaluation.State, d.Evaluation.LastEvaluatedAt = st, at
	},
}

// UpdateAlert changes the fields update_mask names ("*": all a client may
// set), checking the result as CreateAlert does.
func (m *Manager) UpdateAlert(ctx context.Context, who *engine.Identity, id string, in Alert, mask string) (Alert, error) {
	m.mu.Lock()
	r0, err := m.alert(who, id)
	var a Alert
	var every time.Duration
	if err == nil {
		a, every = r0.Alert, r0.every()
	}
	m.mu.Unlock()
	if err != nil {
		return Alert{}, err
	}
	if strings.TrimSpace(mask) == "" {
		return Alert{}, fmt.Errorf("%w: update_mask is required: the comma-separated fields to change (e.g. display_name,evaluation.threshold) or *", ErrInvalid)
	}
	for _, f := range strings.Split(mask, ",") {
		f = strings.TrimSpace(f)
		if f == "*" {
			for _, set := range alertFields {
				set(&a, &in)
			}
			continue
		}
		set, ok := alertFields[f]
		if !ok {
			return Alert{}, fmt.Errorf("%w: update_mask names %q, which is not a field of an alert a client may change", ErrInvalid, f)
		}
		set(&a, &in)
	}
	if err := a.validate(every); err != nil {
		return Alert{}, err
	}
	runAs, err := m.resolveRunAs(ctx, who, a, a.EffectiveRunAs.principal())
	if err != nil {
		return Alert{}, err
	}
	if err := m.checkQuery(ctx, runAs, a); err != nil {
		return Alert{}, err
	}
	a.EffectiveRunAs = &RunAs{ServicePrincipalName: runAs.ClientID}
	a.UpdateTime = apiTime(m.now())
	if a.Schedule != r0.Alert.Schedule {
		every = 0 // a new schedule replaces a rule's interval
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.alerts[id]
	if !ok {
		return Alert{}, fmt.Errorf("%w: alert %q was deleted meanwhile", ErrNotFound, id)
	}
	if err := m.checkDestinations(a); err != nil {
		return Alert{}, err
	}
	a.Evaluation.State, a.Evaluation.LastEvaluatedAt = r.Alert.Evaluation.State, r.Alert.Evaluation.LastEvaluatedAt
	nr := *r
	nr.Alert, nr.EveryMS = a, every.Milliseconds()
	if _, err := m.st.put(ctx, kindAlert, id, &nr); err != nil {
		return Alert{}, err
	}
	*r = nr
	m.schedule(r, false)
	return a, nil
}

// TrashAlert moves an alert to the trash: it stops being evaluated and
// leaves the list, as in Databricks; GET still returns it.
func (m *Manager) TrashAlert(ctx context.Context, who *engine.Identity, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.alert(who, id)
	if err != nil {
		return err
	}
	if r.Alert.LifecycleState != Active {
		return fmt.Errorf("%w: alert %q is already in the trash", ErrNotFound, id)
	}
	nr := *r
	nr.Alert.LifecycleState, nr.Alert.UpdateTime = Deleted, apiTime(m.now())
	if _, err := m.st.put(ctx, kindAlert, id, &nr); err != nil {
		return err
	}
	*r = nr
	m.schedule(r, false)
	return nil
}
