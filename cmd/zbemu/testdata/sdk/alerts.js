// alerts.js drives zbemu's SQL alerts with the official Databricks SDK for
// JavaScript (@databricks/sdk-experimental): a webhook notification
// destination, a saved query, an Alerts API v2 alert over it, data that
// crosses the threshold (through the Statement Execution API), the alert
// going TRIGGERED, then update, list and trash. Input on stdin: {"host",
// "token", "hookUrl", "table"}; output on stdout: JSON with what each call
// returned, or {"error": ...}.
const { WorkspaceClient } = require("@databricks/sdk-experimental");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function apiError(e) {
  return { name: e.name, errorCode: e.errorCode, statusCode: e.statusCode, message: e.message };
}

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const w = new WorkspaceClient({ host: input.host, token: input.token, authType: "pat" });
  const out = {};
  const sql = (statement) => w.statementExecution.executeStatement({ statement, warehouse_id: "w", wait_timeout: "30s" });
  // Polls the alert until its state is want, for at most a minute.
  const waitState = async (id, want) => {
    const deadline = Date.now() + 60000;
    for (;;) {
      const a = await w.alertsV2.getAlert({ id });
      if (a.evaluation.state === want || Date.now() > deadline) return a;
      await sleep(100);
    }
  };

  await sql(`CREATE TABLE ${input.table} (device STRING, temp DOUBLE)`);
  await sql(`INSERT INTO ${input.table} VALUES ('d1', 20.5)`);
  out.destination = await w.notificationDestinations.create({
    display_name: "test hook", config: { generic_webhook: { url: input.hookUrl } },
  });
  out.destinations = [];
  for await (const d of w.notificationDestinations.list({})) out.destinations.push(d);
  out.query = await w.queries.create({
    query: { display_name: "Hottest reading", query_text: `SELECT max(temp) AS hottest FROM ${input.table}`, warehouse_id: "w" },
  });
  out.gotQuery = await w.queries.get({ id: out.query.id });
  out.queries = [];
  for await (const q of w.queries.list({ page_size: 1 })) out.queries.push(q.display_name);
  out.alert = await w.alertsV2.createAlert({
    alert: {
      display_name: "Too hot",
      query_text: out.gotQuery.query_text,
      warehouse_id: "w",
      evaluation: {
        comparison_operator: "GREATER_THAN",
        source: { name: "hottest" },
        threshold: { value: { double_value: 80 } },
        empty_result_state: "OK",
        notification: { notify_on_ok: true, subscriptions: [{ destination_id: out.destination.id }] },
      },
      schedule: { quartz_cron_schedule: "* * * * * ?", timezone_id: "UTC" },
    },
  });
  out.ok = await waitState(out.alert.id, "OK");
  await sql(`INSERT INTO ${input.table} VALUES ('d2', 81.5)`);
  out.triggered = await waitState(out.alert.id, "TRIGGERED");
  out.alerts = [];
  for await (const a of w.alertsV2.listAlerts({})) out.alerts.push(a.display_name);
  try {
    await w.alertsV2.updateAlert({ id: out.alert.id, update_mask: "display_name", alert: { display_name: "Renamed" } });
    out.update = "accepted";
  } catch (e) {
    out.update = apiError(e);
  }
  await w.alertsV2.trashAlert({ id: out.alert.id });
  out.trashed = await w.alertsV2.getAlert({ id: out.alert.id });
  out.alertsAfterTrash = [];
  for await (const a of w.alertsV2.listAlerts({})) out.alertsAfterTrash.push(a.display_name);
  await w.queries.delete({ id: out.query.id });
  try {
    await w.alertsV2.getAlert({ id: "00000000-0000-0000-0000-000000000000" });
    out.missing = "found";
  } catch (e) {
    out.missing = apiError(e);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.stack ? e.stack : e) }));
});
