// conformance.js drives zbemu's workspace APIs with the official Databricks
// SDK for JavaScript (@databricks/sdk-experimental, pinned in package.json),
// unmodified: OAuth M2M and PAT auth, CurrentUser.Me, SQL warehouses,
// catalogs/schemas/tables CRUD and update, grants, statements (parameters,
// failure, async, cancel), tokens, Lakeview and pipelines.
//
// Input (stdin, JSON): {host, token, clientId, clientSecret, warehouseId,
// principal, principalSecret} where principal is the application id of a
// second service principal, holding no grants.
// Output (stdout, one JSON object): one entry per step, by name: {ok: true,
// value} or {ok: false, error: {name, errorCode, statusCode, message}}.
// The Go test (conformance_test.go) asserts on it; this file only records.
//
// The SDK's ApiClient sends a body with POST and PUT only, so its update
// calls (PATCH) arrive empty: each is run through the SDK (recording the
// refusal) and then as a plain PATCH carrying the SDK's own credentials
// (config.authenticate), read back through the SDK.
"use strict";
const { WorkspaceClient } = require("@databricks/sdk-experimental");

const out = {};

function errInfo(e) {
  return { name: e && e.name, errorCode: e && e.errorCode, statusCode: e && e.statusCode, message: String(e && e.message ? e.message : e) };
}

async function step(name, fn) {
  try {
    out[name] = { ok: true, value: await fn() };
  } catch (e) {
    out[name] = { ok: false, error: errInfo(e) };
  }
  return out[name].value;
}

async function collect(iter) {
  const all = [];
  for await (const x of iter) all.push(x);
  return all;
}

