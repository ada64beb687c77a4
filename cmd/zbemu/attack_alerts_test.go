package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Attacks on SQL alerts, saved queries and notification destinations
// (issue 13): an alert or query is its owner's (and the admins'), an
// alert's query runs with its run-as principal's Unity Catalog privileges
// (checked at creation and at every evaluation), destinations are admins'
// and never show their webhook, and malformed input is refused naming the
// field without changing what was stored.

const (
	alertsPath  = "/api/2.0/alerts"
	queriesPath = "/api/2.0/sql/queries"
	destsPath   = "/api/2.0/notification-destinations"
)

// secretAlert is an alert body over main.default.secret (seedSecret).
func secretAlert(name string) map[string]any {
	return map[string]any{"display_name": name, "warehouse_id": "w",
		"query_text": "SELECT count(*) AS n, max(note) AS note FROM main.default.secret",
		"evaluation": map[string]any{"comparison_operator": "GREATER_THAN", "source": map[string]any{"name": "n"},
			"threshold": map[string]any{"value": map[string]any{"double_value": 0}}},
		"schedule": map[string]any{"quartz_cron_schedule": "* * * * * ?", "timezone_id": "UTC"}}
}

// create POSTs body and returns the id of what was created.
func (s *server) create(path, token string, body any) string {
	s.t.Helper()
	code, resp := s.call("POST", path, token, body)
	var out struct{ ID string }
	if code != 200 || json.Unmarshal(resp, &out) != nil || out.ID == "" {
		s.t.Fatalf("POST %s: HTTP %d %s", path, code, resp)
	}
	return out.ID
}

