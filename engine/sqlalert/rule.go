package sqlalert

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// Rule is an alert as the zbemu alert API (/zbemu/v1/alerts, zbemu alert)
// shows it: a query that is TRIGGERED while it returns rows. A rule is an
// Alert whose condition is COUNT(*) > 0 (RowsColumn) with an empty result
// OK, notifying on OK too, evaluated every Every; its webhook is a
// notification destination. Every alert, however created, lists as a rule.
type Rule struct {
	ID   string
	Name string // the alert's display_name
	SQL  string
	// Every is the interval of a rule; alerts on a cron schedule have
	// Schedule instead.
	Every         time.Duration
	Schedule      string
	WebhookURL    string
	Owner         string
	CreatedAt     time.Time
	State         string
	LastEvaluated time.Time
	LastError     string // the last evaluation's message when ERROR
}

var ruleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// CreateRule creates an alert from a rule; names are unique among active
// alerts for this API's sake. Every defaults to Options.Interval.
func (m *Manager) CreateRule(ctx context.Context, who *engine.Identity, r Rule) (Rule, error) {
	return m.createRule(ctx, who, r, true)
}

func (m *Manager) createRule(ctx context.Context, who *engine.Identity, r Rule, check bool) (Rule, error) {
	if !ruleNameRE.MatchString(r.Name) {
		return Rule{}, fmt.Errorf("%w: name %q must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit", ErrInvalid, r.Name)
	}
	if r.SQL == "" {
		return Rule{}, fmt.Errorf("%w: the alert needs a query (--sql); it triggers while the query returns rows", ErrInvalid)
	}
	if r.Every == 0 {
		r.Every = m.opts.Interval
	}
	if r.Every < MinEvaluationEvery {
		return Rule{}, fmt.Errorf("%w: interval %s is shorter than %s", ErrInvalid, r.Every, MinEvaluationEvery)
	}
	if _, err := m.ruleByName(r.Name); err == nil {
		return Rule{}, fmt.Errorf("%w: %q (delete it first)", ErrExists, r.Name)
	}
	zero := 0.0
	a := Alert{DisplayName: r.Name, QueryText: r.SQL, Schedule: Schedule{QuartzCronSchedule: everyCron(r.Every), TimezoneID: "UTC"},
		Evaluation: Evaluation{ComparisonOperator: "GREATER_THAN", Source: OperandColumn{Name: RowsColumn, Aggregation: "COUNT"},
			Threshold: &Operand{Value: &Value{DoubleValue: &zero}}, EmptyResultState: StateOK, Notification: &Notification{NotifyOnOK: true}}}
	if r.WebhookURL != "" {
		id, err := m.webhookDestination(ctx, who, r.WebhookURL)
		if err != nil {
			return Rule{}, err
		}
		a.Evaluation.Notification.Subscriptions = []Subscription{{DestinationID: id}}
	}
	created, err := m.createAlert(ctx, who, a, r.Every, check)
	if err != nil {
		return Rule{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.toRule(m.alerts[created.ID]), nil
}

// everyCron is the Quartz expression firing every d, when there is one
// (d divides a minute, an hour or a day), else "".
func everyCron(d time.Duration) string {
	if d%time.Second != 0 {
		return ""
	}
	n := int64(d / time.Second)
	for _, u := range []struct {
		size, per int64
		f         string
	}{{1, 60, "0/%d * * * * ?"}, {60, 60, "0 0/%d * * * ?"}, {3600, 24, "0 0 0/%d * * ?"}} {
		if n%u.size == 0 && n/u.size < u.per && u.per%(n/u.size) == 0 {
			return fmt.Sprintf(u.f, n/u.size)
		}
	}
	if n == 86400 {
		return "0 0 0 * * ?"
	}
	return ""
}

// webhookDestination returns the destination posting to rawURL, creating
// it if none does yet.
func (m *Manager) webhookDestination(ctx context.Context, who *engine.Identity, rawURL string) (string, error) {
	if err := checkWebhookURL("webhook", rawURL); err != nil {
		return "", err
	}
	m.mu.Lock()
	for id, d := range m.dests {
		if w := d.Destination.Config.GenericWebhook; w.URL == rawURL && w.Username == "" && w.Password == "" {
			m.mu.Unlock()
			return id, nil
		}
	}
	m.mu.Unlock()
	d, err := m.CreateDestination(ctx, who, Destination{DisplayName: "webhook " + rawURL,
		Config: &DestinationConfig{GenericWebhook: &Webhook{URL: rawURL}}})
	return d.ID, err
}

// ruleByName finds the one active alert named name.
func (m *Manager) ruleByName(name string) (*alertRec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var found []*alertRec
	for _, r := range m.alerts {
		if r.Alert.LifecycleState == Active && r.Alert.DisplayName == name {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: alert %q", ErrNotFound, name)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: %d alerts are named %q; trash one by id (DELETE /api/2.0/alerts/{id})", ErrInvalid, len(found), name)
}

// Rules lists every active alert as a rule, sorted by name.
func (m *Manager) Rules(ctx context.Context) []Rule {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Rule
	for _, r := range m.alerts {
		if r.Alert.LifecycleState == Active {
			out = append(out, m.toRule(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DeleteRule deletes the active alert named name for good (this API never
// had a trash); its past alert_events stay.
func (m *Manager) DeleteRule(ctx context.Context, name string) error {
	r, err := m.ruleByName(name)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.st.delete(ctx, kindAlert, r.Alert.ID); err != nil {
		return err
	}
	delete(m.alerts, r.Alert.ID)
	delete(m.next, r.Alert.ID)
	return nil
}

// ImportRules adds rules kept by an older zbemu (system.db's alert_rules),
// skipping names that already exist, so that importing twice is harmless.
func (m *Manager) ImportRules(ctx context.Context, owner *engine.Identity, rules []Rule) error {
	for _, r := range rules {
		if _, err := m.ruleByName(r.Name); err == nil {
			continue
		}
		if _, err := m.createRule(ctx, owner, r, false); err != nil {
			return fmt.Errorf("import alert %q: %w", r.Name, err)
		}
	}
	return nil
}

// toRule shows an alert as a rule. Called with mu held.
func (m *Manager) toRule(r *alertRec) Rule {
	a := r.Alert
	out := Rule{ID: a.ID, Name: a.DisplayName, SQL: a.QueryText, Every: r.every(), Schedule: a.Schedule.QuartzCronSchedule,
		Owner: a.OwnerUserName, State: a.Evaluation.State}
	out.CreatedAt, _ = time.Parse(time.RFC3339, a.CreateTime)
	out.LastEvaluated, _ = time.Parse(time.RFC3339, a.Evaluation.LastEvaluatedAt)
	if out.State == StateError {
		out.LastError = r.LastMessage
	}
	if n := a.Evaluation.Notification; n != nil {
		for _, s := range n.Subscriptions {
			if d, ok := m.dests[s.DestinationID]; ok {
				out.WebhookURL = d.Destination.Config.GenericWebhook.URL
				break
			}
		}
	}
	return out
}
