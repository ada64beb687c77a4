// lakeview.js drives zbemu's Lakeview API with the official Databricks SDK
// for JavaScript (@databricks/sdk-experimental): create, get, list, update,
// publish, trash. Input on stdin: {"host", "token", "serialized"}; output on
// stdout: JSON with what each call returned, or {"error": ...}.
const { WorkspaceClient } = require("@databricks/sdk-experimental");

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const w = new WorkspaceClient({ host: input.host, token: input.token, authType: "pat" });
  const out = {};
  const created = await w.lakeview.create({
    dashboard: { display_name: "From the SDK", serialized_dashboard: input.serialized, warehouse_id: "w-sdk", parent_path: "/Users/sdk" },
  });
  out.created = created;
  out.got = await w.lakeview.get({ dashboard_id: created.dashboard_id });
  out.listed = [];
  for await (const d of w.lakeview.list({ page_size: 1 })) {
    out.listed.push(d.display_name);
  }
  // The SDK's ApiClient sends a body with POST and PUT only, so its PATCH
  // arrives empty; zbemu refuses it, naming the cause, instead of
  // answering 200 without changing anything.
  try {
    await w.lakeview.update({ dashboard_id: created.dashboard_id, dashboard: { display_name: "Renamed by the SDK", etag: created.etag } });
    out.update = "accepted";
  } catch (e) {
    out.update = { name: e.name, errorCode: e.errorCode, statusCode: e.statusCode, message: e.message };
  }
  out.published = await w.lakeview.publish({ dashboard_id: created.dashboard_id, embed_credentials: false });
  out.gotPublished = await w.lakeview.getPublished({ dashboard_id: created.dashboard_id });
  await w.lakeview.trash({ dashboard_id: created.dashboard_id });
  out.trashed = await w.lakeview.get({ dashboard_id: created.dashboard_id });
  try {
    await w.lakeview.get({ dashboard_id: "0123456789abcdef0123456789abcdef" });
    out.missing = "found";
  } catch (e) {
    out.missing = { name: e.name, errorCode: e.errorCode, statusCode: e.statusCode, message: e.message };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.stack ? e.stack : e) }));
});
