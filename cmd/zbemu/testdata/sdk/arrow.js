'use strict';

// arrow.js runs one Arrow stream scenario through the official Zerobus SDK's
// createArrowStream, with record batches built by apache-arrow (both pinned
// in package.json).
//
// Scenario (JSON on stdin):
//   {endpoint, clientId, clientSecret, table,
//    fields: [{name, type, nullable}],   // type: a key of ArrowDataType
//    batches: [[row, ...], ...],         // rows: objects by field name
//    repeat: N,                          // optional: send each batch N times
//    flush: bool,                        // flush after ingesting
//    close: bool,                        // close at the end
//    noWait: bool,                       // do not wait for each offset
//    options: {...}}                     // ArrowStreamConfigurationOptions
// Values: numbers; strings for strings, decimals and variants; base64 for
// binaries; integer days for date32; integer microseconds for timestamps;
// 64-bit integers as decimal strings.
//
// Result (JSON on stdout): {created, createError, offsets: [..], acked: [..],
// errors: [{batch, error}], flushError, closeError}. SDK failures are data:
// the exit code is 0 unless the scenario could not be run.

const path = require('path');
const arrow = require('apache-arrow');

const sdkMod = require(path.join(
  __dirname,
  'node_modules/@databricks/zerobus-ingest-sdk-linux-x64-gnu/zerobus-ingest-sdk.linux-x64-gnu.node',
));

function errMessage(e) {
  if (e === null || e === undefined) return String(e);
  return e.message !== undefined ? String(e.message) : String(e);
}

// arrowType is the apache-arrow type the SDK's ArrowDataType names.
function arrowType(name) {
  switch (name) {
    case 'Boolean': return new arrow.Bool();
    case 'Int8': return new arrow.Int8();
    case 'Int16': return new arrow.Int16();
    case 'Int32': return new arrow.Int32();
    case 'Int64': return new arrow.Int64();
    case 'Float32': return new arrow.Float32();
    case 'Float64': return new arrow.Float64();
    case 'Utf8': return new arrow.Utf8();
    case 'LargeUtf8': return new arrow.LargeUtf8();
    case 'Binary': return new arrow.Binary();
    case 'LargeBinary': return new arrow.LargeBinary();
    case 'Date32': return new arrow.DateDay();
    case 'TimestampMicros': return new arrow.TimestampMicrosecond('UTC');
    default: throw new Error(`unsupported field type ${name}`);
  }
}

// value converts a scenario value to what apache-arrow takes for the type.
function value(name, v) {
  if (v === null || v === undefined) return null;
  switch (name) {
    case 'Binary':
    case 'LargeBinary': return Uint8Array.from(Buffer.from(v, 'base64'));
    default: return v;
  }
}

// raw is how the 64-bit and date columns are built: straight from their
// values, since apache-arrow's builders take timestamps in milliseconds
// (sub-millisecond digits would be lost) and 64-bit integers as BigInt.
const raw = { Int64: BigInt64Array, TimestampMicros: BigInt64Array, Date32: Int32Array };

function rawData(type, Ctor, vals) {
  const values = new Ctor(vals.length);
  const bitmap = new Uint8Array((vals.length + 7) >> 3);
  let nulls = 0;
  vals.forEach((v, i) => {
    if (v === null || v === undefined) {
      nulls++;
      return;
    }
    values[i] = Ctor === BigInt64Array ? BigInt(v) : v;
    bitmap[i >> 3] |= 1 << (i & 7);
  });
  return arrow.makeData({ type, length: vals.length, nullCount: nulls, data: values, nullBitmap: nulls ? bitmap : null });
}

// ipcBatch builds the IPC stream of one record batch of rows.
function ipcBatch(fields, rows) {
  const schema = new arrow.Schema(fields.map((f) => new arrow.Field(f.name, arrowType(f.type), f.nullable !== false)));
  const children = fields.map((f, i) => {
    const vals = rows.map((r) => value(f.type, r[f.name]));
    if (raw[f.type]) return rawData(schema.fields[i].type, raw[f.type], vals);
    return arrow.vectorFromArray(vals, schema.fields[i].type).data[0];
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children });
  const batch = new arrow.RecordBatch(schema, data);
  return Buffer.from(arrow.tableToIPC(new arrow.Table([batch]), 'stream'));
}

async function run(sc) {
  const res = { created: false, offsets: [], acked: [], errors: [] };
  const sdk = new sdkMod.ZerobusSdk(sc.endpoint, sc.endpoint);
  const props = {
    tableName: sc.table,
    schemaFields: sc.fields.map((f) => ({ name: f.name, dataType: sdkMod.ArrowDataType[f.type], nullable: f.nullable !== false })),
  };
  let stream;
  try {
    stream = await sdk.createArrowStream(props, sc.clientId, sc.clientSecret, sc.options || {});
    res.created = true;
  } catch (e) {
    res.createError = errMessage(e);
    return res;
  }
  const bufs = (sc.batches || []).map((rows) => ipcBatch(sc.fields, rows));
  const repeat = sc.repeat || 1;
  const pending = [];
  for (let r = 0; r < repeat; r++) {
    for (let i = 0; i < bufs.length; i++) {
      try {
        const off = await stream.ingestBatch(bufs[i]);
        res.offsets.push(Number(off));
        if (!sc.noWait) {
          await stream.waitForOffset(off);
          res.acked.push(Number(off));
        } else {
          pending.push(off);
        }
      } catch (e) {
        res.errors.push({ batch: r * bufs.length + i, error: errMessage(e) });
        break;
      }
    }
  }
  if (sc.flush) {
    try {
      await stream.flush();
      for (const off of pending) res.acked.push(Number(off));
    } catch (e) {
      res.flushError = errMessage(e);
    }
  }
  if (sc.printAcked) process.stdout.write(JSON.stringify({ acked: res.acked.length }) + '\n');
  if (sc.hang) await new Promise(() => {});
  if (sc.close) {
    try {
      await stream.close();
      res.closed = stream.isClosed;
    } catch (e) {
      res.closeError = errMessage(e);
    }
  }
  return res;
}

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  run(JSON.parse(input)).then(
    (res) => { process.stdout.write(JSON.stringify(res) + '\n'); process.exit(0); },
    (e) => { process.stderr.write(`arrow.js: ${e && e.stack ? e.stack : e}\n`); process.exit(1); },
  );
});
