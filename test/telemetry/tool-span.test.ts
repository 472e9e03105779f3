// withToolSpan: an execute_tool span under the run's span (or the active one), errors marked, content opt-in.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startRunSpan, withToolSpan } from '../../src/telemetry/index.ts';
import { useInMemorySpans } from './otel.ts';

const spans = useInMemorySpans();

function runSpan(content = false) {
  return startRunSpan({ runId: 'tools-run-1', workflow: 'agent', resumed: false, content });
}

describe('withToolSpan', () => {
  it('runs the tool in an execute_tool span, a child of the run span, and returns its result', async () => {
    const run = runSpan();
    const result = await withToolSpan('get_weather', { 'gen_ai.tool.call.id': 'call-1' }, () => 'rainy', {
      telemetry: run.telemetry,
      arguments: { city: 'Paris' },
    });
    run.end({ status: 'done' });
    expect(result).toBe('rainy');
    const tool = spans.one('execute_tool');
    const parent = spans.one('invoke_workflow');
    expect(tool.name).toBe('execute_tool get_weather');
    expect(tool.kind).toBe(SpanKind.INTERNAL);
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.id': 'call-1',
      'harness.run_id': 'tools-run-1',
    });
    expect(tool.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(tool.spanContext().traceId).toBe(parent.spanContext().traceId);
    // Content was not opted in.
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(tool.attributes['gen_ai.tool.call.result']).toBeUndefined();
  });

  it('records arguments and result only when the run opted in to content', async () => {
    const run = runSpan(true);
    await withToolSpan('add', {}, () => ({ sum: 3 }), { telemetry: run.telemetry, arguments: { a: 1, b: 2 } });
    run.end({ status: 'done' });
    const tool = spans.one('execute_tool');
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('{"a":1,"b":2}');
    expect(tool.attributes['gen_ai.tool.call.result']).toBe('{"sum":3}');
  });

  it('marks a throwing tool with error.type and rethrows', async () => {
    class ToolTimeout extends Error {
      override name = 'ToolTimeout';
    }
    await expect(withToolSpan('slow', {}, () => Promise.reject(new ToolTimeout('took too long')))).rejects.toThrow('took too long');
    const tool = spans.one('execute_tool');
    expect(tool.attributes['error.type']).toBe('ToolTimeout');
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'took too long' });
    expect(tool.events.map((e) => e.name)).toContain('exception');
  });

  it('outside a run (no telemetry given) is a span of its own trace, parented to the active context', async () => {
    expect(await withToolSpan('lookup', {}, () => 1)).toBe(1);
    const tool = spans.one('execute_tool');
    expect(tool.attributes['harness.run_id']).toBeUndefined();
    expect(tool.parentSpanContext).toBeUndefined();
  });
});
