// The CLI's OpenTelemetry SDK (`--otel`): a BasicTracerProvider exporting over OTLP/HTTP. Imported lazily, only then.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface OtlpTracing {
  /** False when a provider was already registered (e.g. a `--require`d SDK): its spans go there, ours flushes nothing. */
  registered: boolean;
  /** Sends what is buffered and unregisters; never waits longer than `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`, else the exporter's default. */
export function tracesEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** Registers the provider globally; `service.name` is `harness` unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise. */
export function startOtlpTracing(env: NodeJS.ProcessEnv = process.env): OtlpTracing {
  const url = tracesEndpoint(env);
  const exporter = new OTLPTraceExporter(url !== undefined ? { url } : {});
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': 'harness' })).merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  if (!trace.setGlobalTracerProvider(provider)) {
    void provider.shutdown();
    return { registered: false, shutdown: async () => undefined };
  }
  return {
    registered: true,
    async shutdown(timeoutMs = 5000) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      try {
        // An unreachable collector must not hold the command's exit: what is not sent by then is dropped.
        await Promise.race([provider.shutdown().catch(() => undefined), late]);
      } finally {
        clearTimeout(timer);
        trace.disable();
      }
    },
  };
}
