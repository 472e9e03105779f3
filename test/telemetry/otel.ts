// Test helper: an in-memory OpenTelemetry SDK registered for one test file, and ways to find its finished spans.
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export interface Spans {
  all(): ReadableSpan[];
  named(prefix: string): ReadableSpan[];
  one(prefix: string): ReadableSpan;
}

/** Registers the provider before the file's tests, clears the spans before each, and unregisters it after. */
export function useInMemorySpans(): Spans {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    if (!trace.setGlobalTracerProvider(provider)) throw new Error('another tracer provider is already registered');
  });
  beforeEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
  });
  const all = () => exporter.getFinishedSpans();
  const named = (prefix: string) => all().filter((span) => span.name.startsWith(prefix));
  return {
    all,
    named,
    one(prefix) {
      const found = named(prefix);
      const [span] = found;
      if (found.length !== 1 || !span) throw new Error(`expected one span named ${prefix}…, found ${found.length}: ${all().map((s) => s.name).join(', ')}`);
      return span;
    },
  };
}

/** Every attribute value of every span, as text: for "nothing here contains X" checks. */
export function attributeText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes })));
}
