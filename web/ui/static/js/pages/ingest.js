import { liveStats, sql, param } from "../api.js";
import { h, simpleTable, errorBox, fmt } from "../dom.js";
import { mount } from "../chart.js";

// Ingestion monitor at /ingest: live figures from the server-sent events of
// GET /zbemu/v1/stats/stream (one event per second, 15 minutes of history
// on connect) and the rejected records of system.zbemu.rejected_records.
// Every box has a fixed size so nothing moves while the figures change.

const WINDOW_MS = 15 * 60 * 1000;
// MAX_POINTS is the server's history length (web/metrics.HistoryLen): with
// a shorter --stats-interval the points come faster than one per second,
// and the page keeps as many as the server would send it on connect.
const MAX_POINTS = 15 * 60;

export default function ingest(root) {
  const params = new URLSearchParams(location.search);
  const abort = new AbortController();
  const kpi = (id, label) => h("div.kpi", h("div.label", label), h("div.value", { id: "kpi-" + id }, "—"));
  const streamsBox = h("div.fixed-rows#streams", { style: "height:170px" });
  const errorsBox = h("div.fixed-rows#errors", { style: "height:120px" });
  const tablesBox = h("div.fixed-rows#tables", { style: "height:130px" });
  const thr = h("div.chart#throughput-chart");
  const lat = h("div.chart#latency-chart");
  const conn = h("span.muted#live-status", "connecting…");
  root.append(
    h("div.page-head", h("h1", "Ingestion"), h("span.sub", "Live, updated every second."), h("span.spacer"), conn),
    h("div.kpis", kpi("rate", "Records/s (1 min)"), kpi("bytes", "Bytes/s (1 min)"), kpi("streams", "Open streams"),
      kpi("p50", "Ack latency p50"), kpi("p99", "Ack latency p99"), kpi("backlog", "Backlog (records)")),
    h("div.grid2", h("section.panel", h("h2", "Throughput, records/s (15 min)"), thr), h("section.panel", h("h2", "Ack latency, ms (15 min)"), lat)),
    h("div", { style: "height:16px" }),
    h("section.panel", h("h2", "Tables"), tablesBox),
    h("section.panel", h("h2", "Open gRPC streams"), streamsBox),
    h("section.panel", h("h2", "Errors returned to ingest clients"), errorsBox));
  const rejected = rejectedViewer(params);
  root.append(rejected.el);

  const thrChart = mount(thr);
  const latChart = mount(lat);
  let points = [];
  const draw = () => {
    const tables = new Set();
    for (const p of points) for (const t of Object.keys(p.tables || {})) tables.add(t);
    const ts = (p) => Date.parse(p.time);
    const thrSeries = [{ name: "total", type: "line", showSymbol: false, data: points.map((p) => [ts(p), p.records_per_second]) }];
    for (const t of tables) thrSeries.push({ name: t, type: "line", showSymbol: false, data: points.map((p) => [ts(p), (p.tables[t] || {}).records_per_second || 0]) });
    const latSeries = [
      { name: "p50", type: "line", showSymbol: false, data: points.map((p) => [ts(p), p.ack_p50_ms]) },
      { name: "p99", type: "line", showSymbol: false, data: points.map((p) => [ts(p), p.ack_p99_ms]) },
    ];
    for (const t of tables) latSeries.push({ name: t + " p99", type: "line", showSymbol: false, lineStyle: { type: "dashed" }, data: points.map((p) => [ts(p), (p.tables[t] || {}).ack_p99_ms || 0]) });
    const axes = { grid: { left: 56, right: 16, top: 30, bottom: 28 }, tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 },
      xAxis: { type: "time", min: Date.now() - WINDOW_MS, max: Date.now() }, yAxis: { type: "value", min: 0 } };
    thrChart.set(Object.assign({}, axes, { series: thrSeries }), thrSeries.length);
    latChart.set(Object.assign({}, axes, { series: latSeries }), latSeries.length);
  };

  const show = (st) => {
    document.getElementById("kpi-rate").textContent = fmt.num(st.records_per_second);
    document.getElementById("kpi-bytes").textContent = fmt.bytes(st.bytes_per_second);
    document.getElementById("kpi-streams").textContent = String(st.open_streams);
    document.getElementById("kpi-p50").textContent = st.ack_latency_ms ? fmt.ms(st.ack_latency_ms.p50) : "—";
    document.getElementById("kpi-p99").textContent = st.ack_latency_ms ? fmt.ms(st.ack_latency_ms.p99) : "—";
    document.getElementById("kpi-backlog").textContent = fmt.num(st.backlog.records);
    tablesBox.replaceChildren(simpleTable(["Table", "Open streams", "Records/s", "Ack p50", "Ack p99", "Records", "Bytes", "Rejected"],
      st.tables.map((t) => [t.table, t.open_streams, fmt.num(t.records_per_second), t.ack_latency_ms ? fmt.ms(t.ack_latency_ms.p50) : "—",
        t.ack_latency_ms ? fmt.ms(t.ack_latency_ms.p99) : "—", fmt.num(t.records_total), fmt.bytes(t.bytes_total), fmt.num(t.rejected_records_total)]),
      { num: [1, 2, 3, 4, 5, 6, 7], attrs: { id: "tables-table" } }));
    streamsBox.replaceChildren(st.streams.length
      ? simpleTable(["Stream", "Table", "Protocol", "Format", "Records", "Records/s", "Ack p50", "Ack p99", "Rejected", "Age"],
        st.streams.map((s) => [s.stream_id, s.table, s.protocol, s.data_format, fmt.num(s.records_total), fmt.num(s.records_per_second),
          s.ack_latency_ms ? fmt.ms(s.ack_latency_ms.p50) : "—", s.ack_latency_ms ? fmt.ms(s.ack_latency_ms.p99) : "—",
          fmt.num(s.rejected_records_total), fmt.age(s.opened_time)]),
        { num: [4, 5, 6, 7, 8], attrs: { id: "streams-table" } })
      : h("p.muted", "No open gRPC stream. REST requests count under their table."));
    errorsBox.replaceChildren(st.errors.length
      ? simpleTable(["error_code", "Protocol", "Last minute", "Since start"], st.errors.map((e) => [e.error_code, e.protocol, e.last_minute, e.total]), { num: [2, 3], attrs: { id: "errors-table" } })
      : h("p.muted", "No errors."));
    rejected.setTables(st.tables.map((t) => t.table));
  };

  liveStats((name, data) => {
    if (name === "history") {
      points = (data.points || []).slice(-MAX_POINTS);
      conn.textContent = "live";
      conn.className = "ok";
    } else if (name === "stats") {
      points.push(data.point);
      const cut = Date.now() - WINDOW_MS;
      while (points.length && Date.parse(points[0].time) < cut) points.shift();
      if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS);
      show(data.stats);
      draw();
      document.body.dataset.statsEvents = String(Number(document.body.dataset.statsEvents || 0) + 1);
      document.body.dataset.statsPoints = String(points.length);
    } else if (name === "error") {
      conn.textContent = data.error_code + ": " + data.message;
      conn.className = "bad";
    }
  }, abort.signal);
  rejected.refresh();
  return () => {
    abort.abort();
    thrChart.dispose();
    latChart.dispose();
    delete document.body.dataset.statsEvents;
    delete document.body.dataset.statsPoints;
  };
}

