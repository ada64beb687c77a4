import { api, sql, download, quoteName, param } from "../api.js";
import { h, simpleTable, errorBox, fmt, navigate } from "../dom.js";
import { grid } from "../grid.js";
import { listCatalogs, listSchemas, listTables, getTable } from "./tables.js";

// Catalog explorer at /explore/data/{catalog}/{schema}/{table}: a tree of
// what the caller may see and a page per object, from the Unity Catalog
// REST API for every catalog, the system catalog included. Table pages
// read history, grants and sample rows with SQL.

const link = (...parts) => "/explore/data/" + parts.map(encodeURIComponent).join("/");

export default async function explorer(root, [catalog, schema, table]) {
  const tree = h("nav.panel.tree-panel.tree", { "aria-label": "Catalogs" });
  const main = h("div.explore-main");
  root.append(h("div.page-head", h("h1", "Catalog"), h("span.sub", "Unity Catalog: catalogs, schemas and tables you may see.")),
    h("div.explorer", tree, main));
  const treeDone = renderTree(tree, catalog, schema, table);
  try {
    if (table) await tablePage(main, catalog, schema, table);
    else if (schema) await listPage(main, [catalog, schema], "Tables", await listTables(catalog, schema));
    else if (catalog) await listPage(main, [catalog], "Schemas", await listSchemas(catalog));
    else await listPage(main, [], "Catalogs", await listCatalogs());
  } catch (e) {
    main.append(errorBox(e));
  }
  await treeDone;
}

async function renderTree(tree, catalog, schema, table) {
  const ul = h("ul");
  tree.append(ul);
  let cats;
  try { cats = (await listCatalogs()).map((x) => x.name); } catch (e) { tree.append(errorBox(e)); return; }
  for (const c of cats) {
    const li = h("li", h("a", { href: link(c), "data-nav": true, class: c === catalog && !schema ? "active" : null }, h("span.kind", "▸"), c));
    ul.append(li);
    if (c !== catalog) continue;
    const sul = h("ul");
    li.append(sul);
    for (const s of (await listSchemas(c).catch(() => [])).map((x) => x.name)) {
      const sli = h("li", h("a", { href: link(c, s), "data-nav": true, class: s === schema && !table ? "active" : null }, h("span.kind", "▸"), s));
      sul.append(sli);
      if (s !== schema) continue;
      const tul = h("ul");
      sli.append(tul);
      for (const t of (await listTables(c, s).catch(() => [])).map((x) => x.name)) {
        tul.append(h("li", h("a", { href: link(c, s, t), "data-nav": true, class: t === table ? "active" : null }, h("span.kind", "▦"), t)));
      }
    }
  }
}

function crumbs(parts) {
  const out = [h("a", { href: "/explore/data", "data-nav": true }, "Catalogs")];
  parts.forEach((p, i) => out.push(" / ", h("a", { href: link(...parts.slice(0, i + 1)), "data-nav": true }, p)));
  return h("div.muted", out);
}

// listPage lists catalogs, schemas or tables (UC objects) with their
// owner and comment; a table also shows its type.
async function listPage(main, parts, title, items) {
  const tables = parts.length === 2;
  const head = ["Name", ...(tables ? ["Type"] : []), "Owner", "Comment"];
  const rows = items.map((o) => [o.name, ...(tables ? [o.table_type || ""] : []), o.owner || "", o.comment || ""]);
  main.append(h("section.panel", crumbs(parts), h("h2", title + " (" + items.length + ")"),
    simpleTable(head, rows, { attrs: { id: "object-list" }, onRow: (i) => navigate(link(...parts, items[i].name)) })));
}

