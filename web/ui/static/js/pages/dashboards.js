import { api } from "../api.js";
import { h, errorBox, navigate } from "../dom.js";
import { grid } from "../grid.js";
import { visualize } from "../chart.js";

// Lakeview dashboards at /sql/dashboardsv3 (list and import) and
// /sql/dashboardsv3/{id} (one dashboard). The page reads the dashboard's
// serialized_dashboard itself for the layout (pages, 6-column grid,
// widget specs) and asks POST /zbemu/v1/lakeview/dashboards/{id}/query
// for every widget's rows, so the SQL a widget runs is the server's
// (https://docs.databricks.com/api/workspace/lakeview).

const BASE = "/api/2.0/lakeview/dashboards";
const ROW_PX = 64; // height of one grid row
const REFRESH = [0, 10, 30, 60, 300]; // seconds; 0 is off

export default function dashboards(root, params) {
  return params[0] ? dashboard(root, params[0]) : list(root);
}

async function list(root) {
  const file = h("input#import-file", { type: "file", accept: ".json,application/json", "aria-label": "Dashboard file (.lvdash.json)" });
  const name = h("input#import-name", { type: "text", placeholder: "display name (default: the file's name)", style: "width:260px" });
  const status = h("div#import-status.status");
  const body = h("div#dashboard-list", h("p.muted", "Loading…"));
  root.append(
    h("div.page-head", h("h1", "Dashboards"), h("span.sub", "Lakeview dashboards: import a .lvdash.json exported from a Databricks workspace.")),
    h("section.panel", h("h2", "Import a dashboard"), h("div.row", file, name), status),
    h("section.panel", body));
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    status.replaceChildren("Importing " + f.name + "…");
    try {
      const text = await f.text();
      const d = await api("POST", BASE, { display_name: name.value.trim() || f.name.replace(/\.lvdash\.json$|\.json$/i, ""), serialized_dashboard: text });
      navigate("/sql/dashboardsv3/" + encodeURIComponent(d.dashboard_id));
    } catch (e) {
      status.replaceChildren(errorBox(e));
      file.value = "";
    }
  });
  try {
    const r = await api("GET", BASE + "?page_size=1000");
    const ds = (r && r.dashboards) || [];
    body.replaceChildren(ds.length ? h("table.simple#dashboards-table",
      h("thead", h("tr", h("th", "Name"), h("th", "Created"), h("th", "ID"))),
      h("tbody", ds.map((d) => h("tr",
        h("td", h("a", { href: "/sql/dashboardsv3/" + encodeURIComponent(d.dashboard_id), "data-nav": true }, d.display_name || d.dashboard_id)),
        h("td", d.create_time || ""), h("td.mono", d.dashboard_id)))))
      : h("p.muted", "No dashboards yet."));
  } catch (e) {
    body.replaceChildren(errorBox(e));
  }
}

// GLOBAL_FILTERS is the pageType (as exported files spell it) of the page
// whose filter widgets apply to every page: Lakeview shows them beside the
// canvas, not as a tab, and each binds the fields and parameters of every
// dataset its queries name, on whichever page that dataset is drawn.
const GLOBAL_FILTERS = "PAGE_TYPE_GLOBAL_FILTERS";

