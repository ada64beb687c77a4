'use strict';

// otel.js sends spans, log records and metrics of every type the
// OpenTelemetry JavaScript SDK makes (sum, up-down sum, gauge, histogram,
// exponential histogram) to zbemu through the official OTLP exporters
// (@opentelemetry/exporter-{trace,logs,metrics}-otlp-{grpc,http}, versions
// pinned in package.json): gRPC speaks protobuf, the -http exporters
// OTLP/JSON.
//
// It reads ONE JSON scenario from stdin:
//   {"url": "http://127.0.0.1:PORT", "transport": "grpc"|"http",
//    "token": "...", "service": "checkout",
//    "tables": {"traces": "c.s.p_otel_spans", "logs": ..., "metrics": ...}}
// A signal whose table is absent is not sent; a table of "" sends no table
// header. It prints ONE JSON object: for each signal sent, {"code": 0|1,
// "error": "..."} as the exporter reported the export (0 = SUCCESS).
// Headers are given as users give them, through
// OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS.

const { SpanKind, SpanStatusCode, ROOT_CONTEXT, trace } = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { TracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace');
const { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } = require('@opentelemetry/sdk-logs');
const { MeterProvider, MetricReader, AggregationType } = require('@opentelemetry/sdk-metrics');

function exporterFor(signal, transport, url) {
  const kind = { traces: 'trace', logs: 'logs', metrics: 'metrics' }[signal];
  const mod = require(`@opentelemetry/exporter-${kind}-otlp-${transport}`);
  const Exporter = mod.OTLPTraceExporter || mod.OTLPLogExporter || mod.OTLPMetricExporter;
  // gRPC takes the server address; OTLP/HTTP the signal's path.
  return new Exporter({ url: transport === 'grpc' ? url : `${url}/v1/${signal}`, timeoutMillis: 60000 });
}

// exportWith hands items to the exporter and resolves with its result.
function exportWith(exporter, items) {
  return new Promise((resolve) => {
    exporter.export(items, (r) => resolve({ code: r.code, error: r.error ? String(r.error.message || r.error) : undefined }));
  });
}

function setHeaders(signal, sc) {
  const h = [`authorization=Bearer ${sc.token}`];
  if (sc.tables[signal]) h.push(`x-databricks-zerobus-table-name=${sc.tables[signal]}`);
  process.env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`] = h.join(',');
}

async function traces(sc, resource) {
  const mem = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: mem })] });
  const tracer = provider.getTracer('zbemu-test', '1.2.3');
  const root = tracer.startSpan('GET /cart', {
    kind: SpanKind.SERVER,
    attributes: { 'http.method': 'GET', 'http.status_code': 200, 'http.route': '/cart', retries: [1, 2] },
  });
  root.addEvent('cache.miss', { key: 'cart:42' });
  root.setStatus({ code: SpanStatusCode.OK });
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  const child = tracer.startSpan('SELECT carts', {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system': 'postgresql' },
    links: [{ context: root.spanContext(), attributes: { reason: 'follows' } }],
  }, ctx);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
  child.end();
  root.end();
  await provider.forceFlush();
  return exportWith(exporterFor('traces', sc.transport, sc.url), mem.getFinishedSpans());
}

async function logs(sc, resource) {
  const mem = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: mem })] });
  const logger = provider.getLogger('zbemu-test', '1.2.3');
  logger.emit({ severityNumber: 9, severityText: 'INFO', body: 'cart loaded', attributes: { 'user.id': 'u1' } });
  logger.emit({ severityNumber: 17, severityText: 'ERROR', body: { error: 'timeout', ms: 250 }, eventName: 'db.error' });
  await provider.forceFlush();
  return exportWith(exporterFor('logs', sc.transport, sc.url), mem.getFinishedLogRecords());
}

class CollectReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

async function metrics(sc, resource) {
  const reader = new CollectReader();
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('zbemu-test', '1.2.3');
  meter.createCounter('requests', { unit: '1', description: 'requests served' }).add(5, { route: '/cart' });
  meter.createUpDownCounter('queue.depth').add(-2, { queue: 'q1' });
  meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'lab' });
  const h = meter.createHistogram('latency', { unit: 'ms' });
  for (const v of [3, 7, 120]) h.record(v, { route: '/cart' });
  const e = meter.createHistogram('latency.exp', { unit: 'ms' });
  for (const v of [0.5, 2, 8, 1000]) e.record(v);
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length) throw new Error(`collect: ${errors}`);
  return exportWith(exporterFor('metrics', sc.transport, sc.url), resourceMetrics);
}

async function main() {
  const sc = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const resource = resourceFromAttributes({ 'service.name': sc.service, 'deployment.environment': 'ci' });
  const out = {};
  for (const [signal, run] of [['traces', traces], ['logs', logs], ['metrics', metrics]]) {
    if (sc.tables[signal] === undefined) continue;
    setHeaders(signal, sc);
    out[signal] = await run(sc, resource);
  }
  process.stdout.write(JSON.stringify(out));
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`otel.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
