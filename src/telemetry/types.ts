// What a run lends its actors for tracing: the run span's context and whether message content may be recorded.
import type { Context } from '@opentelemetry/api';

/** Set on a run's services by the driver; absent for plain `createActor` (spans then parent to the active context). */
export interface RunTelemetry {
  /** The context holding the drive's run span: model calls and tools of the run start their spans in it. */
  readonly context: Context;
  readonly runId: string;
  /** Record prompts and replies as `gen_ai.input.messages` / `gen_ai.output.messages` (opt-in: they may hold PII). */
  readonly content: boolean;
}

/** Options a caller gives a run's tracing (`DriveHooks.telemetry`). */
export interface TelemetryOptions {
  /** Record message content; default: `HARNESS_OTEL_CONTENT=1` in the environment. */
  content?: boolean;
}

/** The content opt-in: an explicit option wins, else `HARNESS_OTEL_CONTENT=1`. */
export function contentEnabled(options: TelemetryOptions | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return options?.content ?? env.HARNESS_OTEL_CONTENT === '1';
}
