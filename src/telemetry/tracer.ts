// The harness's tracer, asked of the global provider at each use: a no-op until an SDK is registered.
import { trace, type Tracer } from '@opentelemetry/api';
import { tracerName } from './attributes.ts';

/** Looked up when needed (not kept), so a provider registered after import is still the one used. */
export function harnessTracer(): Tracer {
  return trace.getTracer(tracerName);
}
