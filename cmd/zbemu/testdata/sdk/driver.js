'use strict';

// driver.js runs one scenario through the official Zerobus SDK (the native
// core of @databricks/zerobus-ingest-sdk, version pinned in package.json).
//
// It reads ONE JSON scenario from stdin and prints ONE JSON result to stdout.
// SDK failures are data: they end up in the result and the exit code is 0.
// Exit code 1 means the scenario could not be understood or the driver
// itself broke; the reason is on stderr. See README.md for the format.

const fs = require('fs');
const path = require('path');
const { descriptorB64, encodeRecord } = require('./descriptor');

const SDK_PATH = path.join(
  __dirname,
  'node_modules/@databricks/zerobus-ingest-sdk-linux-x64-gnu/zerobus-ingest-sdk.linux-x64-gnu.node',
);

const DEFAULT_TIMEOUT_MS = 120000;

// usageError marks scenario mistakes (exit 1), as opposed to SDK failures.
class UsageError extends Error {}

function usage(msg) {
  return new UsageError(msg);
}

// asUsage runs fn and reports any failure as a scenario mistake.
function asUsage(fn, where) {
  try {
    return fn();
  } catch (e) {
    throw e instanceof UsageError ? e : usage(`${where}: ${errMessage(e)}`);
  }
}

function errMessage(e) {
  if (e === null || e === undefined) return String(e);
  if (typeof e === 'string') return e;
  return e.message !== undefined ? String(e.message) : String(e);
}

function toNumber(offset) {
  if (offset === null || offset === undefined) return null;
  return Number(offset);
}

// protoSpec returns the message spec a proto stream's records are encoded with.
function protoSpec(s, i) {
  if (!s.protoFields) return null;
  if (!Array.isArray(s.protoFields)) throw usage(`streams[${i}].protoFields must be an array`);
  return { name: s.protoName || 'Record', fields: s.protoFields, nested: s.protoNested || [] };
}

// prepareStream validates one stream spec and turns its records into what the
// SDK takes: objects/strings for JSON, Buffers for proto.
function prepareStream(s, i) {
  if (!s || typeof s !== 'object') throw usage(`streams[${i}] must be an object`);
  if (typeof s.table !== 'string') throw usage(`streams[${i}].table must be a string`);
  const recordType = s.recordType || 'json';
  if (recordType !== 'json' && recordType !== 'proto') {
    throw usage(`streams[${i}].recordType must be "json" or "proto"`);
  }
  const mode = s.mode || 'batch';
  if (mode !== 'single' && mode !== 'batch') throw usage(`streams[${i}].mode must be "single" or "batch"`);

  let batches = s.batches;
  if (batches === undefined && s.records !== undefined) batches = [s.records];
  if (batches === undefined) batches = [];
  if (!Array.isArray(batches) || !batches.every(Array.isArray)) {
    throw usage(`streams[${i}].batches must be an array of arrays`);
  }

  const spec = recordType === 'proto' ? protoSpec(s, i) : null;
  let descriptor = s.descriptorB64;
  if (recordType === 'proto' && descriptor === undefined && spec) {
    descriptor = descriptorB64(spec);
  }

  const convert = (r, b, k) => {
    if (recordType === 'json') return r;
    if (typeof r === 'string') return Buffer.from(r, 'base64');
    if (r && typeof r === 'object' && spec) return encodeRecord(spec, r);
    throw usage(`streams[${i}].batches[${b}][${k}]: proto records are base64 strings, or objects with protoFields`);
  };
  const prepared = batches.map((batch, b) => batch.map((r, k) => convert(r, b, k)));

  const options = Object.assign({}, s.options || {});
  return {
    table: s.table,
    recordType,
    mode,
    descriptor,
    batches: prepared,
    options,
    headers: s.headers,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    closeAfter: s.closeAfter !== false,
    secondStreamAfterClose: s.secondStreamAfterClose === true,
  };
}

// runOnce creates a stream, ingests every batch, flushes and (optionally)
// closes it. It never throws; failures are reported in the result.
async function runOnce(native, sdk, st, scenario, res, live) {
  const started = Date.now();
  let stream = null;
  let stage = 'create';
  const at = (s) => {
    stage = s;
    live.stage = s;
  };
  try {
    const tableProperties = { tableName: st.table };
    if (st.descriptor !== undefined) tableProperties.descriptorProto = st.descriptor;
    const options = Object.assign({}, st.options, {
      recordType: st.recordType === 'json' ? native.RecordType.Json : native.RecordType.Proto,
    });
    const clientId = st.clientId !== undefined ? st.clientId : scenario.clientId;
    const clientSecret = st.clientSecret !== undefined ? st.clientSecret : scenario.clientSecret;
    const args = [tableProperties, String(clientId || ''), String(clientSecret || ''), options];
    if (Array.isArray(st.headers)) {
      // 1.3.0 needs the [name, value] pairs synchronously.
      const pairs = st.headers.map((h) => [String(h[0]), String(h[1])]);
      args.push({ getHeadersCallback: () => pairs });
    }
    stream = await sdk.createStream(...args);
    res.streamCreated = true;

    at('ingest');
    for (const batch of st.batches) {
      if (st.mode === 'single') {
        for (const r of batch) {
          const off = await stream.ingestRecordOffset(r);
          res.lastOffset = toNumber(off);
          res.queuedRecords++;
          res.requests++;
        }
      } else {
        const off = await stream.ingestRecordsOffset(batch);
        if (off !== null && off !== undefined) {
          res.lastOffset = toNumber(off);
          res.queuedRecords += batch.length;
          res.requests++;
        }
      }
    }

    at('flush');
    await stream.flush();
    res.ackedRecords = res.queuedRecords;

    if (st.closeAfter) {
      at('close');
      await stream.close();
    }
    res.ok = true;
  } catch (e) {
    res.error = errMessage(e);
    res.stage = stage;
    // A failed close() comes after a successful flush: every record is acked.
    if (stream && stage !== 'close') {
      res.ackedRecords = await countAcked(stream, res.queuedRecords);
      if (st.closeAfter) {
        try {
          await stream.close();
        } catch (_) {
          // The stream already failed; the first error is the one reported.
        }
      }
    }
  }
  res.elapsedMs = Date.now() - started;
  live.stage = 'done';
  return res;
}