// patch sends a PATCH with a JSON body, authenticated by the SDK client w.
async function patch(w, host, path, body) {
  const headers = new Headers({ "Content-Type": "application/json" });
  await w.config.authenticate(headers);
  const res = await fetch(host + path, { method: "PATCH", headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) {
    throw Object.assign(new Error(json.message), { name: "HttpPatchError", errorCode: json.error_code, statusCode: res.status });
  }
  return json;
}

async function waitDone(w, id) {
  for (let i = 0; i < 600; i++) {
    const s = await w.statementExecution.getStatement({ statement_id: id });
    if (!["PENDING", "RUNNING"].includes(s.status.state)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("statement " + id + " did not finish");
}

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const host = input.host;
  const w = new WorkspaceClient({ host, token: input.token, authType: "pat" });
  const m = new WorkspaceClient({ host, clientId: input.clientId, clientSecret: input.clientSecret, authType: "oauth-m2m" });
  const sql = (statement, extra) => w.statementExecution.executeStatement({ statement, warehouse_id: input.warehouseId, wait_timeout: "30s", ...extra });

  // Identity and auth.
  await step("m2m.me", () => m.currentUser.me());
  await step("pat.me", () => w.currentUser.me());
  const other = new WorkspaceClient({ host, clientId: input.principal, clientSecret: input.principalSecret, authType: "oauth-m2m" });
  await step("m2m.other.me", () => other.currentUser.me());
  await step("m2m.other.catalogs.list", async () => (await collect(other.catalogs.list({}))).map((c) => c.name));
  await step("m2m.badSecret.me", () =>
    new WorkspaceClient({ host, clientId: input.principal, clientSecret: "wrong", authType: "oauth-m2m" }).currentUser.me());
  await step("m2m.catalogs.list", async () => (await collect(m.catalogs.list({}))).map((c) => c.name));

  // Warehouses.
  await step("warehouses.list", () => collect(w.warehouses.list({})));
  await step("warehouses.get", () => w.warehouses.get({ id: input.warehouseId }));
  await step("warehouses.get.missing", () => w.warehouses.get({ id: "0123456789abcdef" }));

  // Catalogs.
  await step("catalogs.create", () => w.catalogs.create({ name: "conf", comment: "made by the SDK", properties: { team: "a" } }));
  await step("catalogs.list", async () => (await collect(w.catalogs.list({}))).map((c) => [c.name, c.catalog_type]));
  await step("catalogs.get.system", () => w.catalogs.get({ name: "system" }));
  await step("catalogs.update.sdk", () => w.catalogs.update({ name: "conf", comment: "changed" }));
  await step("catalogs.update.patch", () => patch(w, host, "/api/2.1/unity-catalog/catalogs/conf", { comment: "changed", properties: { team: "b" } }));
  await step("catalogs.get", () => w.catalogs.get({ name: "conf" }));
  await step("catalogs.get.missing", () => w.catalogs.get({ name: "nope" }));

  // Schemas.
  await step("schemas.create", () => w.schemas.create({ name: "s", catalog_name: "conf", comment: "schema" }));
  await step("schemas.list", async () => (await collect(w.schemas.list({ catalog_name: "conf" }))).map((s) => s.full_name));
  await step("schemas.list.system", async () => (await collect(w.schemas.list({ catalog_name: "system" }))).map((s) => s.full_name));
  await step("schemas.get.system", () => w.schemas.get({ full_name: "system.lakeflow" }));
  await step("schemas.update.sdk", () => w.schemas.update({ full_name: "conf.s", comment: "x" }));
  await step("schemas.update.patch", () => patch(w, host, "/api/2.1/unity-catalog/schemas/conf.s", { comment: "changed", properties: { k: "v" } }));
  await step("schemas.get", () => w.schemas.get({ full_name: "conf.s" }));

  // Statements (basics; the Statement API's shapes are covered elsewhere).
  await step("statements.create", () => sql("CREATE TABLE conf.s.t (id INT NOT NULL, name STRING, amount DECIMAL(10,2))"));
  await step("statements.insert.params", () =>
    sql("INSERT INTO conf.s.t VALUES (:id, :name, :amount)", {
      parameters: [{ name: "id", value: "1", type: "INT" }, { name: "name", value: "one" }, { name: "amount", value: "1.50", type: "DECIMAL(10,2)" }],
    }));
  await step("statements.select.params", () => sql("SELECT id, name FROM conf.s.t WHERE id = :id", { parameters: [{ name: "id", value: "1", type: "INT" }] }));
  await step("statements.chunk", async () => {
    const r = await sql("SELECT id FROM conf.s.t");
    return w.statementExecution.getStatementResultChunkN({ statement_id: r.statement_id, chunk_index: 0 });
  });
  await step("statements.failure", () => sql("SELECT * FROM conf.s.missing"));
  await step("statements.async", async () => {
    const r = await sql("SELECT count(*) AS n FROM range(1000)", { wait_timeout: "0s" });
    return { first: r.status.state, done: await waitDone(w, r.statement_id) };
  });
  await step("statements.cancel", async () => {
    const r = await sql("SELECT sum(a.id * b.id) FROM range(100000) a, range(100000) b", { wait_timeout: "0s" });
    await w.statementExecution.cancelExecution({ statement_id: r.statement_id });
    return waitDone(w, r.statement_id);
  });

  // Tables.
  await step("tables.create", () =>
    w.tables.create({ name: "r", catalog_name: "conf", schema_name: "s", table_type: "MANAGED", data_source_format: "DELTA",
      columns: [{ name: "k", type_text: "string", type_name: "STRING", nullable: false }] }));
  await step("tables.list", async () => (await collect(w.tables.list({ catalog_name: "conf", schema_name: "s" }))).map((t) => t.full_name));
  await step("tables.get", () => w.tables.get({ full_name: "conf.s.t" }));
  await step("tables.exists", () => w.tables.exists({ full_name: "conf.s.t" }));
  await step("tables.get.system", () => w.tables.get({ full_name: "system.lakeflow.zerobus_stream" }));
  await step("tables.list.system", async () => (await collect(w.tables.list({ catalog_name: "system", schema_name: "lakeflow" }))).map((t) => t.full_name));
  await step("tables.update.sdk", () => w.tables.update({ full_name: "conf.s.t", owner: input.principal }));
  await step("tables.update.patch", () => patch(w, host, "/api/2.1/unity-catalog/tables/conf.s.t", { owner: input.principal }));
  await step("tables.get.owner", async () => (await w.tables.get({ full_name: "conf.s.t" })).owner);

  // Grants: REST changes are SQL's grants and the other way round.
  await step("grants.update.sdk", () => w.grants.update({ securable_type: "catalog", full_name: "conf", changes: [{ principal: input.principal, add: ["USE_CATALOG"] }] }));
  await step("grants.update.patch", () =>
    patch(w, host, "/api/2.1/unity-catalog/permissions/catalog/conf", { changes: [{ principal: input.principal, add: ["USE_CATALOG", "USE_SCHEMA"] }] }));
  await step("grants.sql.grant", () => sql("GRANT SELECT ON SCHEMA conf.s TO `" + input.principal + "`"));
  await step("grants.get.schema", () => w.grants.get({ securable_type: "schema", full_name: "conf.s" }));
  await step("grants.getEffective.table", () => w.grants.getEffective({ securable_type: "table", full_name: "conf.s.t", principal: input.principal }));
  await step("grants.update.remove", () =>
    patch(w, host, "/api/2.1/unity-catalog/permissions/catalog/conf", { changes: [{ principal: input.principal, remove: ["USE_SCHEMA"] }] }));
  await step("grants.sql.show", () => sql("SHOW GRANTS ON CATALOG conf"));

  // Tokens.
  const created = await step("tokens.create", () => w.tokens.create({ comment: "conformance", lifetime_seconds: 3600 }));
  await step("tokens.list", () => collect(w.tokens.list()));
  if (created) {
    const t = new WorkspaceClient({ host, token: created.token_value, authType: "pat" });
    await step("tokens.use", () => t.currentUser.me());
    await step("tokens.delete", () => w.tokens.delete({ token_id: created.token_info.token_id }));
    await step("tokens.use.revoked", () => t.currentUser.me());
  }

  // Lakeview and pipelines (their own suites drive every call).
  const dashboards = await step("lakeview.list", () => collect(w.lakeview.list({})));
  if (dashboards && dashboards.length) {
    const id = dashboards[0].dashboard_id;
    await step("lakeview.publish", () => w.lakeview.publish({ dashboard_id: id, embed_credentials: false }));
    await step("lakeview.unpublish", () => w.lakeview.unpublish({ dashboard_id: id }));
  }
  await step("pipelines.list", () => collect(w.pipelines.listPipelines({})));
  await step("pipelines.stop.missing", () => w.pipelines.stop({ pipeline_id: "0123abcd-0000-0000-0000-000000000000" }));

  // Clean up, through the SDK too.
  await step("tables.delete", () => w.tables.delete({ full_name: "conf.s.t" }));
  await step("tables.delete.created", () => w.tables.delete({ full_name: "conf.s.r" }));
  await step("tables.exists.deleted", () => w.tables.exists({ full_name: "conf.s.t" }));
  await step("schemas.delete", () => w.schemas.delete({ full_name: "conf.s" }));
  await step("catalogs.delete", () => w.catalogs.delete({ name: "conf", force: true }));
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write("conformance.js: internal error: " + (e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
