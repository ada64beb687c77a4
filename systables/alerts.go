package systables

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/zbemu/zbemu/engine"
)

const alertRulesDDL = `
CREATE TABLE IF NOT EXISTS alert_rules (
  name           TEXT PRIMARY KEY,
  sql            TEXT NOT NULL,
  every_ms       INTEGER NOT NULL,
  webhook_url    TEXT NOT NULL DEFAULT '',
  owner          TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL,
  state          TEXT NOT NULL DEFAULT 'UNKNOWN',
  last_evaluated TEXT,
  last_error     TEXT NOT NULL DEFAULT ''
);
`

// Alert states (as Databricks SQL alerts name them, plus ERROR).
const (
	StateUnknown   = "UNKNOWN"
	StateOK        = "OK"
	StateTriggered = "TRIGGERED"
	StateError     = "ERROR"
)

// AlertEvent is one row of system.zbemu.alert_events: a change of an
// alert's state.
type AlertEvent struct {
	Time          time.Time
	Alert         string
	State         string
	RowCount      int64
	Sample        string // JSON array of up to SampleRows result rows
	Message       string
	Query         string
	WebhookURL    string
	WebhookStatus string // "200 OK", "error: ...", or empty without a webhook
}

// SampleRows is how many result rows an alert event and its webhook carry.
const SampleRows = 10

// Executor runs SQL; *engine.Engine implements it.
type Executor interface {
	Execute(ctx context.Context, req engine.StatementRequest) (*engine.Result, error)
}

// Defaults of AlertOptions.
const (
	DefaultAlertInterval = 30 * time.Second
	DefaultAlertTimeout  = 30 * time.Second
	MinAlertInterval     = time.Second
)

// AlertOptions configures Alerts. Zero values mean the documented defaults.
type AlertOptions struct {
	// Interval is how often a rule without its own Every is evaluated.
	Interval time.Duration
	// Tick is how often due rules are looked for (default 1s; at most the
	// shortest rule interval matters).
	Tick time.Duration
	// Timeout bounds one query and one webhook call.
	Timeout time.Duration
	// Identity runs the alert queries (required).
	Identity *engine.Identity
	// HTTPClient posts to webhooks; nil means a client with Timeout.
	HTTPClient *http.Client
	// Logger receives fired alerts and failures; nil discards them.
	Logger *slog.Logger
}

// Alerts evaluates the alert rules periodically and manages them. Rules
// live in the Store's database (table alert_rules), so they survive
// restarts. Open starts the evaluator; Close stops it.
type Alerts struct {
	store *Store
	exec  Executor
	opts  AlertOptions
	log   *slog.Logger

	// mu guards rules and next.
	mu    sync.Mutex
	rules map[string]*engine.AlertRule
	next  map[string]time.Time // when each rule is due

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// OpenAlerts loads the rules from the store and starts evaluating them.
func OpenAlerts(ctx context.Context, store *Store, exec Executor, opts AlertOptions) (*Alerts, error) {
	if opts.Identity == nil {
		return nil, fmt.Errorf("%w: alerts need an identity to run their queries", engine.ErrInvalidArgument)
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultAlertInterval
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultAlertTimeout
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: opts.Timeout}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Alerts{store: store, exec: exec, opts: opts, log: opts.Logger, rules: map[string]*engine.AlertRule{}, next: map[string]time.Time{}}
	rules, err := a.load(ctx)
	if err != nil {
		return nil, err
	}
	now := store.opts.Now()
	for _, r := range rules {
		a.rules[r.Name], a.next[r.Name] = r, now.Add(r.Every)
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.run() }()
	return a, nil
}

// Close stops the evaluator, waiting for an evaluation in progress.
func (a *Alerts) Close(ctx context.Context) error {
	a.cancel()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close alerts: %w", ctx.Err())
	}
}

