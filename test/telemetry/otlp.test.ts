// The CLI's SDK: spans exported as OTLP/HTTP JSON to a collector, in-process and from `harness run` with --otel.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { startOtlpTracing, tracesEndpoint } from '../../src/telemetry/sdk.ts';
import { runSpanContext } from '../../src/telemetry/trace-id.ts';
import { modulePath, oneStepWorkflow, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { fixture, harness, readRun, tempDir } from '../cli/harness.ts';

const simulator = useSimulators();

interface OtlpSpan {
  name: string;
  traceId: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface OtlpBody {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A stand-in collector: keeps each request's path and JSON body. */
async function collector(): Promise<{ url: string; requests: { path: string; body: OtlpBody }[]; server: Server }> {
  const requests: { path: string; body: OtlpBody }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body: JSON.parse(text) as OtlpBody });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const spansOf = (requests: { body: OtlpBody }[]) =>
  requests.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
const serviceNames = (requests: { body: OtlpBody }[]) =>
  requests.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.resource.attributes.filter((a) => a.key === 'service.name').map((a) => a.value.stringValue)));

describe('OTLP export', () => {
  it('reads the endpoint the way the OTLP exporters do', () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toBe('http://c:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' })).toBe('http://t/x');
    expect(tracesEndpoint({})).toBeUndefined();
  });

  it('sends a run\'s spans to OTEL_EXPORTER_OTLP_ENDPOINT and flushes them on shutdown', async () => {
    const otlp = await collector();
    const tracing = startOtlpTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
    expect(tracing.registered).toBe(true);
    const sim = await simulator({ script: { '*': () => validReply() } });
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    const record = await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input: { question: 'q' } });
    await tracing.shutdown();
    expect(otlp.requests.every((r) => r.path === '/v1/traces')).toBe(true);
    const spans = spansOf(otlp.requests);
    expect(spans.map((s) => s.name).sort()).toEqual(['chat qwen2.5-coder:7b', 'invoke_workflow one-step']);
    expect(new Set(spans.map((s) => s.traceId.toLowerCase()))).toEqual(new Set([runSpanContext(record.runId).traceId]));
    expect(serviceNames(otlp.requests)).toContain('harness');
  });

  it('`harness run --otel` exports the run before it exits', { timeout: 60_000 }, async () => {
    const otlp = await collector();
    const sim = await simulator({ script: { '*': () => validReply() } });
    const env = { ollamaHost: sim.url, snapshots: tempDir() };
    const result = await harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--run-id', 'otel-1', '--otel'], env, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/custom/traces`,
      OTEL_SERVICE_NAME: 'harness-test',
    });
    expect(result.code).toBe(0);
    const record = await readRun(env, 'otel-1');
    expect(record.status).toBe('done');
    expect(otlp.requests.map((r) => r.path)).toContain('/custom/traces');
    const spans = spansOf(otlp.requests);
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['invoke_workflow quick', 'chat qwen2.5-coder:7b']));
    expect(serviceNames(otlp.requests)).toContain('harness-test');
  });
});