async function dashboard(root, id) {
  const head = h("div.page-head", h("h1", "Dashboard"), h("span.sub", id));
  root.append(head);
  let d, file;
  try {
    d = await api("GET", BASE + "/" + encodeURIComponent(id));
    file = JSON.parse(d.serialized_dashboard || "{}");
  } catch (e) {
    root.append(errorBox(e));
    return;
  }
  const pages = (file.pages || []).filter((p) => p.pageType !== GLOBAL_FILTERS);
  const globalPage = (file.pages || []).find((p) => p.pageType === GLOBAL_FILTERS && (p.layout || []).length);
  const tabs = h("div.tabs#dashboard-pages");
  const canvas = h("div#dashboard-canvas");
  const every = h("select#refresh-every", { "aria-label": "Refresh every" },
    REFRESH.map((s) => h("option", { value: s }, s ? "every " + (s < 60 ? s + " s" : s / 60 + " min") : "off")));
  const refreshBtn = h("button#refresh", { type: "button" }, "Refresh");
  head.replaceChildren(h("h1", d.display_name), h("span.sub", d.path || ""), h("span.spacer"),
    h("label", "Auto refresh", every), refreshBtn);
  // board is what the pages of one dashboard share: the filter selections
  // (page-qualified, so a page's own filters stay on that page) and the
  // rendered views, which re-query when a filter they see changes.
  const board = { id, file, global: globalPage ? globalPage.name : null, selections: new Map(), views: new Set() };
  const bar = globalPage ? h("section.lv-global#global-filters", { "aria-label": "Filters on every page" },
    h("div.lv-global-title", globalPage.displayName || "Filters")) : null;
  root.append(tabs, ...(bar ? [bar] : []), canvas);
  const globals = globalPage ? renderPage(bar, board, globalPage, true) : null;

  let current = null; // the rendered page: {refresh(), dispose()}
  let timer = null;
  const show = (i) => {
    if (current) current.dispose();
    tabs.replaceChildren(...pages.map((p, j) => h("button", { type: "button", class: i === j ? "active" : null, dataset: { page: p.name },
      on: { click: () => show(j) } }, p.displayName || p.name)));
    current = renderPage(canvas, board, pages[i], false);
  };
  const refreshAll = () => { if (globals) globals.refresh(); if (current) current.refresh(); };
  refreshBtn.addEventListener("click", refreshAll);
  every.addEventListener("change", () => {
    clearInterval(timer);
    const s = Number(every.value);
    if (s) timer = setInterval(refreshAll, s * 1000);
  });
  if (pages.length) show(0);
  else canvas.append(h("p.muted", "This dashboard has no pages."));
  return () => { clearInterval(timer); if (current) current.dispose(); if (globals) globals.dispose(); };
}