func (a *Alerts) load(ctx context.Context) ([]*engine.AlertRule, error) {
	rows, err := a.store.db.QueryContext(ctx, "SELECT name, sql, every_ms, webhook_url, owner, created_at, state, last_evaluated, last_error FROM alert_rules ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("load alert rules: %w", err)
	}
	defer rows.Close()
	var out []*engine.AlertRule
	for rows.Next() {
		var r engine.AlertRule
		var everyMS int64
		var created string
		var last sql.NullString
		if err := rows.Scan(&r.Name, &r.SQL, &everyMS, &r.WebhookURL, &r.Owner, &created, &r.State, &last, &r.LastError); err != nil {
			return nil, err
		}
		r.Every = time.Duration(everyMS) * time.Millisecond
		r.CreatedAt, _ = time.Parse(timeLayout, created)
		if last.Valid {
			r.LastEvaluated, _ = time.Parse(timeLayout, last.String)
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

var alertNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// CreateAlert validates a rule (its query must run), stores it and
// schedules it. Every defaults to AlertOptions.Interval.
func (a *Alerts) CreateAlert(ctx context.Context, r engine.AlertRule) (engine.AlertRule, error) {
	if !alertNameRE.MatchString(r.Name) {
		return engine.AlertRule{}, fmt.Errorf("%w: name %q must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit", ErrInvalidAlert, r.Name)
	}
	if r.SQL == "" {
		return engine.AlertRule{}, fmt.Errorf("%w: the alert needs a query (--sql); it triggers while the query returns rows", ErrInvalidAlert)
	}
	if r.Every == 0 {
		r.Every = a.opts.Interval
	}
	if r.Every < MinAlertInterval {
		return engine.AlertRule{}, fmt.Errorf("%w: interval %s is shorter than %s", ErrInvalidAlert, r.Every, MinAlertInterval)
	}
	if r.WebhookURL != "" {
		u, err := url.Parse(r.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return engine.AlertRule{}, fmt.Errorf("%w: webhook %q is not an http(s) URL", ErrInvalidAlert, r.WebhookURL)
		}
	}
	qctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	_, err := a.exec.Execute(qctx, engine.StatementRequest{SQL: r.SQL, Identity: a.opts.Identity})
	cancel()
	if err != nil {
		return engine.AlertRule{}, fmt.Errorf("%w: the query fails: %v", ErrInvalidAlert, err)
	}
	r.CreatedAt, r.State, r.LastEvaluated, r.LastError = a.store.opts.Now().UTC(), StateUnknown, time.Time{}, ""
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.rules[r.Name]; ok {
		return engine.AlertRule{}, fmt.Errorf("%w: %q (delete it first)", ErrAlertExists, r.Name)
	}
	_, err = a.store.db.ExecContext(ctx, "INSERT INTO alert_rules (name, sql, every_ms, webhook_url, owner, created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
		r.Name, r.SQL, r.Every.Milliseconds(), r.WebhookURL, r.Owner, formatTime(r.CreatedAt), r.State)
	if err != nil {
		return engine.AlertRule{}, fmt.Errorf("store alert %q: %w", r.Name, err)
	}
	rule := r
	a.rules[r.Name], a.next[r.Name] = &rule, a.store.opts.Now()
	return r, nil
}

// ListAlerts returns the rules sorted by name, with their current state.
func (a *Alerts) ListAlerts(ctx context.Context) ([]engine.AlertRule, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]engine.AlertRule, 0, len(a.rules))
	for _, r := range a.rules {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteAlert removes a rule; its past alert_events stay.
func (a *Alerts) DeleteAlert(ctx context.Context, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.rules[name]; !ok {
		return fmt.Errorf("%w: %q", ErrAlertNotFound, name)
	}
	if _, err := a.store.db.ExecContext(ctx, "DELETE FROM alert_rules WHERE name = ?", name); err != nil {
		return fmt.Errorf("delete alert %q: %w", name, err)
	}
	delete(a.rules, name)
	delete(a.next, name)
	return nil
}

func (a *Alerts) run() {
	t := time.NewTicker(a.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range a.due() {
			if a.ctx.Err() != nil {
				return
			}
			a.evaluate(r)
		}
	}
}

// due returns copies of the rules whose time has come and schedules their
// next evaluation.
func (a *Alerts) due() []engine.AlertRule {
	now := a.store.opts.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []engine.AlertRule
	for name, r := range a.rules {
		if !now.Before(a.next[name]) {
			out = append(out, *r)
			a.next[name] = now.Add(r.Every)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// evaluate runs one rule; a change of state is logged, recorded and posted.
func (a *Alerts) evaluate(r engine.AlertRule) {
	ctx, cancel := context.WithTimeout(a.ctx, a.opts.Timeout)
	res, err := a.exec.Execute(ctx, engine.StatementRequest{SQL: r.SQL, Identity: a.opts.Identity})
	cancel()
	if a.ctx.Err() != nil {
		return // shutting down: the query was canceled, not wrong
	}
	now := a.store.opts.Now().UTC()
	ev := AlertEvent{Time: now, Alert: r.Name, Query: r.SQL, WebhookURL: r.WebhookURL}
	var sample []map[string]any
	switch {
	case err != nil:
		ev.State, ev.Message = StateError, err.Error()
	case len(res.Rows) > 0:
		ev.State, ev.RowCount = StateTriggered, int64(len(res.Rows))
		ev.Message = fmt.Sprintf("the query returned %d row(s)", len(res.Rows))
		sample = sampleRows(res)
		b, _ := json.Marshal(sample)
		ev.Sample = string(b)
	default:
		ev.State, ev.Message = StateOK, "the query returned no rows"
	}
	lastErr := ""
	if ev.State == StateError {
		lastErr = ev.Message
	}
	if !a.setState(r.Name, ev.State, now, lastErr) {
		return // deleted meanwhile
	}
	if ev.State == r.State || (r.State == StateUnknown && ev.State == StateOK) {
		return
	}
	switch ev.State {
	case StateTriggered:
		a.log.Warn("alert triggered", "alert", r.Name, "rows", ev.RowCount, "sample", ev.Sample)
	case StateOK:
		a.log.Info("alert resolved", "alert", r.Name)
	case StateError:
		a.log.Error("alert query failed", "alert", r.Name, "err", ev.Message)
	}
	if r.WebhookURL != "" {
		ev.WebhookStatus = a.post(r, ev, sample)
	}
	a.store.enqueue(ev)
}

// setState records the outcome of an evaluation; false if the rule is gone.
func (a *Alerts) setState(name, state string, at time.Time, lastErr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.rules[name]
	if !ok {
		return false
	}
	r.State, r.LastEvaluated, r.LastError = state, at, lastErr
	_, err := a.store.db.ExecContext(context.WithoutCancel(a.ctx), "UPDATE alert_rules SET state = ?, last_evaluated = ?, last_error = ? WHERE name = ?",
		state, formatTime(at), lastErr, name)
	if err != nil {
		a.log.Error("alert: store state", "alert", name, "err", err)
	}
	return true
}

func sampleRows(res *engine.Result) []map[string]any {
	var out []map[string]any
	for i, row := range res.Rows {
		if i == SampleRows {
			break
		}
		m := make(map[string]any, len(row))
		for j, c := range res.Columns {
			if row[j] != nil {
				m[c.Name] = *row[j]
			} else {
				m[c.Name] = nil
			}
		}
		out = append(out, m)
	}
	return out
}

// webhookBody is what a webhook receives (POST, application/json).
type webhookBody struct {
	Alert         string           `json:"alert"`
	State         string           `json:"state"`
	PreviousState string           `json:"previous_state"`
	Time          string           `json:"time"`
	RowCount      int64            `json:"row_count"`
	Rows          []map[string]any `json:"rows"`
	Message       string           `json:"message"`
	Query         string           `json:"query"`
	WorkspaceID   string           `json:"workspace_id"`
}

// post delivers one state change to the rule's webhook and describes the
// outcome for alert_events.
func (a *Alerts) post(r engine.AlertRule, ev AlertEvent, sample []map[string]any) string {
	body, _ := json.Marshal(webhookBody{Alert: r.Name, State: ev.State, PreviousState: r.State, Time: ev.Time.Format(time.RFC3339Nano),
		RowCount: ev.RowCount, Rows: sample, Message: ev.Message, Query: r.SQL, WorkspaceID: a.store.opts.WorkspaceID})
	ctx, cancel := context.WithTimeout(a.ctx, a.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return "error: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "zbemu-alerts")
	resp, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		a.log.Warn("alert webhook failed", "alert", r.Name, "url", r.WebhookURL, "err", err)
		return "error: " + err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		a.log.Warn("alert webhook refused", "alert", r.Name, "url", r.WebhookURL, "status", resp.Status)
	}
	return resp.Status
}
