import { api } from "../api.js";
import { h, errorBox, simpleTable, fmt } from "../dom.js";

// Pipelines at /pipelines (list) and /pipelines/{id}: state, latest
// updates, the dataset graph (from the flow_definition events of the event
// log), rows and expectations per dataset (the update's zbemu_flows),
// start / full refresh / stop, and the event log — all through the
// Pipelines API (https://docs.databricks.com/api/workspace/pipelines).

const BASE = "/api/2.0/pipelines";
const POLL_MS = 2000; // while an update runs
const ACTIVE = new Set(["QUEUED", "CREATED", "WAITING_FOR_RESOURCES", "INITIALIZING", "RESETTING", "SETTING_UP_TABLES", "RUNNING", "STOPPING"]);
const SVG = "http://www.w3.org/2000/svg";
const KIND = { STREAMING_TABLE: "streaming table", MATERIALIZED_VIEW: "materialized view", VIEW: "view" };

export default function pipelines(root, params) {
  return params[0] ? pipelinePage(root, params[0]) : list(root);
}

function stateBadge(state) {
  const cls = state === "COMPLETED" || state === "IDLE" || state === "RUNNING" ? "ok" : state === "FAILED" ? "bad" : "muted";
  return h("span.badge", { class: "badge " + cls, dataset: { state } }, state || "—");
}

async function list(root) {
  const body = h("div#pipeline-list", h("p.muted", "Loading…"));
  root.append(h("div.page-head", h("h1", "Pipelines"), h("span.sub", "Lakeflow Declarative Pipelines run by zbemu.")), h("section.panel", body));
  try {
    const r = await api("GET", BASE + "?max_results=100");
    const ps = (r && r.statuses) || [];
    body.replaceChildren(ps.length ? h("table.simple#pipelines-table",
      h("thead", h("tr", h("th", "Name"), h("th", "State"), h("th", "Latest update"), h("th", "Owner"))),
      h("tbody", ps.map((p) => h("tr",
        h("td", h("a", { href: "/pipelines/" + encodeURIComponent(p.pipeline_id), "data-nav": true }, p.name || p.pipeline_id)),
        h("td", stateBadge(p.state)),
        h("td", p.latest_updates && p.latest_updates[0] ? [stateBadge(p.latest_updates[0].state), " ", p.latest_updates[0].creation_time] : "—"),
        h("td", p.creator_user_name || "")))))
      : h("p.muted", "No pipelines yet. Create one with `zbemu pipeline run file.sql` or POST /api/2.0/pipelines."));
  } catch (e) {
    body.replaceChildren(e.code === "NOT_IMPLEMENTED" ? h("p.muted", "Pipelines are not available on this server.") : errorBox(e));
  }
}

async function pipelinePage(root, id) {
  const path = BASE + "/" + encodeURIComponent(id);
  const head = h("div.page-head", h("h1", "Pipeline"), h("span.sub", id));
  const msg = h("div.status#pipeline-status");
  const start = h("button.primary#pl-start", { type: "button" }, "Start");
  const full = h("button#pl-full-refresh", { type: "button" }, "Full refresh");
  const stop = h("button#pl-stop", { type: "button" }, "Stop");
  const updates = h("section.panel#updates", h("h2", "Updates"));
  const graph = h("section.panel#graph", h("h2", "Datasets"));
  const datasets = h("section.panel#datasets", h("h2", "Rows and expectations"));
  const events = h("section.panel#events", h("h2", "Event log"));
  root.append(head, h("div.row", { style: "margin-bottom:12px" }, start, full, stop, msg), graph, datasets, updates, events);
  let timer = null, gone = false;

  const act = async (what, fn) => {
    msg.textContent = what + "…";
    msg.className = "status";
    try { await fn(); msg.textContent = ""; } catch (e) { msg.textContent = (e.code ? e.code + ": " : "") + e.message; msg.className = "status bad"; }
    refresh();
  };
  start.addEventListener("click", () => act("Starting", () => api("POST", path + "/updates", { cause: "USER_ACTION" })));
  full.addEventListener("click", () => act("Starting a full refresh", () => api("POST", path + "/updates", { full_refresh: true, cause: "USER_ACTION" })));
  stop.addEventListener("click", () => act("Stopping", () => api("POST", path + "/stop", {})));

  async function refresh() {
    clearTimeout(timer);
    let p, ev, upd = null;
    try {
      [p, ev] = await Promise.all([api("GET", path), api("GET", path + "/events?max_results=250")]);
      const latest = p.latest_updates && p.latest_updates[0];
      if (latest) upd = (await api("GET", path + "/updates/" + encodeURIComponent(latest.update_id))).update;
    } catch (e) {
      if (!gone) root.replaceChildren(head, errorBox(e));
      return;
    }
    if (gone) return;
    const running = p.latest_updates.some((u) => ACTIVE.has(u.state));
    head.replaceChildren(h("h1", p.name), stateBadge(p.state), h("span.sub", p.pipeline_id),
      p.spec && p.spec.catalog ? h("span.sub", "→ " + p.spec.catalog + "." + (p.spec.schema || p.spec.target || "")) : null);
    start.disabled = full.disabled = running;
    stop.disabled = !running;
    const evs = (ev && ev.events) || [];
    updates.replaceChildren(h("h2", "Updates"), simpleTable(["Update", "State", "Started"],
      p.latest_updates.map((u) => [h("code", u.update_id), stateBadge(u.state), u.creation_time]), { attrs: { id: "updates-table" } }),
      upd && upd.zbemu_error ? errorBox({ message: upd.zbemu_error }) : "");
    graph.replaceChildren(h("h2", "Datasets"), drawGraph(evs, upd));
    datasets.replaceChildren(h("h2", "Rows and expectations" + (upd ? " (latest update)" : "")), flowsTable(upd));
    events.replaceChildren(h("h2", "Event log"), h("div.scroll", { style: "max-height:360px" }, simpleTable(["Time", "Level", "Type", "Dataset", "Message"],
      evs.map((e) => [e.timestamp, h("span", { class: e.level === "ERROR" ? "bad" : e.level === "WARN" ? "muted" : null }, e.level), e.event_type,
        (e.origin && (e.origin.dataset_name || e.origin.flow_name)) || "", e.message]), { attrs: { id: "events-table" } })));
    if (running) timer = setTimeout(refresh, POLL_MS);
  }
  await refresh();
  return () => { gone = true; clearTimeout(timer); };
}

