import { h } from "./dom.js";
import { grid } from "./grid.js";

// Charts are Apache ECharts (vendored, global `echarts`), rendered as SVG.
// Every chart element carries data-series (how many series it draws) so a
// test or a script can check what is shown without reading pixels.

export const CHART_TYPES = ["table", "counter", "bar", "line", "area", "pie", "scatter"];

function dark() {
  return document.documentElement.dataset.theme === "dark";
}

// mount creates an ECharts instance in el that follows el's size and marks
// marker (el by default) with data-series; the returned object's dispose()
// must be called when the page goes.
export function mount(el, marker = el) {
  const c = echarts.init(el, dark() ? "dark" : null, { renderer: "svg" });
  const ro = new ResizeObserver(() => c.resize());
  ro.observe(el);
  return {
    chart: c,
    set(option, seriesCount) {
      c.setOption(Object.assign({ backgroundColor: "transparent", animation: false }, option), { notMerge: true, lazyUpdate: true });
      marker.dataset.series = String(seriesCount);
    },
    dispose() { ro.disconnect(); c.dispose(); },
  };
}

const TIME_TYPES = new Set(["TIMESTAMP", "TIMESTAMP_NTZ", "DATE"]);
const NUM_TYPES = new Set(["BYTE", "SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "DECIMAL", "TINYINT", "SMALLINT", "BIGINT", "INTEGER"]);

export function isNumeric(col) {
  return NUM_TYPES.has((col.type_name || "").toUpperCase());
}

function toNum(v) {
  return v == null ? null : Number(v);
}

// visualize renders a result {columns, rows} as spec.type with spec.x, spec.y
// (column names; y may list several) and spec.color (a column whose values
// split the series) into el; it returns a handle with dispose().
export function visualize(el, result, spec) {
  el.replaceChildren();
  const idx = (name) => result.columns.findIndex((c) => c.name === name);
  const ys = (spec.y || []).map(idx).filter((i) => i >= 0);
  const xi = idx(spec.x);
  const ci = idx(spec.color);
  if (spec.type === "table") {
    el.append(grid(result.columns, result.rows, { height: 320 }));
    el.dataset.series = "0";
    return { dispose() {} };
  }
  if (spec.type === "counter") {
    const i = ys.length ? ys[0] : 0;
    const v = result.rows.length ? result.rows[0][i] : null;
    el.append(h("div.counter", { dataset: { value: v == null ? "" : v } }, v == null ? "—" : Number.isFinite(Number(v)) ? Number(v).toLocaleString("en-US") : v));
    el.dataset.series = "1";
    return { dispose() {} };
  }
  const box = h("div.chart.chart-big");
  el.append(box);
  const m = mount(box, el);
  if (spec.type === "pie") {
    const vi = ys.length ? ys[0] : -1;
    const data = result.rows.map((r) => ({ name: xi >= 0 ? String(r[xi]) : "", value: vi >= 0 ? toNum(r[vi]) : 1 }));
    m.set({ tooltip: { trigger: "item" }, legend: { type: "scroll", bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "70%"], data }] }, 1);
    return m;
  }
  const xcol = result.columns[xi];
  const xType = !xcol ? "category" : TIME_TYPES.has((xcol.type_name || "").toUpperCase()) ? "time"
    : isNumeric(xcol) && spec.type !== "bar" ? "value" : "category";
  const xval = (r) => (xi < 0 ? null : xType === "time" ? Date.parse(r[xi]) : xType === "value" ? toNum(r[xi]) : String(r[xi]));
  const kind = spec.type === "area" ? "line" : spec.type;
  const base = { type: kind, showSymbol: kind === "scatter", symbolSize: 6, connectNulls: true };
  if (spec.type === "area") Object.assign(base, { areaStyle: { opacity: 0.25 }, stack: ci >= 0 ? "total" : undefined });
  let series = [];
  if (ci >= 0 && ys.length) {
    const groups = new Map();
    for (const r of result.rows) {
      const key = r[ci] == null ? "NULL" : r[ci];
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push([xval(r), toNum(r[ys[0]])]);
    }
    series = [...groups].map(([name, data]) => Object.assign({}, base, { name, data }));
  } else {
    series = ys.map((i) => Object.assign({}, base, { name: result.columns[i].name, data: result.rows.map((r) => [xval(r), toNum(r[i])]) }));
  }
  // A line joins points in x order, whatever order the rows came in.
  if (kind === "line" && xType !== "category") for (const s of series) s.data.sort((a, b) => a[0] - b[0]);
  m.set({
    tooltip: { trigger: kind === "scatter" ? "item" : "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 56, right: 24, top: 36, bottom: 36 },
    xAxis: { type: xType, name: spec.x || "", nameLocation: "middle", nameGap: 26 },
    yAxis: { type: "value", name: ys.length === 1 ? result.columns[ys[0]].name : "" },
    series,
  }, series.length);
  return m;
}
