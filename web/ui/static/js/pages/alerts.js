import { api, sql, param } from "../api.js";
import { h, errorBox, simpleTable } from "../dom.js";

// Alerts at /sql/alerts (the list and a form to create one) and
// /sql/alerts/{id} (one alert: query, condition, schedule, state,
// notifications and its history from system.zbemu.alert_events), over
// the Alerts API v2 (/api/2.0/alerts), saved queries (/api/2.0/sql/queries)
// and notification destinations. Everyone sees their own alerts; admins
// see all.

const BASE = "/api/2.0/alerts";
const OPS = { GREATER_THAN: ">", GREATER_THAN_OR_EQUAL: "≥", LESS_THAN: "<", LESS_THAN_OR_EQUAL: "≤", EQUAL: "=", NOT_EQUAL: "≠", IS_NULL: "is NULL", IS_NOT_NULL: "is not NULL" };
const AGGS = ["", "SUM", "COUNT", "COUNT_DISTINCT", "AVG", "MEDIAN", "MIN", "MAX", "STDDEV"];

const sqlString = (s) => "'" + String(s).replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";

export function historyLink(name) {
  return "/sql/editor?q=" + encodeURIComponent(`SELECT * FROM system.zbemu.alert_events WHERE alert_name = ${sqlString(name)} ORDER BY event_time DESC`);
}

// condition says an alert's condition in one line, e.g. "MAX(temp) > 80".
export function condition(ev) {
  const s = ev.source || {};
  if (s.name === "*" && s.aggregation === "COUNT" && ev.comparison_operator === "GREATER_THAN") return "returns rows";
  const src = s.aggregation ? `${s.aggregation}(${s.name})` : s.name;
  const t = ev.threshold || {};
  let right = "";
  if (t.column) right = t.column.name;
  else if (t.value) right = ["double_value", "string_value", "bool_value"].filter((k) => k in t.value).map((k) => JSON.stringify(t.value[k]))[0] || "";
  return `${src} ${OPS[ev.comparison_operator] || ev.comparison_operator} ${right}`.trim();
}

// when shows an API or SQL timestamp as "2026-01-02 10:15:00 UTC".
const when = (ts) => (ts ? String(ts).replace("T", " ").replace(/(\.\d+)?Z?$/, " UTC") : "never");

function badge(state) {
  const st = state || "UNKNOWN";
  return h("span", { class: "badge " + (st === "TRIGGERED" || st === "ERROR" ? "bad" : st === "OK" ? "ok" : "muted"), dataset: { state: st } }, st);
}

async function listAll(path, key) {
  const out = [];
  let token = "";
  do {
    const r = await api("GET", path + (token ? "?page_token=" + encodeURIComponent(token) : ""));
    out.push(...((r && r[key]) || []));
    token = r && r.next_page_token;
  } while (token);
  return out;
}

function notifications(ev, dests) {
  const n = ev.notification;
  if (!n || !(n.subscriptions || []).length) return "none";
  const who = n.subscriptions.map((s) => (s.destination_id ? "webhook " + ((dests[s.destination_id] || {}).display_name || s.destination_id) : s.user_email));
  return who.join(", ") + (n.notify_on_ok ? " (also when OK)" : "");
}

export default async function alerts(root, params) {
  return params[0] ? detail(root, params[0]) : list(root);
}