// renderPage lays out one page on the 6-column grid and runs its widgets;
// the global filters page (bar) is laid out as a row of filters instead.
// A filter's change re-queries every rendered widget that sees it: the
// page's own filters reach that page, the global filters every page.
function renderPage(canvas, board, page, bar) {
  const { id, file, selections } = board;
  const layout = [...(page.layout || [])];
  let gridEl;
  if (bar) {
    layout.sort((a, b) => (a.position.y - b.position.y) || (a.position.x - b.position.x));
    gridEl = h("div.lv-bar", { dataset: { page: page.name } });
    canvas.append(gridEl);
  } else {
    const rows = layout.reduce((n, it) => Math.max(n, (it.position.y || 0) + (it.position.height || 1)), 0);
    gridEl = h("div.lv-grid", { dataset: { page: page.name }, style: `grid-template-rows:repeat(${rows}, ${ROW_PX}px)` });
    canvas.replaceChildren(gridEl);
  }
  const widgets = layout.map((it) => {
    const w = it.widget || {};
    const p = it.position || {};
    const spec = w.spec || {};
    const type = w.multilineTextboxSpec ? "text" : spec.widgetType || "unknown";
    const frame = spec.frame || {};
    const body = h("div.lv-body");
    const box = h("div.lv-widget", { dataset: { widget: w.name, type },
      style: bar ? null : `grid-column:${p.x + 1} / span ${p.width}; grid-row:${p.y + 1} / span ${p.height}` },
      frame.showTitle && frame.title ? h("div.lv-title", { title: frame.title }, frame.title) : null, body);
    gridEl.append(box);
    return { w, spec, type, box, body, chart: null, seq: 0, key: page.name + "\u0000" + w.name };
  });
  let gone = false;
  const view = { page: page.name, reload(except) { for (const o of widgets) if (o.key !== except) load(o); } };
  board.views.add(view);

  // filtersFor is what the server applies to a widget of this page: the
  // selections of this page and of the global filters, but for except's.
  const filtersFor = (except) => [...selections].filter(([k, f]) => k !== except && (f.page === page.name || f.page === board.global))
    .map(([, f]) => Object.assign({ page: f.page, widget: f.widget }, f.sel));

  async function load(x) {
    if (x.type === "text" || x.type === "filter-date-range-picker" || x.type === "filter-date-picker" || x.type === "filter-text-entry") return;
    const seq = ++x.seq;
    x.box.classList.add("loading");
    let res;
    try {
      const r = await api("POST", `/zbemu/v1/lakeview/dashboards/${encodeURIComponent(id)}/query`,
        { page: page.name, widget: x.w.name, filters: filtersFor(x.type.startsWith("filter-") ? x.key : null) });
      res = r.results || [];
    } catch (e) {
      res = [{ status: { state: "FAILED", error: { error_code: e.code, message: e.message } } }];
    }
    if (gone || seq !== x.seq) return;
    x.box.classList.remove("loading");
    if (x.chart) { x.chart.dispose(); x.chart = null; }
    const failed = res.find((q) => q.status && q.status.state !== "SUCCEEDED");
    if (failed) { showFailure(x, failed); return; }
    const q = res[0];
    const result = { columns: (q && q.manifest && q.manifest.schema.columns) || [], rows: (q && q.result && q.result.data_array) || [] };
    x.box.classList.remove("failed");
    if (x.type.startsWith("filter-")) renderChoices(x, result);
    else x.chart = renderWidget(x, result);
  }

  function showFailure(x, q) {
    const e = (q.status && q.status.error) || {};
    x.box.classList.add("failed");
    const sqlBox = h("pre.snippet.lv-sql", { hidden: true }, q.statement || "(the query did not compile)");
    const toggle = h("button.small.lv-show-sql", { type: "button" }, "Show SQL");
    toggle.addEventListener("click", () => { sqlBox.hidden = !sqlBox.hidden; toggle.textContent = sqlBox.hidden ? "Show SQL" : "Hide SQL"; });
    x.body.replaceChildren(h("div.lv-error", errorBox({ code: e.error_code, message: e.message || q.status.state }), h("div.row", toggle), sqlBox));
  }

  function changed(x, sel) {
    if (sel) selections.set(x.key, { page: page.name, widget: x.w.name, sel });
    else selections.delete(x.key);
    for (const v of board.views) if (page.name === board.global || v.page === page.name) v.reload(x.key);
  }

  function renderChoices(x, result) {
    const field = ((x.spec.encodings || {}).fields || []).find((f) => f.fieldName);
    const i = Math.max(0, result.columns.findIndex((c) => field && c.name === field.fieldName));
    const choices = [...new Set(result.rows.map((r) => r[i]).filter((v) => v != null))];
    const cur = (selections.get(x.key) || {}).sel;
    if (x.type === "filter-multi-select") {
      const chosen = new Set((cur && cur.values) || []);
      const s = h("select.lv-filter", { multiple: true, size: Math.min(4, Math.max(2, choices.length)) },
        choices.map((c) => h("option", { value: c, selected: chosen.has(c) }, c)));
      s.addEventListener("change", () => {
        const v = [...s.selectedOptions].map((o) => o.value);
        changed(x, v.length ? { values: v } : null);
      });
      x.body.replaceChildren(s);
      return;
    }
    const def = paramDefault(file, x.w, (p) => p.defaultSelection && p.defaultSelection.values && p.defaultSelection.values.values);
    const selected = cur ? cur.value : def && def[0] ? def[0].value : null;
    // A parameter always has a value (its default until one is picked); a
    // field filter may select nothing, which filters nothing.
    const bound = ((x.spec.encodings || {}).fields || []).some((f) => f.parameterName);
    if (selected != null && !choices.includes(selected)) choices.unshift(selected);
    const s = h("select.lv-filter", {}, bound ? null : h("option", { value: "" }, "(all)"),
      choices.map((c) => h("option", { value: c, selected: c === selected }, c)));
    s.addEventListener("change", () => changed(x, s.value ? { value: s.value } : null));
    x.body.replaceChildren(s);
  }

  function renderRange(x) {
    const def = (selections.get(x.key) || {}).sel || paramDefault(file, x.w, (p) => p.defaultSelection && p.defaultSelection.range) || {};
    const input = (v) => h("input.lv-date", { type: "datetime-local", step: 1, value: v ? v.replace(/Z$/, "").replace(/\.\d+$/, "").slice(0, 19) : "" });
    const bound = (b) => (b && typeof b === "object" ? b.value : b); // a default is {value}, a selection the value
    const from = input(bound(def.min));
    const to = input(bound(def.max));
    const onChange = () => {
      const iso = (el) => (el.value ? (el.value.length === 16 ? el.value + ":00" : el.value) + "Z" : undefined);
      const sel = { min: iso(from), max: iso(to) };
      changed(x, sel.min || sel.max ? sel : null);
    };
    from.addEventListener("change", onChange);
    to.addEventListener("change", onChange);
    x.body.replaceChildren(h("div.lv-range", { title: "Times are UTC" }, h("span", "From"), from, h("span", "To"), to));
  }

  // renderEntry is a filter with one typed value: a date (filter-date-picker)
  // or a text (filter-text-entry), starting from its parameter's default.
  function renderEntry(x) {
    const def = paramDefault(file, x.w, (p) => p.defaultSelection && p.defaultSelection.values && p.defaultSelection.values.values);
    const date = x.type === "filter-date-picker";
    const cur = (selections.get(x.key) || {}).sel;
    const start = cur ? cur.value : def && def[0] ? String(def[0].value) : "";
    const input = h("input.lv-entry", { type: date ? "date" : "search", value: date ? start.slice(0, 10) : start,
      placeholder: date ? null : "type a value", "aria-label": (x.spec.frame || {}).title || x.w.name });
    input.addEventListener("change", () => changed(x, input.value ? { value: input.value } : null));
    x.body.replaceChildren(input);
  }

  for (const x of widgets) {
    if (x.type === "text") x.body.append(markdown((x.w.multilineTextboxSpec.lines || []).join("\n")));
    else if (x.type === "filter-date-range-picker") renderRange(x);
    else if (x.type === "filter-date-picker" || x.type === "filter-text-entry") renderEntry(x);
  }
  const refresh = () => { for (const x of widgets) load(x); };
  refresh();
  return {
    refresh,
    dispose() { gone = true; board.views.delete(view); for (const x of widgets) if (x.chart) x.chart.dispose(); },
  };
}