// flowsTable lists each dataset's flow of an update with its rows and its
// expectations as passed/failed bars.
function flowsTable(upd) {
  const flows = (upd && upd.zbemu_flows) || [];
  if (!flows.length) return h("p.muted", "No update has run yet.");
  return h("table.simple#flows-table", h("thead", h("tr", h("th", "Dataset"), h("th", "Status"), h("th.num", "Rows in"), h("th.num", "Written"), h("th", "Expectations"))),
    h("tbody", flows.map((f) => h("tr", { dataset: { dataset: f.dataset } },
      h("td", h("code", f.dataset), h("div.muted", f.kind)), h("td", stateBadge(f.status)),
      h("td.num", fmt.num(f.rows_in)), h("td.num", fmt.num(f.rows_written)),
      h("td", (f.expectations || []).map(expectationBar))))));
}

function expectationBar(e) {
  const total = e.passed_records + e.failed_records;
  const pct = total ? (100 * e.passed_records) / total : 100;
  return h("div.expectation", { dataset: { name: e.name, passed: e.passed_records, failed: e.failed_records }, title: `${e.name} (${e.action}): ${e.passed_records} passed, ${e.failed_records} failed` },
    h("div.exp-label", h("span", e.name), h("span.muted", `${fmt.num(e.passed_records)} passed · ${fmt.num(e.failed_records)} failed · ${e.action}`)),
    h("div.exp-bar", h("div.exp-pass", { style: `width:${pct}%` }), h("div.exp-fail", { style: `width:${100 - pct}%` })));
}

// drawGraph lays the datasets out left to right by depth (a source is
// depth 0, a dataset one more than its deepest input) as an SVG.
function drawGraph(evs, upd) {
  const inputs = new Map(); // dataset → its inputs
  for (const e of evs) {
    if (e.event_type !== "flow_definition") continue;
    const d = e.details && e.details.flow_definition;
    const name = e.origin && (e.origin.dataset_name || e.origin.flow_name);
    if (d && name && !inputs.has(name)) inputs.set(name, d.input_datasets || []);
  }
  if (!inputs.size) return h("p.muted", "The graph appears once an update has defined the flows.");
  // Flows name datasets in full (catalog.schema.name), events by name.
  const rows = new Map(((upd && upd.zbemu_flows) || []).map((f) => [f.dataset.split(".").pop(), f]));
  const depth = new Map();
  const depthOf = (n, seen = new Set()) => {
    if (depth.has(n)) return depth.get(n);
    if (seen.has(n)) return 0;
    seen.add(n);
    const ins = inputs.get(n) || [];
    const d = ins.length ? 1 + Math.max(...ins.map((i) => depthOf(i, seen))) : 0;
    depth.set(n, d);
    return d;
  };
  const nodes = new Set(inputs.keys());
  for (const ins of inputs.values()) for (const i of ins) nodes.add(i);
  for (const n of nodes) depthOf(n);
  const cols = [];
  for (const n of nodes) (cols[depth.get(n)] = cols[depth.get(n)] || []).push(n);
  const W = 190, H = 46, GX = 70, GY = 18;
  const pos = new Map();
  cols.forEach((c, x) => c.sort().forEach((n, y) => pos.set(n, { x: 10 + x * (W + GX), y: 10 + y * (H + GY) })));
  const width = 20 + cols.length * (W + GX) - GX;
  const height = 20 + Math.max(...cols.map((c) => c.length)) * (H + GY) - GY;
  const svg = document.createElementNS(SVG, "svg");
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  };
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("id", "dataset-graph");
  for (const [n, ins] of inputs) for (const i of ins) {
    const a = pos.get(i), b = pos.get(n);
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    svg.append(el("path", { class: "edge", d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}` }));
  }
  for (const [n, p] of pos) {
    const f = rows.get(n);
    const g = el("g", { class: "node" + (inputs.has(n) ? "" : " source") + (f && f.status === "FAILED" ? " failed" : ""), "data-dataset": n, transform: `translate(${p.x},${p.y})` });
    g.append(el("rect", { width: W, height: H, rx: 6 }), el("title", {}, n),
      el("text", { x: 10, y: 19, class: "name" }, n.length > 23 ? n.slice(0, 22) + "…" : n),
      el("text", { x: 10, y: 36, class: "sub" }, f ? `${fmt.num(f.rows_written)} ${f.rows_written === 1 ? "row" : "rows"} · ${KIND[f.kind] || f.kind}` : inputs.has(n) ? "" : "source"));
    svg.append(g);
  }
  return h("div.scroll", svg);
}
