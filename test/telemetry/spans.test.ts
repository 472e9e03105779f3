// Spans of a real run against the Ollama simulator: run and call spans, their GenAI attributes, parents and traces.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { runSpanContext } from '../../src/telemetry/index.ts';
import { invalidReply, modulePath, oneStepWorkflow, small, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { attributeText, useInMemorySpans } from './otel.ts';

const spans = useInMemorySpans();
const simulator = useSimulators();
const input = { question: 'What is six times seven?' };

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('a run traced', () => {
  it('makes a run span and, under it, a CLIENT chat span per call with the GenAI attributes', async () => {
    const sim = await simulator({ script: { '*': () => validReply('42', 0.9) } });
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000, maxTokens: 256, temperature: 0.2 } });
    const record = await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input });
    expect(record.status).toBe('done');

    const run = spans.one('invoke_workflow');
    expect(run.name).toBe('invoke_workflow one-step');
    expect(run.kind).toBe(SpanKind.INTERNAL);
    expect(run.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'harness.run_id': record.runId,
      'harness.workflow': 'one-step',
      'harness.status': 'done',
      'harness.resumed': false,
      'harness.epoch': 1,
      'harness.usage.calls': 1,
    });

    const call = spans.one('chat');
    expect(call.name).toBe(`chat ${small}`);
    expect(call.kind).toBe(SpanKind.CLIENT);
    const paid = record.journal[0]?.result;
    expect(paid).toBeDefined();
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'ollama',
      'gen_ai.request.model': small,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': small,
      'gen_ai.response.finish_reasons': ['stop'],
      // The tokens the journal says were paid, and nothing else.
      'gen_ai.usage.input_tokens': paid?.tokensIn,
      'gen_ai.usage.output_tokens': paid?.tokensOut,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(sim.url).port),
      'harness.run_id': record.runId,
      'harness.step': 'ask',
      'harness.attempt': 1,
      'harness.ladder_rung': 0,
      'harness.replayed': false,
    });
    expect(paid?.tokensIn).toBeGreaterThan(0);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes['error.type']).toBeUndefined();

    // Parent links: the call is a child of the drive's span, in the trace derived from the run id.
    expect(parentOf(call)).toBe(run.spanContext().spanId);
    expect(call.spanContext().traceId).toBe(run.spanContext().traceId);
    expect(run.spanContext().traceId).toBe(runSpanContext(record.runId).traceId);
    expect(parentOf(run)).toBe(runSpanContext(record.runId).spanId);
  });

  it('marks a failed attempt with error.type (the call error kind) and escalates to a span for the next rung', async () => {
    const sim = await simulator({ script: { [small]: () => invalidReply, '*': () => validReply() } });
    const workflow = oneStepWorkflow({ maxRetries: 0, config: { host: sim.url, timeoutMs: 3000 } });
    const record = await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input });
    expect(record.status).toBe('done');
    const calls = spans.named('chat');
    expect(calls.map((s) => s.name)).toEqual([`chat ${small}`, 'chat qwen2.5-coder:32b']);
    const [failed, ok] = calls as [ReadableSpan, ReadableSpan];
    expect(failed.attributes['error.type']).toBe('invalid-output');
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes['harness.ladder_rung']).toBe(0);
    expect(ok.attributes['harness.ladder_rung']).toBe(1);
    expect(ok.attributes['error.type']).toBeUndefined();
    // Every call's tokens, summed, are the run's usage.
    const tokensIn = calls.reduce((sum, s) => sum + Number(s.attributes['gen_ai.usage.input_tokens']), 0);
    expect(tokensIn).toBe(record.usage.tokensIn);
    const run = spans.one('invoke_workflow');
    for (const call of calls) expect(parentOf(call)).toBe(run.spanContext().spanId);
  });

  it('puts the step\'s score on the call span', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const workflow = oneStepWorkflow({ scorer: () => ({ value: 0.75, reasons: ['terse'] }), threshold: 0.5, config: { host: sim.url, timeoutMs: 3000 } });
    const record = await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input });
    expect(record.status).toBe('done');
    expect(spans.one('chat').attributes['harness.score']).toBe(0.75);
  });

  it('records a connection failure as error.type connection on the span and failed on the run', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const url = sim.url;
    await sim.close(); // nobody listens there any more
    const workflow = oneStepWorkflow({ ladder: [small], maxRetries: 0, outage: { parkAfterMs: 0 }, config: { host: url, timeoutMs: 1000 } });
    const record = await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input, outage: { parkAfterMs: 0 } });
    const call = spans.named('chat')[0];
    expect(call?.attributes['error.type']).toBe('connection');
    expect(call?.attributes['gen_ai.usage.input_tokens']).toBe(0);
    expect(spans.one('invoke_workflow').attributes['harness.status']).toBe(record.status);
  });
});

