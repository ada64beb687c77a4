package sqlalert_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/sqlalert"
)

func hotAlert(dest string) sqlalert.Alert {
	limit := 80.0
	return sqlalert.Alert{DisplayName: "hot", QueryText: "SELECT max(temp) AS t FROM main.default.iot", WarehouseID: "w",
		Schedule: sqlalert.Schedule{QuartzCronSchedule: "* * * * * ?", TimezoneID: "UTC"},
		Evaluation: sqlalert.Evaluation{ComparisonOperator: "GREATER_THAN", Source: sqlalert.OperandColumn{Name: "t"},
			Threshold: &sqlalert.Operand{Value: &sqlalert.Value{DoubleValue: &limit}}, EmptyResultState: sqlalert.StateOK,
			Notification: &sqlalert.Notification{Subscriptions: []sqlalert.Subscription{{DestinationID: dest}}}}}
}

// TestAlertLifecycle: an alert over a saved condition goes TRIGGERED when
// the data crosses its threshold, tells its webhook, returns to OK
// (recorded, but not posted without notify_on_ok), follows an update and
// stops once trashed. Its owner and admins see it; others do not.
func TestAlertLifecycle(t *testing.T) {
	ctx := context.Background()
	w := openWorkspace(t)
	m := w.open(t, "")
	hook := newWebhook(t)
	w.query(t, "CREATE TABLE main.default.iot (device STRING, temp DOUBLE)")
	w.query(t, "INSERT INTO main.default.iot VALUES ('d1', 20.5)")
	d, err := m.CreateDestination(ctx, admin, sqlalert.Destination{DisplayName: "hook",
		Config: &sqlalert.DestinationConfig{GenericWebhook: &sqlalert.Webhook{URL: hook.URL, Password: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	if w := d.Config.GenericWebhook; w.URL != "" || w.Password != "" || !w.URLSet || !w.PasswordSet || d.DestinationType != "WEBHOOK" {
		t.Errorf("the destination shows its secrets: %+v", w)
	}
	a, err := m.CreateAlert(ctx, admin, hotAlert(d.ID))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.OwnerUserName != "zbemu-dev" || a.Evaluation.State != "UNKNOWN" || a.LifecycleState != "ACTIVE" ||
		a.EffectiveRunAs == nil || a.EffectiveRunAs.ServicePrincipalName != "zbemu-dev" || a.CreateTime == "" {
		t.Errorf("created %+v", a)
	}
	// 20.5 is not above 80: UNKNOWN → OK is no news.
	waitState(t, m, a.ID, "OK")
	w.query(t, "INSERT INTO main.default.iot VALUES ('d2', 81.5)")
	got := hook.wait(t, 1)
	if got[0]["alert_id"] != a.ID || got[0]["state"] != "TRIGGERED" || got[0]["previous_state"] != "OK" || got[0]["value"] != "81.5" ||
		got[0]["column"] != "t" || got[0]["comparison_operator"] != "GREATER_THAN" {
		t.Errorf("webhook body %v", got[0])
	}
	// Back to OK: recorded, not posted (notify_on_ok is false).
	w.query(t, "DELETE FROM main.default.iot WHERE temp > 80")
	rows := cells(w.waitRows(t, "SELECT state, coalesce(webhook_status, 'none') FROM system.zbemu.alert_events WHERE alert_name = 'hot' ORDER BY event_time", 2))
	if fmt.Sprint(rows) != "[[TRIGGERED 200 OK] [OK none]]" {
		t.Errorf("alert_events = %v", rows)
	}
	if n := len(hook.wait(t, 1)); n != 1 {
		t.Errorf("the webhook got %d posts, want 1 (no post on OK)", n)
	}

	// Updates name their fields; unknown ones are refused.
	upd := hotAlert(d.ID)
	upd.DisplayName = "very hot"
	if _, err := m.UpdateAlert(ctx, admin, a.ID, upd, "display_name,owner_user_name"); !errors.Is(err, engine.ErrInvalidArgument) || !strings.Contains(err.Error(), `"owner_user_name"`) {
		t.Errorf("update of owner_user_name: %v", err)
	}
	if _, err := m.UpdateAlert(ctx, admin, a.ID, upd, ""); !errors.Is(err, engine.ErrInvalidArgument) || !strings.Contains(err.Error(), "update_mask is required") {
		t.Errorf("update without a mask: %v", err)
	}
	if u, err := m.UpdateAlert(ctx, admin, a.ID, upd, "display_name"); err != nil || u.DisplayName != "very hot" || u.Evaluation.State != "OK" {
		t.Errorf("update = %+v, %v", u, err)
	}

	// Ownership: another principal neither sees nor changes it.
	p, _, err := w.e.CreatePrincipal(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	other := &engine.Identity{ClientID: p.ClientID}
	if _, err := m.GetAlert(ctx, other, a.ID); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("GetAlert as another principal: %v", err)
	}
	if list, _, err := m.ListAlerts(ctx, other, 0, ""); err != nil || len(list) != 0 {
		t.Errorf("ListAlerts as another principal = %v, %v", list, err)
	}
	if err := m.TrashAlert(ctx, other, a.ID); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("TrashAlert as another principal: %v", err)
	}
	// It may not run its own alert as the admin, nor read a table it has no grant on.
	mine := hotAlert(d.ID)
	mine.RunAs = &sqlalert.RunAs{ServicePrincipalName: "zbemu-dev"}
	if _, err := m.CreateAlert(ctx, other, mine); !errors.Is(err, engine.ErrPermissionDenied) || !strings.Contains(err.Error(), "run_as") {
		t.Errorf("run_as an admin: %v", err)
	}
	if _, err := m.CreateAlert(ctx, other, hotAlert(d.ID)); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("an alert over a table without SELECT: %v", err)
	}

	if err := m.TrashAlert(ctx, admin, a.ID); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := m.ListAlerts(ctx, admin, 0, ""); len(list) != 0 {
		t.Errorf("a trashed alert is listed: %+v", list)
	}
	if got, err := m.GetAlert(ctx, admin, a.ID); err != nil || got.LifecycleState != "DELETED" {
		t.Errorf("GetAlert(trashed) = %+v, %v", got.LifecycleState, err)
	}
}

// waitState polls an alert until its state is want.
func waitState(t *testing.T, m *sqlalert.Manager, id, want string) sqlalert.Alert {
	t.Helper()
	var got sqlalert.Alert
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, _ = m.GetAlert(context.Background(), admin, id); got.Evaluation.State == want && got.Evaluation.LastEvaluatedAt != "" {
			return got
		}
	}
	t.Fatalf("alert %s is %s, want %s", id, got.Evaluation.State, want)
	return got
}

// TestListPages: lists page in creation order and the token resumes.
func TestListPages(t *testing.T) {
	ctx := context.Background()
	m := openWorkspace(t).open(t, "")
	var want []string
	for i := range 5 {
		q, err := m.CreateQuery(ctx, admin, sqlalert.Query{DisplayName: fmt.Sprint("q", i), QueryText: "SELECT 1"})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, q.DisplayName)
	}
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		qs, next, err := m.ListQueries(ctx, admin, 2, token)
		if err != nil || pages > 3 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, q := range qs {
			got = append(got, q.DisplayName)
		}
		if token = next; token == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		size  int
		token string
		want  string
	}{{-1, "", "page_size"}, {1001, "", "page_size"}, {0, "abc", "page_token"}} {
		if _, _, err := m.ListQueries(ctx, admin, tc.size, tc.token); !errors.Is(err, engine.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ListQueries(%d, %q) = %v", tc.size, tc.token, err)
		}
	}
}
