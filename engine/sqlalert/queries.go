package sqlalert

import (
	"context"
	"fmt"
	"strings"

	"github.com/zbemu/zbemu/engine"
)

// validate checks what a client set on a saved query, naming the field.
func (q *Query) validate() error {
	if err := checkText("query_text", q.QueryText, MaxQueryBytes, false); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"display_name", q.DisplayName, MaxNameLength}, {"description", q.Description, MaxTextLength}, {"warehouse_id", q.WarehouseID, MaxTextLength},
		{"catalog", q.Catalog, MaxNameLength}, {"schema", q.Schema, MaxNameLength}, {"parent_path", q.ParentPath, MaxTextLength}} {
		if err := checkText(f.name, f.v, f.max, false); err != nil {
			return err
		}
	}
	switch q.RunAsMode {
	case "", "OWNER", "VIEWER":
	default:
		return fmt.Errorf("%w: run_as_mode must be OWNER or VIEWER; got %q", ErrInvalid, q.RunAsMode)
	}
	if len(q.Tags) > MaxTags {
		return fmt.Errorf("%w: tags has %d entries; at most %d are allowed", ErrInvalid, len(q.Tags), MaxTags)
	}
	for i, t := range q.Tags {
		if err := checkText(fmt.Sprintf("tags[%d]", i), t, MaxNameLength, true); err != nil {
			return err
		}
	}
	return nil
}

// CreateQuery stores a saved query owned by who. Nothing runs: a query
// runs when an alert or a person runs it, with that principal's
// privileges.
func (m *Manager) CreateQuery(ctx context.Context, who *engine.Identity, q Query) (Query, error) {
	if err := who.RequireWorkspace("queries"); err != nil {
		return Query{}, err
	}
	if err := q.validate(); err != nil {
		return Query{}, err
	}
	if q.DisplayName == "" {
		q.DisplayName = "New Query"
	}
	if q.RunAsMode == "" {
		q.RunAsMode = "OWNER"
	}
	if q.ParentPath == "" {
		q.ParentPath = "/Users/" + who.ClientID
	}
	now := apiTime(m.now())
	q.ID, q.OwnerUserName, q.LastModifierUserName, q.LifecycleState, q.CreateTime, q.UpdateTime = newID(), who.ClientID, who.ClientID, Active, now, now
	r := &queryRec{Query: q}
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	if r.seq, err = m.st.put(ctx, kindQuery, q.ID, r); err != nil {
		return Query{}, err
	}
	m.queries[q.ID] = r
	return q, nil
}

// query returns the saved query id if who may use it. Called with mu held.
func (m *Manager) query(who *engine.Identity, id string) (*queryRec, error) {
	if err := who.RequireWorkspace("queries"); err != nil {
		return nil, err
	}
	r, ok := m.queries[id]
	if !ok {
		return nil, fmt.Errorf("%w: query %q (GET /api/2.0/sql/queries lists yours)", ErrNotFound, id)
	}
	if !owns(who, r.Query.OwnerUserName) {
		return nil, denied(who, "query", id, r.Query.OwnerUserName)
	}
	return r, nil
}

// GetQuery returns a saved query (also a trashed one) to its owner or an admin.
func (m *Manager) GetQuery(ctx context.Context, who *engine.Identity, id string) (Query, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.query(who, id)
	if err != nil {
		return Query{}, err
	}
	return r.Query, nil
}

// ListQueries returns a page of the active saved queries who may see.
func (m *Manager) ListQueries(ctx context.Context, who *engine.Identity, pageSize int, token string) ([]Query, string, error) {
	if err := who.RequireWorkspace("queries"); err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	var recs []*queryRec
	for _, r := range m.queries {
		if r.Query.LifecycleState == Active && owns(who, r.Query.OwnerUserName) {
			recs = append(recs, r)
		}
	}
	m.mu.Unlock()
	recs, next, err := page(recs, func(r *queryRec) int64 { return r.seq }, pageSize, token)
	if err != nil {
		return nil, "", err
	}
	out := make([]Query, len(recs))
	m.mu.Lock()
	for i, r := range recs {
		out[i] = r.Query
	}
	m.mu.Unlock()
	return out, next, nil
}

var queryFields = map[string]func(dst, src *Query){
	"display_name":     func(d, s *Query) { d.DisplayName = s.DisplayName },
	"description":      func(d, s *Query) { d.Description = s.Description },
	"query_text":       func(d, s *Query) { d.QueryText = s.QueryText },
	"warehouse_id":     func(d, s *Query) { d.WarehouseID = s.WarehouseID },
	"catalog":          func(d, s *Query) { d.Catalog = s.Catalog },
	"schema":           func(d, s *Query) { d.Schema = s.Schema },
	"run_as_mode":      func(d, s *Query) { d.RunAsMode = s.RunAsMode },
	"apply_auto_limit": func(d, s *Query) { d.ApplyAutoLimit = s.ApplyAutoLimit },
	"tags":             func(d, s *Query) { d.Tags = s.Tags },
}

// UpdateQuery changes the fields update_mask names ("*": all).
func (m *Manager) UpdateQuery(ctx context.Context, who *engine.Identity, id string, in Query, mask string) (Query, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.query(who, id)
	if err != nil {
		return Query{}, err
	}
	if strings.TrimSpace(mask) == "" {
		return Query{}, fmt.Errorf("%w: update_mask is required: the comma-separated fields to change (e.g. query_text,display_name) or *", ErrInvalid)
	}
	q := r.Query
	for _, f := range strings.Split(mask, ",") {
		f = strings.TrimSpace(f)
		if f == "*" {
			for _, set := range queryFields {
				set(&q, &in)
			}
			continue
		}
		set, ok := queryFields[f]
		if !ok {
			return Query{}, fmt.Errorf("%w: update_mask names %q, which is not a field of a query a client may change", ErrInvalid, f)
		}
		set(&q, &in)
	}
	if err := q.validate(); err != nil {
		return Query{}, err
	}
	q.UpdateTime, q.LastModifierUserName = apiTime(m.now()), who.ClientID
	nr := *r
	nr.Query = q
	if _, err := m.st.put(ctx, kindQuery, id, &nr); err != nil {
		return Query{}, err
	}
	*r = nr
	return q, nil
}

// TrashQuery moves a saved query to the trash.
func (m *Manager) TrashQuery(ctx context.Context, who *engine.Identity, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.query(who, id)
	if err != nil {
		return err
	}
	if r.Query.LifecycleState != Active {
		return fmt.Errorf("%w: query %q is already in the trash", ErrNotFound, id)
	}
	nr := *r
	nr.Query.LifecycleState, nr.Query.UpdateTime = Trashed, apiTime(m.now())
	if _, err := m.st.put(ctx, kindQuery, id, &nr); err != nil {
		return err
	}
	*r = nr
	return nil
}