describe('a resumed run', () => {
  it('continues the first drive\'s trace; the journaled call is a replayed span with no tokens counted again', async () => {
    const stop = new AbortController();
    const sim = await simulator({
      latency: { ttftMs: 150 },
      script: {
        '*': () => {
          stop.abort(); // the request has reached the server: stop the run while it is in flight
          return validReply('resumed');
        },
      },
    });
    const store = new MemoryStore();
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    const stopped = await runWorkflow({ store, workflow, modulePath, input, signal: stop.signal });
    expect(stopped.status).toBe('stopped');
    const first = spans.one('invoke_workflow');
    const paid = spans.one('chat');
    expect(first.attributes['harness.status']).toBe('stopped');
    expect(paid.attributes['harness.replayed']).toBe(false);

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow });
    expect(resumed.status).toBe('done');
    expect(sim.stats().completed).toBe(1); // nothing paid twice

    const drives = spans.named('invoke_workflow');
    expect(drives).toHaveLength(2);
    const second = drives[1] as ReadableSpan;
    expect(second.spanContext().traceId).toBe(first.spanContext().traceId);
    expect(second.spanContext().spanId).not.toBe(first.spanContext().spanId);
    expect(second.attributes).toMatchObject({ 'harness.resumed': true, 'harness.epoch': 2, 'harness.status': 'done' });

    const calls = spans.named('chat');
    expect(calls).toHaveLength(2);
    const replayed = calls[1] as ReadableSpan;
    expect(replayed.attributes['harness.replayed']).toBe(true);
    expect(replayed.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(replayed.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    expect(replayed.attributes['gen_ai.request.model']).toBe(small);
    expect(parentOf(replayed)).toBe(second.spanContext().spanId);
    // Tokens counted over both drives are the journal's, once.
    const counted = calls.reduce((sum, s) => sum + Number(s.attributes['gen_ai.usage.input_tokens'] ?? 0), 0);
    expect(counted).toBe(resumed.usage.tokensIn);
  });
});

describe('content and credentials', () => {
  it('records no prompt or reply unless opted in', async () => {
    const sim = await simulator({ script: { '*': () => validReply('secret-answer') } });
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input, telemetry: { content: false } });
    const call = spans.one('chat');
    expect(call.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(call.attributes['gen_ai.output.messages']).toBeUndefined();
    expect(attributeText(spans.all())).not.toContain('six times seven');
    expect(attributeText(spans.all())).not.toContain('secret-answer');
  });

  it('records them as gen_ai.input.messages / gen_ai.output.messages when opted in', async () => {
    const sim = await simulator({ script: { '*': () => validReply('forty-two') } });
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input, telemetry: { content: true } });
    const call = spans.one('chat');
    expect(JSON.parse(String(call.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: input.question }] },
    ]);
    const output = JSON.parse(String(call.attributes['gen_ai.output.messages'])) as { role: string; parts: { content: string }[]; finish_reason: string }[];
    expect(output[0]?.role).toBe('assistant');
    expect(output[0]?.finish_reason).toBe('stop');
    expect(output[0]?.parts[0]?.content).toContain('forty-two');
  });

  it('never puts a host\'s credentials in server.address or anywhere else', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const url = new URL(sim.url);
    const host = `http://alice:hunter2@${url.host}`;
    const workflow = oneStepWorkflow({ config: { host, timeoutMs: 3000 } });
    await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input });
    const call = spans.one('chat');
    expect(call.attributes['server.address']).toBe('127.0.0.1');
    expect(call.attributes['server.port']).toBe(Number(url.port));
    expect(attributeText(spans.all())).not.toMatch(/alice|hunter2/);
  });
});