// TestAttackAlertsAuthorization: a principal without grants can neither
// read nor change another's alerts and queries, nor see them listed, nor
// create an alert over a table it cannot SELECT, nor run one as someone
// else; a table-scoped token reaches nothing; an alert whose owner loses
// SELECT goes ERROR instead of reading on.
func TestAttackAlertsAuthorization(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	seedSecret(s)
	alertID := s.create(alertsPath, devToken, secretAlert("admin's"))
	queryID := s.create(queriesPath, devToken, map[string]any{"query": map[string]any{"display_name": "secret", "query_text": "SELECT * FROM main.default.secret"}})
	noneID, noneSecret := s.newPrincipal("alerts-none")
	none := s.workspaceToken(noneID, noneSecret)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", alertsPath + "/" + alertID, nil},
		{"PATCH", alertsPath + "/" + alertID + "?update_mask=display_name", map[string]any{"display_name": "mine"}},
		{"DELETE", alertsPath + "/" + alertID, nil},
		{"GET", queriesPath + "/" + queryID, nil},
		{"PATCH", queriesPath + "/" + queryID, map[string]any{"update_mask": "query_text", "query": map[string]any{"query_text": "SELECT 1"}}},
		{"DELETE", queriesPath + "/" + queryID, nil},
		{"POST", alertsPath, secretAlert("mine")}, // no SELECT on the table
		{"POST", alertsPath, func() map[string]any { // run as the admin
			a := secretAlert("as admin")
			a["query_text"] = "SELECT 1 AS n"
			a["run_as"] = map[string]any{"service_principal_name": "zbemu-dev"}
			return a
		}()},
		{"POST", destsPath, map[string]any{"display_name": "x", "config": map[string]any{"generic_webhook": map[string]any{"url": "http://127.0.0.1:9/"}}}},
		{"GET", "/zbemu/v1/alerts", nil},
	} {
		code, body := s.call(c.method, c.path, none, c.body)
		if code != 403 || strings.Contains(string(body), "classified") || strings.Contains(string(body), "top secret") {
			t.Errorf("%s %s without grants: HTTP %d %s, want 403", c.method, c.path, code, body)
		}
	}
	for _, path := range []string{alertsPath, queriesPath} {
		if code, body := s.call("GET", path, none, nil); code != 200 || strings.Contains(string(body), "secret") || strings.Contains(string(body), "admin's") {
			t.Errorf("GET %s without grants: HTTP %d %s, want 200 and nothing of the admin's", path, code, body)
		}
	}
	// Nothing changed.
	if code, body := s.call("GET", alertsPath+"/"+alertID, devToken, nil); code != 200 || !strings.Contains(string(body), `"display_name":"admin's"`) || !strings.Contains(string(body), `"ACTIVE"`) {
		t.Errorf("the admin's alert after the attempts: HTTP %d %s", code, body)
	}

	// A principal with SELECT makes its own alert, which runs as itself:
	// once SELECT is revoked, it goes ERROR and reads nothing more.
	for _, g := range []string{"USE CATALOG ON CATALOG main", "USE SCHEMA ON SCHEMA main.default", "SELECT ON TABLE main.default.secret"} {
		s.sql(fmt.Sprintf("GRANT %s TO `%s`", g, noneID))
	}
	own := s.create(alertsPath, none, secretAlert("reader-alert"))
	waitAlertState(t, s, none, own, "TRIGGERED")
	s.sql(fmt.Sprintf("REVOKE SELECT ON TABLE main.default.secret FROM `%s`", noneID))
	if body := waitAlertState(t, s, none, own, "ERROR"); !strings.Contains(body, `"effective_run_as":{"service_principal_name":"`+noneID+`"}`) {
		t.Errorf("the reader's alert: %s", body)
	}
	var rows [][]*string
	for deadline := time.Now().Add(30 * time.Second); len(rows) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		rows = s.sql("SELECT message FROM system.zbemu.alert_events WHERE alert_name = 'reader-alert' AND state = 'ERROR'")
	}
	if len(rows) == 0 || !strings.Contains(*rows[0][0], "lacks SELECT on TABLE main.default.secret") {
		t.Errorf("the ERROR event does not say what privilege is missing: %d rows", len(rows))
	}

	// A token scoped to a table reaches no alert, query or destination.
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.secret TO `%s`", noneID))
	scoped := s.scopedToken(noneID, noneSecret, "main.default.secret")
	for _, path := range []string{alertsPath, queriesPath, destsPath, alertsPath + "/" + own} {
		if code, body := s.call("GET", path, scoped, nil); code != 403 || !strings.Contains(string(body), "scoped to tables") {
			t.Errorf("GET %s with a scoped token: HTTP %d %s", path, code, body)
		}
	}
	if code, _ := s.call("GET", alertsPath, "", nil); code != 401 {
		t.Errorf("list without a token: HTTP %d", code)
	}
}

// waitAlertState polls an alert until its state is want and returns its JSON.
func waitAlertState(t *testing.T, s *server, token, id, want string) string {
	t.Helper()
	var body []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, body = s.call("GET", alertsPath+"/"+id, token, nil)
		if strings.Contains(string(body), `"state":"`+want+`"`) {
			return string(body)
		}
	}
	t.Fatalf("alert %s never became %s: %s", id, want, body)
	return ""
}

