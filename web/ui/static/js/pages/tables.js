import { api, sql, quoteName } from "../api.js";

// Shared look-ups of the Unity Catalog REST API, and of SQL's SHOW
// statements, which also list the system catalog (UC REST does not).

export async function showCatalogs() {
  return (await sql("SHOW CATALOGS")).rows.map((r) => r[0]);
}

export async function showSchemas(catalog) {
  return (await sql("SHOW SCHEMAS IN " + quoteName(catalog))).rows.map((r) => r[0]);
}

export async function showTables(catalog, schema) {
  return (await sql("SHOW TABLES IN " + quoteName(catalog, schema))).rows.map((r) => r[1]);
}

// describeTable is a table's metadata in the UC shape: from UC REST, or
// for system tables (which UC REST does not serve) from DESCRIBE TABLE.
export async function describeTable(catalog, schema, table) {
  if (catalog !== "system") return getTable([catalog, schema, table].join("."));
  const r = await sql("DESCRIBE TABLE " + quoteName(catalog, schema, table));
  return { full_name: [catalog, schema, table].join("."), table_type: "SYSTEM", owner: "System user", comment: "A system table: read-only, kept by zbemu.",
    columns: r.rows.filter((x) => x[0] && !x[0].startsWith("#")).map((x) => ({ name: x[0], type_text: x[1], nullable: true, comment: x[2] })) };
}

export async function listCatalogs() {
  return (await api("GET", "/api/2.1/unity-catalog/catalogs")).catalogs || [];
}

export async function listSchemas(catalog) {
  return (await api("GET", "/api/2.1/unity-catalog/schemas?catalog_name=" + encodeURIComponent(catalog))).schemas || [];
}

export async function listTables(catalog, schema) {
  const q = "catalog_name=" + encodeURIComponent(catalog) + "&schema_name=" + encodeURIComponent(schema);
  return (await api("GET", "/api/2.1/unity-catalog/tables?" + q)).tables || [];
}

export async function getTable(full) {
  return api("GET", "/api/2.1/unity-catalog/tables/" + encodeURIComponent(full));
}

// allTables lists every table the caller may see outside the system
// catalog, for the Connect page.
export async function allTables() {
  const out = [];
  for (const c of await listCatalogs()) {
    if (c.name === "system") continue;
    for (const s of await listSchemas(c.name).catch(() => [])) {
      out.push(...(await listTables(c.name, s.name).catch(() => [])));
    }
  }
  return out;
}

// exampleRecord builds a JSON record for a table from its columns' Spark
// JSON types (UC's type_json), in zbemu's JSON encodings: integers for the
// integer types, DATE as days and TIMESTAMP as microseconds since the
// epoch, DECIMAL as a string, BINARY as base64.
export function exampleRecord(columns) {
  const rec = {};
  for (const c of columns) {
    let t;
    try { t = JSON.parse(c.type_json).type; } catch { t = (c.type_name || "string").toLowerCase(); }
    rec[c.name] = exampleValue(t, c.name);
  }
  return rec;
}

function exampleValue(t, name) {
  if (typeof t === "object" && t) {
    if (t.type === "array") return [exampleValue(t.elementType, name)];
    if (t.type === "map") return { key: exampleValue(t.valueType, name) };
    if (t.type === "struct") {
      const o = {};
      for (const f of t.fields) o[f.name] = exampleValue(f.type, f.name);
      return o;
    }
    return null;
  }
  const now = Date.now();
  const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) {
    const scale = Number(dec[2]);
    return "1" + (scale > 0 ? "." + "0".repeat(scale) : "");
  }
  switch (t) {
    case "byte": case "short": case "integer": case "long": return 1;
    case "float": case "double": return 21.5;
    case "boolean": return true;
    case "binary": return "aGVsbG8=";
    case "date": return Math.floor(now / 86400000);
    case "timestamp": case "timestamp_ntz": return now * 1000;
    case "variant": return { any: "json" };
    default: return name.includes("id") ? name + "-1" : "text";
  }
}
