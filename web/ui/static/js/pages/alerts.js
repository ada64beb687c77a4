import { api } from "../api.js";
import { h, errorBox } from "../dom.js";

// Alerts at /sql/alerts (and /sql/alerts/{name}, the same list with that
// alert marked): zbemu's alert rules over GET/POST/DELETE /zbemu/v1/alerts
// (admin only), their state and last evaluation, and their history as a
// query of system.zbemu.alert_events in the SQL editor.

const BASE = "/zbemu/v1/alerts";

const sqlString = (s) => "'" + String(s).replaceAll("'", "''") + "'";

export function historyLink(name) {
  return "/sql/editor?q=" + encodeURIComponent(`SELECT * FROM system.zbemu.alert_events WHERE alert_name = ${sqlString(name)} ORDER BY event_time DESC`);
}

export default async function alerts(root, params) {
  const marked = params[0];
  const form = {
    name: h("input#alert-name", { type: "text", placeholder: "hot_devices", required: true }),
    sql: h("textarea#alert-sql", { rows: 3, placeholder: "SELECT device_id FROM main.default.events WHERE temp > 80", style: "width:100%" }),
    every: h("input#alert-every", { type: "text", value: "30s", style: "width:80px" }),
    webhook: h("input#alert-webhook", { type: "text", placeholder: "http://localhost:9000/hook (optional)", style: "width:280px" }),
  };
  const create = h("button.primary#alert-create", { type: "button" }, "Create");
  const status = h("div.status#alert-status");
  const listEl = h("section.panel#alert-list", h("p.muted", "Loading…"));
  root.append(
    h("div.page-head", h("h1", "Alerts"), h("span.sub", "An alert is TRIGGERED while its query returns rows, OK when it returns none.")),
    listEl,
    h("section.panel#alert-form", h("h2", "New alert"),
      h("div.row", { style: "align-items:flex-end" }, h("label", "Name", form.name), h("label", "Every", form.every), h("label", "Webhook URL", form.webhook)),
      h("label", { style: "display:flex; margin-top:8px" }, "SQL (the alert triggers when it returns rows)", form.sql),
      h("div.row", { style: "margin-top:8px" }, create, status)));

  async function load() {
    let r;
    try {
      r = await api("GET", BASE);
    } catch (e) {
      listEl.replaceChildren(e.code === "PERMISSION_DENIED"
        ? h("div#alerts-denied", h("h2", "Alerts need an admin"), h("p.muted", "Only an admin principal may list and manage alerts (" + e.message + "). Sign in with an admin token, e.g. the dev principal's."))
        : errorBox(e));
      root.querySelector("#alert-form").hidden = e.code === "PERMISSION_DENIED" || e.code === "NOT_IMPLEMENTED";
      return;
    }
    const as = (r && r.alerts) || [];
    listEl.replaceChildren(as.length ? h("table.simple#alerts-table",
      h("thead", h("tr", h("th", "Name"), h("th", "State"), h("th", "Every"), h("th", "Last evaluation"), h("th", "Last error"), h("th", "SQL"), h("th", ""))),
      h("tbody", as.map((a) => {
        const del = h("button.small.alert-delete", { type: "button", title: "Delete " + a.name }, "Delete");
        del.addEventListener("click", async () => {
          if (!confirm(`Delete alert ${a.name}?`)) return;
          try { await api("DELETE", BASE + "/" + encodeURIComponent(a.name)); } catch (e) { status.replaceChildren(errorBox(e)); }
          load();
        });
        const st = a.state || "UNKNOWN";
        return h("tr", { class: a.name === marked ? "selected" : null, dataset: { alert: a.name, state: st } },
          h("td", h("strong", a.name), h("div", h("a.alert-history", { href: historyLink(a.name), "data-nav": true }, "history"))),
          h("td", h("span", { class: "badge " + (st === "TRIGGERED" || st === "ERROR" ? "bad" : st === "OK" ? "ok" : "muted") }, st)),
          h("td", a.every || ""), h("td", a.last_evaluated || "never"),
          h("td", a.last_error ? h("span.bad", a.last_error) : "—"),
          h("td", h("code", { style: "white-space:pre-wrap" }, a.sql)), h("td", del));
      })))
      : h("p.muted", "No alerts yet."));
  }

  create.addEventListener("click", async () => {
    status.replaceChildren();
    try {
      await api("POST", BASE, { name: form.name.value.trim(), sql: form.sql.value.trim(), every: form.every.value.trim(), webhook_url: form.webhook.value.trim() });
      form.name.value = "";
      form.sql.value = "";
      status.textContent = "Created.";
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
    load();
  });
  await load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}
