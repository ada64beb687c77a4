import { Statement } from "../api.js";
import { h, errorBox } from "../dom.js";
import { grid } from "../grid.js";
import { visualize, CHART_TYPES, isNumeric } from "../chart.js";

// SQL editor at /sql/editor: CodeMirror, statements through the Statement
// Execution API (run all or the selection, cancel), one tab per result with
// a virtualised grid and a "visualize" view, query history and saved
// queries in localStorage (this browser only).

const HISTORY_KEY = "zbemu.sql.history";
const SAVED_KEY = "zbemu.sql.saved";
const DRAFT_KEY = "zbemu.sql.draft";
const MAX_HISTORY = 50;
const MAX_TABS = 8;

const load = (k) => { try { return JSON.parse(localStorage.getItem(k)) || []; } catch { return []; } };
const store = (k, v) => localStorage.setItem(k, JSON.stringify(v));

export default function sqlEditor(root) {
  const q = new URLSearchParams(location.search).get("q");
  const area = h("textarea");
  const runBtn = h("button.primary#run", { type: "button", title: "Run (Ctrl+Enter); runs the selection if there is one" }, "Run");
  const cancelBtn = h("button#cancel", { type: "button", disabled: true }, "Cancel");
  const saveName = h("input#save-name", { type: "text", placeholder: "name to save as", "aria-label": "Name of the saved query", style: "width:170px" });
  const saveBtn = h("button#save", { type: "button" }, "Save");
  const status = h("div.status#status");
  const tabs = h("div.tabs#result-tabs");
  const view = h("div#result-view");
  const histList = h("ul.list-side#history-list");
  const savedList = h("ul.list-side#saved-list");
  root.append(
    h("div.page-head", h("h1", "SQL editor"), h("span.sub", "Databricks SQL over the Statement Execution API.")),
    h("div.editor-layout",
      h("div",
        h("section.panel", area, h("div.row", { style: "margin-top:8px" }, runBtn, cancelBtn, h("span.spacer"), status, saveName, saveBtn)),
        h("section.panel", tabs, view)),
      h("aside.panel.side", h("h2", "Saved queries"), savedList, h("h2", { style: "margin-top:16px" }, "History"), histList)));
  const cm = CodeMirror.fromTextArea(area, { mode: "text/x-sparksql", lineNumbers: true, matchBrackets: true, indentUnit: 2,
    placeholder: "SELECT * FROM main.default.events LIMIT 10", extraKeys: { "Ctrl-Enter": () => run(), "Cmd-Enter": () => run() } });
  cm.setValue(q || localStorage.getItem(DRAFT_KEY) || "SHOW TABLES IN main.default");
  cm.on("change", () => localStorage.setItem(DRAFT_KEY, cm.getValue()));
  window.zbemuEditor = cm; // for scripts and tests driving the page

  const results = []; // {title, result|error, spec, el}
  let active = -1;
  let running = null;
  let seq = 0; // numbers the result tabs

  function renderLists() {
    const hist = load(HISTORY_KEY);
    histList.replaceChildren(...hist.map((x) => h("li", { title: x.sql, on: { click: () => cm.setValue(x.sql) } }, x.sql.replace(/\s+/g, " "))));
    const saved = load(SAVED_KEY);
    savedList.replaceChildren(...(saved.length ? saved.map((x, i) => h("li", { title: x.sql, on: { click: () => cm.setValue(x.sql) } },
      h("button.small", { type: "button", title: "Delete", style: "float:right", on: { click: (e) => { e.stopPropagation(); saved.splice(i, 1); store(SAVED_KEY, saved); renderLists(); } } }, "×"),
      x.name)) : [h("li.muted", "Nothing saved yet.")]));
  }

  function renderTabs() {
    tabs.replaceChildren(...results.map((r, i) => h("button", { type: "button", class: i === active ? "active" : null, on: { click: () => { active = i; renderTabs(); renderResult(); } } },
      r.title, h("span", { style: "margin-left:6px", title: "Close", on: { click: (e) => { e.stopPropagation(); close(i); } } }, "×"))));
  }

  function close(i) {
    if (results[i].chart) results[i].chart.dispose();
    results.splice(i, 1);
    active = Math.min(active, results.length - 1);
    renderTabs();
    renderResult();
  }

  function renderResult() {
    if (results[active] && results[active].chart) { results[active].chart.dispose(); results[active].chart = null; }
    const r = results[active];
    if (!r) { view.replaceChildren(h("p.muted", "Run a statement to see its result here.")); return; }
    if (r.error) { view.replaceChildren(h("pre.snippet", r.sql), errorBox(r.error)); return; }
    const res = r.result;
    const mode = h("div.row", { style: "margin-bottom:8px" },
      h("span#row-count", { dataset: { rows: res.rows.length } }, `${res.rows.length.toLocaleString("en-US")} rows${res.truncated ? " (truncated)" : ""} · ${r.ms} ms`),
      h("span.spacer"),
      h("button.small#show-table", { type: "button", class: r.spec ? null : "primary", on: { click: () => { r.spec = null; renderResult(); } } }, "Table"),
      h("button.small#visualize", { type: "button", class: r.spec ? "primary" : null, on: { click: () => { r.spec = r.spec || defaultSpec(res); renderResult(); } } }, "Visualize"));
    if (!r.spec) {
      view.replaceChildren(mode, grid(res.columns, res.rows, { height: 380 }));
      return;
    }
    const chartEl = h("div#chart", { style: "min-height:340px" });
    view.replaceChildren(mode, specForm(res, r.spec, () => renderResult()), chartEl);
    r.chart = visualize(chartEl, res, r.spec);
  }

  async function run() {
    if (running) return;
    const sel = cm.getSelection();
    const text = (sel.trim() ? sel : cm.getValue()).trim().replace(/;\s*$/, "");
    if (!text) return;
    const st = new Statement(text);
    running = st;
    runBtn.disabled = true;
    cancelBtn.disabled = false;
    status.textContent = "Running…";
    status.className = "status";
    const t0 = performance.now();
    const entry = { title: "Result " + ++seq, sql: text };
    try {
      entry.result = await st.run();
      status.textContent = "";
    } catch (e) {
      entry.error = e;
      status.textContent = e.code === "CANCELLED" ? "Canceled." : "Failed.";
      status.className = "status bad";
    }
    entry.ms = Math.round(performance.now() - t0);
    const hist = load(HISTORY_KEY).filter((x) => x.sql !== text);
    hist.unshift({ sql: text, at: new Date().toISOString() });
    store(HISTORY_KEY, hist.slice(0, MAX_HISTORY));
    results.push(entry);
    while (results.length > MAX_TABS) { const old = results.shift(); if (old.chart) old.chart.dispose(); }
    active = results.length - 1;
    running = null;
    runBtn.disabled = false;
    cancelBtn.disabled = true;
    renderTabs();
    renderResult();
    renderLists();
  }

  runBtn.addEventListener("click", run);
  cancelBtn.addEventListener("click", () => running && running.cancel().catch(() => {}));
  saveBtn.addEventListener("click", () => {
    const name = saveName.value.trim() || cm.getValue().trim().split("\n")[0].slice(0, 60);
    if (!name) return;
    saveName.value = "";
    const saved = load(SAVED_KEY).filter((x) => x.name !== name);
    saved.unshift({ name, sql: cm.getValue() });
    store(SAVED_KEY, saved);
    renderLists();
  });
  renderLists();
  renderResult();
  setTimeout(() => cm.refresh());
  return () => {
    if (running) running.cancel().catch(() => {});
    for (const r of results) if (r.chart) r.chart.dispose();
    delete window.zbemuEditor;
  };
}

