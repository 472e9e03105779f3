// Whether a CLI command should export traces: `--otel`, or an OTLP endpoint in the environment (no SDK loaded here).
/** `--otel`, or OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT set; never when OTEL_SDK_DISABLED=true. */
export function otelWanted(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return flag === true || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
