// pipelines.js drives zbemu's Pipelines API with the official Databricks JS
// SDK (@databricks/sdk-experimental, pinned in package.json), unmodified:
// create a pipeline of SQL files, run one update, wait for it, read the
// pipeline, its updates and its events, delete it when asked.
// Input (stdin, JSON): {host, token, name, catalog, schema, files: [...], fullRefresh, delete}
// Output (stdout, one JSON line): {ok, pipelineId, updateId, state, pipeline, updates, events, error}
"use strict";
const { WorkspaceClient } = require("@databricks/sdk-experimental");

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const out = { ok: false };
  try {
    const w = new WorkspaceClient({ host: input.host, token: input.token, authType: "pat" });
    const created = await w.pipelines.create({
      name: input.name, catalog: input.catalog, schema: input.schema, serverless: true, channel: "CURRENT",
      libraries: input.files.map((p) => ({ file: { path: p } })),
    });
    out.pipelineId = created.pipeline_id;
    const started = await w.pipelines.startUpdate({ pipeline_id: out.pipelineId, full_refresh: !!input.fullRefresh });
    out.updateId = started.update_id;
    for (let i = 0; i < 600; i++) {
      const u = await w.pipelines.getUpdate({ pipeline_id: out.pipelineId, update_id: out.updateId });
      out.state = u.update.state;
      if (["COMPLETED", "FAILED", "CANCELED"].includes(out.state)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    out.pipeline = await w.pipelines.get({ pipeline_id: out.pipelineId });
    out.updates = (await w.pipelines.listUpdates({ pipeline_id: out.pipelineId })).updates;
    out.events = [];
    for await (const e of w.pipelines.listPipelineEvents({ pipeline_id: out.pipelineId, max_results: 10 })) {
      out.events.push(e);
    }
    out.listed = [];
    for await (const p of w.pipelines.listPipelines({})) {
      out.listed.push(p.pipeline_id);
    }
    if (input.delete) {
      await w.pipelines.delete({ pipeline_id: out.pipelineId });
    }
    out.ok = true;
  } catch (e) {
    out.error = String(e && e.message ? e.message : e);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write("pipelines.js: internal error: " + e + "\n");
  process.exit(1);
});