// defaultSpec picks a chart for a result: the first non-numeric column as
// x and the numeric ones as y.
function defaultSpec(res) {
  const num = res.columns.filter(isNumeric).map((c) => c.name);
  const other = res.columns.filter((c) => !isNumeric(c)).map((c) => c.name);
  return { type: "bar", x: other[0] || res.columns[0].name, y: num.length ? [num[0]] : [], color: "" };
}

function specForm(res, spec, onChange) {
  const names = res.columns.map((c) => c.name);
  const sel = (id, label, value, options, multiple) => {
    const s = h("select", { id, multiple: multiple || null, size: multiple ? Math.min(4, options.length) : null },
      options.map((o) => h("option", { value: o, selected: multiple ? value.includes(o) : value === o }, o || "(none)")));
    s.addEventListener("change", () => {
      spec[id.replace("viz-", "")] = multiple ? [...s.selectedOptions].map((o) => o.value) : s.value;
      onChange();
    });
    return h("label", label, s);
  };
  return h("div.row#viz-form", { style: "margin-bottom:8px; align-items:flex-start" },
    sel("viz-type", "Chart", spec.type, CHART_TYPES),
    sel("viz-x", "X", spec.x, names),
    sel("viz-y", "Y", spec.y, names, true),
    sel("viz-color", "Color by", spec.color, ["", ...names]));
}