function newResult() {
  return {
    ok: false,
    streamCreated: false,
    lastOffset: null,
    ackedRecords: 0,
    queuedRecords: 0,
    requests: 0,
    error: null,
    stage: null,
    elapsedMs: 0,
  };
}

// countAcked infers how many queued records were acknowledged on a failed
// stream: the SDK hands back the unacknowledged ones (before close only).
async function countAcked(stream, queued) {
  try {
    const unacked = await stream.getUnackedRecords();
    return Math.max(0, queued - unacked.length);
  } catch (_) {
    return 0;
  }
}

// withTimeout settles with promise's result, or after ms with a snapshot of
// the progress so far (the SDK calls are abandoned; the process exits).
function withTimeout(promise, ms, started, snapshot) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(snapshot(Date.now() - started)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sdkFailure(msg, started) {
  return Object.assign(newResult(), { error: msg, stage: 'sdk', elapsedMs: Date.now() - started });
}

async function runStream(native, sharedSdk, st, scenario, timeoutMs) {
  const started = Date.now();
  let sdk = sharedSdk;
  if (scenario.sdkPerStream) {
    try {
      sdk = new native.ZerobusSdk(scenario.endpoint, scenario.workspaceUrl);
    } catch (e) {
      return sdkFailure(errMessage(e), started);
    }
  }
  if (typeof sdk === 'string') return sdkFailure(sdk, started);

  const first = newResult();
  const live = { stage: 'create', result: first };
  const work = (async () => {
    await runOnce(native, sdk, st, scenario, first, live);
    if (st.secondStreamAfterClose && first.ok) {
      first.second = newResult();
      live.result = first.second;
      live.stage = 'create';
      await runOnce(native, sdk, st, scenario, first.second, live);
      first.ok = first.second.ok;
    }
    return first;
  })();
  const snapshot = (elapsed) => {
    const out = JSON.parse(JSON.stringify(first));
    const cur = live.result === first ? out : out.second;
    const msg = `driver: scenario timed out after ${timeoutMs} ms during ${live.stage}`;
    cur.error = msg;
    cur.stage = 'timeout';
    cur.elapsedMs = elapsed;
    out.ok = false;
    if (cur !== out) {
      out.error = msg;
      out.stage = 'timeout';
    }
    out.elapsedMs = elapsed;
    return out;
  };
  return withTimeout(work, timeoutMs, started, snapshot);
}

// encodeOnly answers {protoFields, records, name?, nested?} without any SDK
// call: the base64 descriptor and records the driver would send.
function encodeOnly(scenario) {
  if (!Array.isArray(scenario.protoFields)) throw usage('protoFields must be an array');
  const spec = { name: scenario.name || 'Record', fields: scenario.protoFields, nested: scenario.nested || [] };
  return {
    descriptorB64: descriptorB64(spec),
    records: (scenario.records || []).map((r) => encodeRecord(spec, r).toString('base64')),
  };
}

async function run(scenario) {
  if (!scenario || typeof scenario !== 'object' || Array.isArray(scenario)) {
    throw usage('scenario must be a JSON object');
  }
  if (scenario.streams === undefined && scenario.protoFields !== undefined) {
    return asUsage(() => encodeOnly(scenario), 'encode');
  }
  if (!Array.isArray(scenario.streams)) throw usage('streams must be an array');
  if (typeof scenario.endpoint !== 'string') throw usage('endpoint must be a string');
  if (typeof scenario.workspaceUrl !== 'string') throw usage('workspaceUrl must be a string');
  const streams = scenario.streams.map((s, i) => asUsage(() => prepareStream(s, i), `streams[${i}]`));
  const timeoutMs = Number(scenario.timeoutMs) > 0 ? Number(scenario.timeoutMs) : DEFAULT_TIMEOUT_MS;

  const native = require(SDK_PATH);
  const started = Date.now();
  let sdk = null;
  if (!scenario.sdkPerStream) {
    try {
      sdk = new native.ZerobusSdk(scenario.endpoint, scenario.workspaceUrl);
    } catch (e) {
      sdk = errMessage(e); // reported per stream
    }
  }
  const results = await Promise.all(streams.map((st) => runStream(native, sdk, st, scenario, timeoutMs)));
  return {
    ok: results.every((r) => r.ok),
    streams: results,
    elapsedMs: Date.now() - started,
  };
}

function main() {
  let scenario;
  try {
    scenario = JSON.parse(fs.readFileSync(0, 'utf8'));
  } catch (e) {
    process.stderr.write(`driver: cannot read scenario from stdin: ${errMessage(e)}\n`);
    process.exit(1);
  }
  run(scenario).then(
    (result) => {
      // The native SDK may keep handles open (timed-out or unclosed
      // streams), so exit explicitly once the result is written.
      process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
    },
    (e) => {
      if (e instanceof UsageError) {
        process.stderr.write(`driver: bad scenario: ${e.message}\n`);
      } else {
        process.stderr.write(`driver: internal error: ${e && e.stack ? e.stack : errMessage(e)}\n`);
      }
      process.exit(1);
    },
  );
}

if (require.main === module) {
  main();
}

module.exports = { run };