// TestAttackAlertsBadInput: malformed alerts, queries and destinations are
// refused with 400 (413 when too large) naming the field, the expected
// type or values and what was received, and store nothing.
func TestAttackAlertsBadInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	seedSecret(s)
	with := func(mut func(a map[string]any)) map[string]any {
		a := secretAlert("bad")
		mut(a)
		return a
	}
	eval := func(a map[string]any) map[string]any { return a["evaluation"].(map[string]any) }
	huge := strings.Repeat("x", 300<<10)
	subs := make([]any, 101)
	for i := range subs {
		subs[i] = map[string]any{"user_email": "a@b.c"}
	}
	tests := []struct {
		name, method, path string
		body               any
		code               int
		want               []string
	}{
		{"not JSON", "POST", alertsPath, "{", 400, []string{"malformed JSON"}},
		{"empty", "POST", alertsPath, "", 400, []string{"request body is empty"}},
		{"operator type", "POST", alertsPath, with(func(a map[string]any) { eval(a)["comparison_operator"] = 5 }), 400, []string{"comparison_operator", "number", "string"}},
		{"operator value", "POST", alertsPath, with(func(a map[string]any) { eval(a)["comparison_operator"] = "ABOVE" }), 400, []string{"evaluation.comparison_operator", "GREATER_THAN", `"ABOVE"`}},
		{"no threshold", "POST", alertsPath, with(func(a map[string]any) { delete(eval(a), "threshold") }), 400, []string{"evaluation.threshold", "exactly one"}},
		{"two values", "POST", alertsPath, with(func(a map[string]any) {
			eval(a)["threshold"] = map[string]any{"value": map[string]any{"double_value": 1, "string_value": "x"}}
		}), 400, []string{"evaluation.threshold.value", "got 2"}},
		{"unknown column", "POST", alertsPath, with(func(a map[string]any) { eval(a)["source"] = map[string]any{"name": "temp"} }), 400, []string{"evaluation.source.name", `"temp"`, "n, note"}},
		{"aggregation", "POST", alertsPath, with(func(a map[string]any) { eval(a)["source"] = map[string]any{"name": "n", "aggregation": "P99"} }), 400, []string{"evaluation.source.aggregation", `"P99"`}},
		{"empty state", "POST", alertsPath, with(func(a map[string]any) { eval(a)["empty_result_state"] = "RED" }), 400, []string{"empty_result_state", `"RED"`}},
		{"cron", "POST", alertsPath, with(func(a map[string]any) { a["schedule"] = map[string]any{"quartz_cron_schedule": "*/5 * * * *"} }), 400, []string{"schedule.quartz_cron_schedule", "6 or 7"}},
		{"time zone", "POST", alertsPath, with(func(a map[string]any) {
			a["schedule"] = map[string]any{"quartz_cron_schedule": "0 * * * * ?", "timezone_id": "Mars/Olympus"}
		}), 400, []string{"schedule.timezone_id", "Mars/Olympus"}},
		{"no name", "POST", alertsPath, with(func(a map[string]any) { a["display_name"] = " " }), 400, []string{"display_name is required"}},
		{"failing query", "POST", alertsPath, with(func(a map[string]any) { a["query_text"] = "SELECT * FROM nowhere" }), 400, []string{"query_text fails"}},
		{"huge query", "POST", alertsPath, with(func(a map[string]any) { a["query_text"] = huge }), 400, []string{"query_text is 307200 bytes", "262144"}},
		{"huge body", "POST", alertsPath, with(func(a map[string]any) { a["query_text"] = huge + huge + huge }), 413, []string{"larger than"}},
		{"subscriptions", "POST", alertsPath, with(func(a map[string]any) { eval(a)["notification"] = map[string]any{"subscriptions": subs} }), 400, []string{"subscriptions has 101", "100"}},
		{"unknown destination", "POST", alertsPath, with(func(a map[string]any) {
			eval(a)["notification"] = map[string]any{"subscriptions": []any{map[string]any{"destination_id": "nope"}}}
		}), 400, []string{"destination_id", `"nope"`}},
		{"page size", "GET", alertsPath + "?page_size=many", nil, 400, []string{"page_size must be an integer", `"many"`}},
		{"page token", "GET", alertsPath + "?page_token=zz", nil, 400, []string{"page_token"}},
		{"no query object", "POST", queriesPath, map[string]any{"query_text": "SELECT 1"}, 400, []string{"query is required"}},
		{"run_as_mode", "POST", queriesPath, map[string]any{"query": map[string]any{"run_as_mode": "ROOT"}}, 400, []string{"run_as_mode", `"ROOT"`}},
		{"tags type", "POST", queriesPath, map[string]any{"query": map[string]any{"tags": "a,b"}}, 400, []string{"tags", "string"}},
		{"missing query", "PATCH", queriesPath + "/x", map[string]any{"query": map[string]any{}}, 404, []string{`query "x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := s.call(tc.method, tc.path, devToken, tc.body)
			var e struct{ Message string }
			json.Unmarshal(body, &e)
			if code != tc.code {
				t.Errorf("HTTP %d %s, want %d", code, body, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("%q does not mention %s", e.Message, w)
				}
			}
		})
	}
	for _, path := range []string{alertsPath, queriesPath} {
		if code, body := s.call("GET", path, devToken, nil); code != 200 || strings.Contains(string(body), `"id"`) {
			t.Errorf("GET %s after the bad input: HTTP %d %s, want nothing stored", path, code, body)
		}
	}
	// An update with a bad field changes nothing.
	id := s.create(alertsPath, devToken, secretAlert("good"))
	code, body := s.call("PATCH", alertsPath+"/"+id+"?update_mask=display_name,evaluation.comparison_operator",
		devToken, with(func(a map[string]any) { a["display_name"] = "renamed"; eval(a)["comparison_operator"] = "ABOVE" }))
	if code != 400 || !strings.Contains(string(body), "comparison_operator") {
		t.Errorf("bad update: HTTP %d %s", code, body)
	}
	if code, body := s.call("PATCH", alertsPath+"/"+id+"?update_mask=owner_user_name", devToken, map[string]any{"owner_user_name": "x"}); code != 400 || !strings.Contains(string(body), `owner_user_name`) {
		t.Errorf("update of the owner: HTTP %d %s", code, body)
	}
	if _, body := s.call("GET", alertsPath+"/"+id, devToken, nil); !strings.Contains(string(body), `"display_name":"good"`) || !strings.Contains(string(body), `"GREATER_THAN"`) {
		t.Errorf("after the refused updates: %s", body)
	}
}

// TestAttackAlertsWebhookURL: a webhook must be an absolute http(s) URL
// without credentials and of bounded length, through the destinations API
// and the zbemu alert API alike; reads never show a stored URL.
func TestAttackAlertsWebhookURL(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	for _, u := range []string{"file:///etc/passwd", "gopher://127.0.0.1:70/", "javascript:alert(1)", "http://", "/relative/hook",
		"http://user:pw@127.0.0.1/hook", "http://127.0.0.1/" + strings.Repeat("a", 3000), "http://[::1"} {
		body := map[string]any{"display_name": "hook", "config": map[string]any{"generic_webhook": map[string]any{"url": u}}}
		if code, resp := s.call("POST", destsPath, devToken, body); code != 400 || !strings.Contains(string(resp), "config.generic_webhook.url") {
			t.Errorf("destination %.60q: HTTP %d %s", u, code, resp)
		}
		if code, resp := s.call("POST", "/zbemu/v1/alerts", devToken, map[string]any{"name": "x", "sql": "SELECT 1", "webhook_url": u}); code != 400 || !strings.Contains(string(resp), "webhook") {
			t.Errorf("rule webhook %.60q: HTTP %d %s", u, code, resp)
		}
	}
	for _, body := range []map[string]any{
		{"display_name": "mail", "config": map[string]any{"email": map[string]any{"addresses": []string{"a@b.c"}}}},
		{"display_name": "", "config": map[string]any{"generic_webhook": map[string]any{"url": "http://127.0.0.1/"}}},
	} {
		if code, resp := s.call("POST", destsPath, devToken, body); code != 400 {
			t.Errorf("destination %v: HTTP %d %s", body, code, resp)
		}
	}
	id := s.create(destsPath, devToken, map[string]any{"display_name": "ok", "config": map[string]any{"generic_webhook": map[string]any{
		"url": "http://127.0.0.1:9/secret-path", "password": "hunter2"}}})
	for _, path := range []string{destsPath, destsPath + "/" + id} {
		if code, body := s.call("GET", path, devToken, nil); code != 200 || strings.Contains(string(body), "secret-path") || strings.Contains(string(body), "hunter2") {
			t.Errorf("GET %s shows the webhook's secrets: HTTP %d %s", path, code, body)
		}
	}
	if code, body := s.call("GET", destsPath+"/"+id, devToken, nil); code != 200 || !strings.Contains(string(body), `"url_set":true`) || !strings.Contains(string(body), `"password_set":true`) {
		t.Errorf("GET destination: HTTP %d %s", code, body)
	}
}
