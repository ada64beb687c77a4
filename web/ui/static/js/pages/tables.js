import { api } from "../api.js";

// Shared look-ups of the Unity Catalog REST API, which serves the system
// catalog like any other (system.lakeflow.*, system.zbemu.*): the pages
// read catalogs, schemas and tables only through it, as a script would.

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