async function tablePage(main, catalog, schema, table) {
  const full = [catalog, schema, table].join(".");
  const t = await getTable(full);
  const props = Object.entries(t.properties || {}).sort();
  main.append(
    h("section.panel", crumbs([catalog, schema, table]),
      h("div.row", h("h1#table-name", full), h("span.badge", t.table_type), h("span.spacer"),
        downloadButton("JSON Schema ↓", `/zbemu/v1/tables/${encodeURIComponent(full)}/jsonschema`, table + ".schema.json"),
        downloadButton(".proto ↓", `/zbemu/v1/tables/${encodeURIComponent(full)}/proto`, table + ".proto"),
        h("a.small", { href: "/sql/editor?q=" + encodeURIComponent(`SELECT * FROM ${quoteName(catalog, schema, table)} LIMIT 100`), "data-nav": true }, "Query")),
      h("p.muted", t.comment || "No comment."),
      h("dl.kv", h("dt", "Owner"), h("dd#table-owner", t.owner || "—"), h("dt", "Created"), h("dd", t.created_at ? new Date(t.created_at).toISOString() : "—"),
        h("dt", "Version"), h("dd", (t.properties || {})["delta.lastUpdateVersion"] || "0"))),
    h("section.panel", h("h2", `Columns (${(t.columns || []).length})`),
      simpleTable(["#", "Name", "Type", "Nullable", "Comment", "Tags"], (t.columns || []).map((c, i) => [i + 1, c.name, c.type_text, c.nullable ? "yes" : "NOT NULL", c.comment || "",
        catalog === "system" ? "" : columnTags(full, c.name)]), { attrs: { id: "columns" } })),
  );
  const ingest = h("section.panel#ingestion", h("h2", "Ingestion"), h("p.muted", "Loading…"));
  const sample = h("section.panel#sample", h("h2", "Sample rows"), h("p.muted", "Loading…"));
  const hist = h("section.panel#history", h("h2", "History"), h("p.muted", "Loading…"));
  const grants = h("section.panel#grants", h("h2", "Grants"), h("p.muted", "Loading…"));
  main.append(ingest, sample, h("div.grid2", hist, grants),
    h("section.panel", h("h2", `Properties (${props.length})`), props.length ? simpleTable(["Key", "Value"], props, { attrs: { id: "properties" } }) : h("p.muted", "None.")));
  const q = quoteName(catalog, schema, table);
  await Promise.all([
    section(sample, "Sample rows", () => sql(`SELECT * FROM ${q} LIMIT 50`), (r) => [h("p.muted", r.rows.length + " rows (first 50)"), grid(r.columns, r.rows, { height: Math.min(360, 30 + r.rows.length * 28 + 18) })]),
    section(hist, "History", () => sql(`DESCRIBE HISTORY ${q}`), (r) => resultTable(r, "history-table")),
    section(grants, "Grants", () => sql(`SHOW GRANTS ON TABLE ${q}`), (r) => r.rows.length ? resultTable(r, "grants-table") : h("p.muted", "No grants: only the owner and admins have access.")),
    section(ingest, "Ingestion", () => ingestion(full), (x) => x),
  ]);
}

// columnTags fills in a column's Unity Catalog tags (ALTER TABLE ... ALTER
// COLUMN ... SET TAGS) from the entity tag assignments API. System tables
// are read-only and have none, so their pages do not ask.
function columnTags(full, column) {
  const cell = h("span.tags", { dataset: { column } });
  api("GET", `/api/2.1/unity-catalog/entity-tag-assignments/columns/${encodeURIComponent(full + "." + column)}/tags`)
    .then((r) => cell.replaceChildren(...(r.tag_assignments || []).map((a) => h("span.badge", a.tag_value ? `${a.tag_key} = ${a.tag_value}` : a.tag_key))))
    .catch((e) => { cell.textContent = e.code; cell.title = e.message; });
  return cell;
}

// downloadButton saves an authorized document; a failure (e.g. a table with
// no protobuf encoding) shows on the button's title and as its text.
function downloadButton(label, path, name) {
  const b = h("button.small", { type: "button" }, label);
  b.addEventListener("click", () => download(path, name).catch((e) => {
    b.textContent = e.code;
    b.title = e.message;
    b.classList.add("bad");
  }));
  return b;
}

function resultTable(r, id) {
  return h("div.scroll", { style: "max-height:300px" }, simpleTable(r.columns.map((c) => c.name), r.rows, { attrs: { id } }));
}

async function section(el, title, load, render) {
  try {
    const r = await load();
    el.replaceChildren(h("h2", title), ...[].concat(render(r)));
  } catch (e) {
    el.replaceChildren(h("h2", title), errorBox(e));
  }
}

// ingestion is the table's ingest panel: live figures from /zbemu/v1/stats,
// the last commit from system.lakeflow.zerobus_ingest (when the caller may
// read it).
async function ingestion(full) {
  const st = await api("GET", "/zbemu/v1/stats");
  const t = (st.tables || []).find((x) => x.table === full) || {};
  const streams = (st.streams || []).filter((s) => s.table === full);
  let last = "—";
  try {
    const r = await sql("SELECT max(commit_time) FROM system.lakeflow.zerobus_ingest WHERE table_name = :t", [param("t", full)]);
    last = (r.rows[0] && r.rows[0][0]) || "never";
  } catch (e) {
    last = "(" + e.code + ")";
  }
  return h("dl.kv",
    h("dt", "Records/s (last minute)"), h("dd", { dataset: { field: "rate" } }, fmt.num(t.records_per_second || 0)),
    h("dt", "Records since start"), h("dd", { dataset: { field: "records" } }, fmt.num(t.records_total || 0)),
    h("dt", "Open streams"), h("dd", { dataset: { field: "streams" } }, String(t.open_streams || 0) + (streams.length ? " (gRPC: " + streams.map((s) => s.stream_id.slice(0, 8)).join(", ") + ")" : "")),
    h("dt", "Ack latency p50 / p99"), h("dd", t.ack_latency_ms ? fmt.ms(t.ack_latency_ms.p50) + " / " + fmt.ms(t.ack_latency_ms.p99) : "—"),
    h("dt", "Last commit"), h("dd", { dataset: { field: "last-commit" } }, last),
    h("dt", "Rejected records"), h("dd", { dataset: { field: "rejected" } }, fmt.num(t.rejected_records_total || 0), " ",
      h("a", { href: "/ingest?table=" + encodeURIComponent(full), "data-nav": true }, "view")));
}