// paramDefault is the default selection of the first dataset parameter a
// filter widget binds, picked by get.
function paramDefault(file, w, get) {
  const fields = ((w.spec || {}).encodings || {}).fields || [];
  for (const f of fields) {
    if (!f.parameterName) continue;
    const q = (w.queries || []).find((nq) => nq.name === f.queryName);
    const ds = q && (file.datasets || []).find((d) => d.name === q.query.datasetName);
    const p = ds && (ds.parameters || []).find((p) => p.keyword === f.parameterName);
    if (p && get(p)) return get(p);
  }
  return null;
}

// renderWidget draws a chart, counter or table from its spec's encodings.
function renderWidget(x, result) {
  const enc = x.spec.encodings || {};
  const name = (e) => (e && e.fieldName) || "";
  const ys = (e) => (!e ? [] : e.fields ? e.fields.map((f) => f.fieldName) : [e.fieldName]);
  x.body.replaceChildren();
  switch (x.type) {
    case "counter":
      return visualize(x.body, result, { type: "counter", y: [name(enc.value)] });
    case "table": {
      const want = (enc.columns || []).map((c) => c.fieldName);
      const idx = want.length ? want.map((n) => result.columns.findIndex((c) => c.name === n)).filter((i) => i >= 0) : result.columns.map((_, i) => i);
      const cols = idx.map((i) => result.columns[i]);
      const rows = result.rows.map((r) => idx.map((i) => r[i]));
      x.body.append(grid(cols, rows, { height: Math.max(80, x.body.clientHeight - 4) }));
      x.body.dataset.rows = rows.length;
      return null;
    }
    case "pie":
      return visualize(x.body, result, { type: "pie", x: name(enc.color), y: [name(enc.angle)] });
    case "bar": case "line": case "area": case "scatter": {
      const m = visualize(x.body, result, { type: x.type, x: name(enc.x), y: ys(enc.y), color: name(enc.color) });
      if (!result.rows.length) x.body.append(h("div.lv-empty", "No rows"));
      return m;
    }
    default:
      x.body.append(h("p.muted", `Widget type ${x.type} is not drawn by zbemu's UI.`));
      return null;
  }
}

// markdown renders the subset of Markdown text boxes use — headings,
// bullets, paragraphs, **bold**, *italic*, `code` and [links](url) — as
// DOM nodes built from text, so a text box can never inject markup.
export function markdown(src) {
  const out = h("div.lv-text");
  let list = null;
  for (const line of src.split("\n")) {
    const hd = line.match(/^(#{1,6})\s+(.*)$/);
    const li = line.match(/^\s*[-*]\s+(.*)$/);
    if (li) {
      if (!list) out.append((list = h("ul")));
      list.append(h("li", inline(li[1])));
      continue;
    }
    list = null;
    if (hd) out.append(h("h" + Math.min(6, hd[1].length + 1), inline(hd[2])));
    else if (line.trim()) out.append(h("p", inline(line)));
  }
  return out;
}

function inline(s) {
  const parts = [];
  const re = /\*\*([^*]+)\*\*|\*([^*]+)\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0, m;
  while ((m = re.exec(s))) {
    if (m.index > last) parts.push(s.slice(last, m.index));
    if (m[1]) parts.push(h("strong", m[1]));
    else if (m[2]) parts.push(h("em", m[2]));
    else if (m[3]) parts.push(h("code", m[3]));
    else parts.push(/^https?:\/\//.test(m[5]) ? h("a", { href: m[5], target: "_blank", rel: "noopener" }, m[4]) : m[4]);
    last = re.lastIndex;
  }
  parts.push(s.slice(last));
  return parts;
}
