package sqlalert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
)

func (m *Manager) run() {
	t := time.NewTicker(m.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range m.due() {
			if m.ctx.Err() != nil {
				return
			}
			m.evaluate(r)
		}
	}
}

// due returns copies of the alerts whose time has come, oldest first, and
// schedules their next evaluation.
func (m *Manager) due() []alertRec {
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []alertRec
	for id, at := range m.next {
		if r := m.alerts[id]; !at.IsZero() && !now.Before(at) {
			out = append(out, *r)
			m.schedule(r, false)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// evaluate runs one alert's query as its run-as principal and applies the
// condition; a change of state (or a re-trigger) is logged, recorded and
// sent to the subscribed webhooks.
func (m *Manager) evaluate(r alertRec) {
	a := r.Alert
	ctx, cancel := context.WithTimeout(m.ctx, m.opts.Timeout)
	res, err := m.runQuery(ctx, a)
	cancel()
	if m.ctx.Err() != nil {
		return // shutting down: the query was canceled, not wrong
	}
	var out outcome
	if err != nil {
		out = outcome{State: StateError, Message: err.Error()}
	} else {
		out = evaluate(res, a.Evaluation)
	}
	now := m.now()
	prev := a.Evaluation.State
	changed := out.State != prev && !(prev == StateUnknown && out.State == StateOK)
	n := a.Evaluation.Notification
	retrigger := !changed && out.State == StateTriggered && n != nil && n.RetriggerSeconds > 0 &&
		!r.NotifiedAt.IsZero() && now.Sub(r.NotifiedAt) >= time.Duration(n.RetriggerSeconds)*time.Second
	var rows int64
	if res != nil {
		rows = int64(len(res.Rows))
	}
	if !m.setState(a.ID, out, rows, now, changed || retrigger) {
		return // deleted meanwhile
	}
	if !changed && !retrigger {
		return
	}
	ev := Event{Time: now, AlertID: a.ID, Alert: a.DisplayName, State: out.State, PreviousState: prev, RowCount: rows, Message: out.Message, Query: a.QueryText}
	var sample []map[string]any
	if out.State == StateTriggered && res != nil {
		sample = sampleRows(res)
		b, _ := json.Marshal(sample)
		ev.Sample = string(b)
	}
	switch out.State {
	case StateTriggered:
		m.log.Warn("alert triggered", "alert", a.DisplayName, "id", a.ID, "value", show(out.Value), "rows", rows, "message", out.Message)
	case StateOK:
		m.log.Info("alert resolved", "alert", a.DisplayName, "id", a.ID, "message", out.Message)
	case StateError:
		m.log.Error("alert query failed", "alert", a.DisplayName, "id", a.ID, "err", out.Message)
	default:
		m.log.Info("alert state changed", "alert", a.DisplayName, "id", a.ID, "state", out.State, "message", out.Message)
	}
	if n != nil && (out.State != StateOK || n.NotifyOnOK) {
		ev.WebhookURL, ev.WebhookStatus = m.notify(a, ev, out, sample)
	}
	if m.opts.Events != nil {
		m.opts.Events.AlertEvent(ev)
	}
}

// runQuery runs the alert's query as its effective run-as principal, so
// it sees only what that principal may SELECT.
func (m *Manager) runQuery(ctx context.Context, a Alert) (*engine.Result, error) {
	who, err := m.exec.PrincipalIdentity(ctx, a.EffectiveRunAs.principal())
	if err != nil {
		return nil, fmt.Errorf("the alert's run-as principal %q: %w", a.EffectiveRunAs.principal(), err)
	}
	return m.exec.Execute(ctx, engine.StatementRequest{SQL: a.QueryText, Identity: who, RowLimit: MaxEvalRows})
}

// setState records the outcome of an evaluation; false if the alert is
// gone or trashed.
func (m *Manager) setState(id string, out outcome, rows int64, at time.Time, notified bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.alerts[id]
	if !ok || r.Alert.LifecycleState != Active {
		return false
	}
	r.Alert.Evaluation.State, r.Alert.Evaluation.LastEvaluatedAt = out.State, apiTime(at)
	r.LastMessage, r.LastValue, r.LastRowCount = out.Message, out.Value, rows
	if notified {
		r.NotifiedAt = at
	}
	if _, err := m.st.put(context.WithoutCancel(m.ctx), kindAlert, id, r); err != nil {
		m.log.Error("alert: store state", "alert", r.Alert.DisplayName, "id", id, "err", err)
	}
	return true
}

func sampleRows(res *engine.Result) []map[string]any {
	var out []map[string]any
	for i, row := range res.Rows {
		if i == SampleRows {
			break
		}
		mrow := make(map[string]any, len(row))
		for j, c := range res.Columns {
			if row[j] != nil {
				mrow[c.Name] = *row[j]
			} else {
				mrow[c.Name] = nil
			}
		}
		out = append(out, mrow)
	}
	return out
}

// webhookBody is what a webhook receives (POST, application/json): the
// zbemu alert API's fields (alert, state, previous_state, time, row_count,
// rows, message, query, workspace_id) plus the condition's.
type webhookBody struct {
	AlertID            string           `json:"alert_id"`
	Alert              string           `json:"alert"`
	State              string           `json:"state"`
	PreviousState      string           `json:"previous_state"`
	Time               string           `json:"time"`
	Value              *string          `json:"value"`
	Column             string           `json:"column"`
	ComparisonOperator string           `json:"comparison_operator"`
	Threshold          *Operand         `json:"threshold,omitempty"`
	RowCount           int64            `json:"row_count"`
	Rows               []map[string]any `json:"rows"`
	Message            string           `json:"message"`
	Summary            string           `json:"summary,omitempty"`
	Description        string           `json:"description,omitempty"`
	Query              string           `json:"query"`
	WorkspaceID        string           `json:"workspace_id"`
}

// notify posts the change to every subscribed destination and describes
// the outcome: the URLs and their statuses, comma separated.
func (m *Manager) notify(a Alert, ev Event, out outcome, sample []map[string]any) (string, string) {
	body, _ := json.Marshal(webhookBody{AlertID: a.ID, Alert: a.DisplayName, State: ev.State, PreviousState: ev.PreviousState,
		Time: ev.Time.Format(time.RFC3339Nano), Value: out.Value, Column: a.Evaluation.Source.Name, ComparisonOperator: a.Evaluation.ComparisonOperator,
		Threshold: a.Evaluation.Threshold, RowCount: ev.RowCount, Rows: sample, Message: ev.Message, Summary: a.CustomSummary,
		Description: a.CustomDescription, Query: a.QueryText, WorkspaceID: m.opts.WorkspaceID})
	var urls, statuses []string
	for _, s := range a.Evaluation.Notification.Subscriptions {
		if s.UserEmail != "" {
			statuses = append(statuses, "not sent to "+s.UserEmail+": zbemu sends no email")
			continue
		}
		m.mu.Lock()
		d, ok := m.dests[s.DestinationID]
		m.mu.Unlock()
		if !ok {
			statuses = append(statuses, "error: notification destination "+s.DestinationID+" was deleted")
			continue
		}
		w := d.Destination.Config.GenericWebhook
		urls = append(urls, w.URL)
		statuses = append(statuses, m.post(a, w, body))
	}
	return strings.Join(urls, ", "), strings.Join(statuses, ", ")
}

func (m *Manager) post(a Alert, w *Webhook, body []byte) string {
	ctx, cancel := context.WithTimeout(m.ctx, m.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return "error: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "zbemu-alerts")
	if w.Username != "" || w.Password != "" {
		req.SetBasicAuth(w.Username, w.Password)
	}
	resp, err := m.opts.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		m.log.Warn("alert webhook failed", "alert", a.DisplayName, "url", w.URL, "err", err)
		return "error: " + err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		m.log.Warn("alert webhook refused", "alert", a.DisplayName, "url", w.URL, "status", resp.Status)
	}
	return resp.Status
}