// rejectedViewer lists the newest rejected records, filtered by table and
// stream, and shows one with its error, hint and raw payload.
function rejectedViewer(params) {
  const tableSel = h("select#rej-table", h("option", { value: "" }, "All tables"));
  const streamIn = h("input#rej-stream", { type: "search", placeholder: "stream id", value: params.get("stream") || "" });
  const list = h("div.fixed-rows#rejected-list", { style: "height:260px" });
  const detail = h("div#rejected-detail", { style: "height:260px; overflow:auto" }, h("p.muted", "Click a record to see why it was refused."));
  const known = new Set();
  let wanted = params.get("table") || "";
  const refresh = async () => {
    const where = [];
    const ps = [];
    if (tableSel.value || wanted) { where.push("table_name = :t"); ps.push(param("t", tableSel.value || wanted)); }
    if (streamIn.value.trim()) { where.push("stream_id = :s"); ps.push(param("s", streamIn.value.trim())); }
    const text = "SELECT time, table_name, stream_id, protocol, offset_id, record_index, column_name, reason, hint, message, raw " +
      "FROM system.zbemu.rejected_records" + (where.length ? " WHERE " + where.join(" AND ") : "") + " ORDER BY time DESC LIMIT 200";
    try {
      const r = await sql(text, ps);
      list.replaceChildren(r.rows.length ? simpleTable(["Time (UTC)", "Table", "Column", "Reason"],
        r.rows.map((x) => [(x[0] || "").replace(/^.*T/, "").replace("Z", ""), x[1], x[6], x[7]]),
        { attrs: { id: "rejected-table", "data-rows": r.rows.length }, onRow: (i, tr) => {
          for (const s of list.querySelectorAll("tr.selected")) s.classList.remove("selected");
          tr.classList.add("selected");
          const x = r.rows[i];
          detail.replaceChildren(h("dl.kv",
            ...[["Time", 0], ["Table", 1], ["Stream", 2], ["Protocol", 3], ["Offset", 4], ["Record index", 5], ["Column", 6], ["Reason", 7], ["Hint", 8], ["Message", 9]]
              .flatMap(([l, j]) => [h("dt", l), h("dd.detail", { dataset: { field: l.toLowerCase().replace(" ", "-") } }, x[j] == null ? "—" : x[j])])),
            h("h3", "Raw record"), h("pre.snippet#rejected-raw", x[10] || ""));
        } }) : h("p.muted", "No rejected records" + (where.length ? " for this filter." : ".")));
    } catch (e) {
      list.replaceChildren(errorBox(e));
    }
  };
  tableSel.addEventListener("change", () => { wanted = ""; refresh(); });
  streamIn.addEventListener("change", refresh);
  const el = h("section.panel#rejected",
    h("div.row", h("h2", "Rejected records"), h("span.spacer"), tableSel, streamIn, h("button.small#rej-refresh", { type: "button", on: { click: refresh } }, "Refresh")),
    h("div.grid2", list, detail));
  return {
    el,
    refresh,
    setTables(names) {
      for (const n of names) {
        if (known.has(n)) continue;
        known.add(n);
        tableSel.append(h("option", { value: n, selected: n === wanted }, n));
      }
    },
  };
}