async function list(root) {
  const listEl = h("section.panel#alert-list", h("p.muted", "Loading…"));
  const formEl = h("section.panel#alert-form");
  root.append(
    h("div.page-head", h("h1", "Alerts"), h("span.sub", "A query, a condition on one of its columns and a schedule: TRIGGERED while the condition holds.")),
    listEl, formEl);
  let dests = {};

  async function load() {
    let as;
    try {
      as = await listAll(BASE, "alerts");
    } catch (e) {
      listEl.replaceChildren(errorBox(e));
      return;
    }
    listEl.replaceChildren(as.length ? simpleTable(["Name", "State", "Condition", "Query", "Schedule", "Last evaluated", "Notifications", ""], as.map((a) => {
      const del = h("button.small.alert-delete", { type: "button", title: "Move " + a.display_name + " to the trash" }, "Delete");
      del.addEventListener("click", async (e) => {
        e.stopPropagation();
        if (!confirm(`Delete alert ${a.display_name}?`)) return;
        try { await api("DELETE", BASE + "/" + encodeURIComponent(a.id)); } catch (err) { listEl.prepend(errorBox(err)); }
        load();
      });
      return [
        h("div", h("a.alert-name", { href: "/sql/alerts/" + encodeURIComponent(a.id), "data-nav": true }, h("strong", a.display_name)),
          h("div", h("a.alert-history", { href: historyLink(a.display_name), "data-nav": true }, "history"))),
        badge(a.evaluation.state), h("code.nowrap", condition(a.evaluation)),
        h("code.clip", { title: a.query_text }, a.query_text), a.schedule.quartz_cron_schedule || "every interval",
        when(a.evaluation.last_evaluated_at), notifications(a.evaluation, dests), del];
    }), { attrs: { id: "alerts-table" } }) : h("p.muted", "No alerts yet."));
    as.forEach((a, i) => Object.assign(listEl.querySelectorAll("#alerts-table tbody tr")[i].dataset, { alert: a.display_name, id: a.id, state: a.evaluation.state || "UNKNOWN" }));
  }

  // The form: pick a saved query or type one, then the condition.
  const f = {
    name: h("input#alert-name", { type: "text", placeholder: "Too hot", required: true }),
    query: h("select#alert-query", h("option", { value: "" }, "— type the SQL below —")),
    sql: h("textarea#alert-sql", { rows: 3, placeholder: "SELECT max(temp) AS hottest FROM main.default.readings", style: "width:100%" }),
    column: h("input#alert-column", { type: "text", placeholder: "hottest", style: "width:120px" }),
    agg: h("select#alert-agg", AGGS.map((a) => h("option", { value: a }, a || "first row"))),
    op: h("select#alert-op", Object.entries(OPS).map(([k, v]) => h("option", { value: k }, v))),
    threshold: h("input#alert-threshold", { type: "text", placeholder: "80", style: "width:90px" }),
    empty: h("select#alert-empty", ["UNKNOWN", "OK", "TRIGGERED"].map((s) => h("option", { value: s }, s))),
    cron: h("input#alert-cron", { type: "text", value: "0 * * * * ?", style: "width:130px", title: "Quartz cron: seconds minutes hours day month weekday" }),
    dest: h("select#alert-dest", h("option", { value: "" }, "nobody")),
    onOK: h("input#alert-notify-ok", { type: "checkbox" }),
  };
  const create = h("button.primary#alert-create", { type: "button" }, "Create");
  const status = h("div.status#alert-status");
  formEl.append(h("h2", "New alert"),
    h("div.row", { style: "align-items:flex-end" }, h("label", "Name", f.name), h("label", "Saved query", f.query)),
    h("label", { style: "display:flex; margin-top:8px" }, "SQL", f.sql),
    h("div.row", { style: "align-items:flex-end; margin-top:8px" }, h("label", "Column", f.column), h("label", "Aggregation", f.agg),
      h("label", "Operator", f.op), h("label", "Threshold", f.threshold), h("label", "Empty result", f.empty),
      h("label", "Schedule (Quartz cron, UTC)", f.cron), h("label", "Notify", f.dest), h("label", { style: "flex-direction:row; align-items:center; gap:6px" }, f.onOK, "also when OK")),
    h("div.row", { style: "margin-top:8px" }, create, status));

  const queries = {};
  f.query.addEventListener("change", () => { if (queries[f.query.value]) f.sql.value = queries[f.query.value].query_text || ""; });
  create.addEventListener("click", async () => {
    status.replaceChildren();
    const op = f.op.value, t = f.threshold.value.trim();
    const ev = { comparison_operator: op, source: { name: f.column.value.trim() }, empty_result_state: f.empty.value };
    if (f.agg.value) ev.source.aggregation = f.agg.value;
    if (!op.startsWith("IS_")) ev.threshold = { value: t !== "" && !isNaN(Number(t)) ? { double_value: Number(t) } : t === "true" || t === "false" ? { bool_value: t === "true" } : { string_value: t } };
    if (f.dest.value) ev.notification = { notify_on_ok: f.onOK.checked, subscriptions: [{ destination_id: f.dest.value }] };
    try {
      const a = await api("POST", BASE, { display_name: f.name.value.trim(), query_text: f.sql.value.trim(), warehouse_id: "zbemu", evaluation: ev,
        schedule: { quartz_cron_schedule: f.cron.value.trim(), timezone_id: "UTC" } });
      f.name.value = "";
      status.textContent = "Created " + a.display_name + ".";
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
    load();
  });

  const [qs, ds] = await Promise.all([listAll("/api/2.0/sql/queries", "results").catch(() => []), listAll("/api/2.0/notification-destinations", "results").catch(() => [])]);
  for (const q of qs) { queries[q.id] = q; f.query.append(h("option", { value: q.id }, q.display_name)); }
  for (const d of ds) { dests[d.id] = d; f.dest.append(h("option", { value: d.id }, d.display_name)); }
  await load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}

async function detail(root, id) {
  const head = h("div.page-head", h("h1", "Alert"));
  const body = h("div#alert-detail", h("p.muted", "Loading…"));
  const hist = h("section.panel#alert-events", h("h2", "History"), h("p.muted", "Loading…"));
  root.append(head, body, hist);
  let dests = {};
  try {
    for (const d of await listAll("/api/2.0/notification-destinations", "results")) dests[d.id] = d;
  } catch { dests = {}; }

  async function load() {
    let a;
    try {
      a = await api("GET", BASE + "/" + encodeURIComponent(id));
    } catch (e) {
      body.replaceChildren(errorBox(e));
      hist.hidden = true;
      return;
    }
    const ev = a.evaluation, s = a.schedule;
    head.replaceChildren(h("h1", a.display_name), badge(ev.state),
      h("span.sub", a.lifecycle_state === "ACTIVE" ? "" : "in the trash"), h("a", { href: "/sql/alerts", "data-nav": true }, "All alerts"));
    body.replaceChildren(h("div.grid2",
      h("section.panel", h("h2", "Condition"), h("dl.kv",
        h("dt", "Triggers when"), h("dd", h("code#alert-condition", condition(ev))),
        h("dt", "Empty result"), h("dd", ev.empty_result_state || "UNKNOWN"),
        h("dt", "State"), h("dd", badge(ev.state)),
        h("dt", "Last evaluated"), h("dd#alert-last", when(ev.last_evaluated_at)),
        h("dt", "Schedule"), h("dd", h("code", s.quartz_cron_schedule || "every interval"), s.timezone_id || "UTC", s.pause_status === "PAUSED" ? "paused" : ""),
        h("dt", "Notifications"), h("dd#alert-notifications", notifications(ev, dests)),
        h("dt", "Owner"), h("dd", a.owner_user_name || ""),
        h("dt", "Runs as"), h("dd", (a.effective_run_as || {}).service_principal_name || ""))),
      h("section.panel", h("h2", "Query"), h("pre.snippet#alert-query-text", a.query_text),
        h("a", { href: "/sql/editor?q=" + encodeURIComponent(a.query_text), "data-nav": true }, "Open in the SQL editor"))));
    try {
      const r = await sql("SELECT event_time, state, message, webhook_status FROM system.zbemu.alert_events WHERE alert_name = :name ORDER BY event_time DESC LIMIT 50", [param("name", a.display_name)]);
      hist.replaceChildren(h("h2", "History"), r.rows.length ? simpleTable(["Time", "State", "Message", "Webhook"], r.rows.map((x) => [when(x[0]), badge(x[1]), x[2], x[3]]), { attrs: { id: "alert-events-table" } })
        : h("p.muted", "No change of state yet."), h("a.alert-history", { href: historyLink(a.display_name), "data-nav": true }, "Query the history"));
    } catch (e) {
      hist.replaceChildren(h("h2", "History"), errorBox(e));
    }
  }
  await load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}
