package sqlalert

import (
	"context"
	"fmt"

	"github.com/zbemu/zbemu/engine"
)

// CreateDestination stores a notification destination. As in Databricks,
// only workspace admins manage destinations and every principal may
// subscribe alerts to them; zbemu delivers generic webhooks only.
func (m *Manager) CreateDestination(ctx context.Context, who *engine.Identity, d Destination) (Destination, error) {
	if err := who.RequireWorkspace("notification destinations"); err != nil {
		return Destination{}, err
	}
	if !who.Admin {
		return Destination{}, fmt.Errorf("%w: only a workspace admin may create notification destinations; principal %q is not one", ErrDenied, who.ClientID)
	}
	if err := checkText("display_name", d.DisplayName, MaxNameLength, true); err != nil {
		return Destination{}, err
	}
	if d.Config == nil || d.Config.GenericWebhook == nil {
		return Destination{}, fmt.Errorf("%w: config.generic_webhook is required: zbemu delivers webhook destinations only (no email, Slack, Teams or PagerDuty)", ErrInvalid)
	}
	w := d.Config.GenericWebhook
	if err := checkWebhookURL("config.generic_webhook.url", w.URL); err != nil {
		return Destination{}, err
	}
	for _, f := range []struct{ name, v string }{{"config.generic_webhook.username", w.Username}, {"config.generic_webhook.password", w.Password}} {
		if err := checkText(f.name, f.v, MaxNameLength, false); err != nil {
			return Destination{}, err
		}
	}
	d.ID, d.DestinationType = newID(), "WEBHOOK"
	d.Config = &DestinationConfig{GenericWebhook: &Webhook{URL: w.URL, Username: w.Username, Password: w.Password}}
	r := &destRec{Destination: d, Owner: who.ClientID}
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	if r.seq, err = m.st.put(ctx, kindDestination, d.ID, r); err != nil {
		return Destination{}, err
	}
	m.dests[d.ID] = r
	return redact(d), nil
}

// redact hides the webhook's secrets, as Databricks' reads do.
func redact(d Destination) Destination {
	w := d.Config.GenericWebhook
	d.Config = &DestinationConfig{GenericWebhook: &Webhook{URLSet: w.URL != "", UsernameSet: w.Username != "", PasswordSet: w.Password != ""}}
	return d
}

// GetDestination returns a destination, secrets hidden.
func (m *Manager) GetDestination(ctx context.Context, who *engine.Identity, id string) (Destination, error) {
	if err := who.RequireWorkspace("notification destinations"); err != nil {
		return Destination{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.dests[id]
	if !ok {
		return Destination{}, fmt.Errorf("%w: notification destination %q", ErrNotFound, id)
	}
	return redact(r.Destination), nil
}

// ListDestinations returns a page of destinations (id, name and type only).
func (m *Manager) ListDestinations(ctx context.Context, who *engine.Identity, pageSize int, token string) ([]Destination, string, error) {
	if err := who.RequireWorkspace("notification destinations"); err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	recs := make([]*destRec, 0, len(m.dests))
	for _, r := range m.dests {
		recs = append(recs, r)
	}
	m.mu.Unlock()
	recs, next, err := page(recs, func(r *destRec) int64 { return r.seq }, pageSize, token)
	if err != nil {
		return nil, "", err
	}
	out := make([]Destination, len(recs))
	for i, r := range recs {
		d := r.Destination
		out[i] = Destination{ID: d.ID, DisplayName: d.DisplayName, DestinationType: d.DestinationType}
	}
	return out, next, nil
}

// DeleteDestination removes a destination (admins only); alerts
// subscribed to it notify nobody there any more.
func (m *Manager) DeleteDestination(ctx context.Context, who *engine.Identity, id string) error {
	if err := who.RequireWorkspace("notification destinations"); err != nil {
		return err
	}
	if !who.Admin {
		return fmt.Errorf("%w: only a workspace admin may delete notification destinations; principal %q is not one", ErrDenied, who.ClientID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dests[id]; !ok {
		return fmt.Errorf("%w: notification destination %q", ErrNotFound, id)
	}
	if err := m.st.delete(ctx, kindDestination, id); err != nil {
		return err
	}
	delete(m.dests, id)
	return nil
}
