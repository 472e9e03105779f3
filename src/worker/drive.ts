// One worker's drive of one run, shared by the embedded worker and the queue worker: a model check first, then
// resume, and a run the worker itself stopped handed back to the others.
import { hostsFromEnv, missingModelsMessage, MissingModelsError, preflight } from '../runtime/preflight.ts';
import { resumeWorkflow, workflowOf } from '../runtime/runs.ts';
import type { RunRecord, RunStatus, RunStore } from '../store/index.ts';
import { handBack } from './hand-back.ts';
import type { WorkerOptions } from './types.ts';

/** What both workers hand every drive. */
export type DriveSettings = Pick<WorkerOptions, 'limiter' | 'hosts' | 'outage' | 'stopGraceMs' | 'cwd'>;

/**
 * A run never driven is checked against the hosts this worker calls, as `harness run` checks before it starts: a
 * model no host has is a refusal (MissingModelsError), not calls that fail and escalate.
 */
export async function assertModels(store: RunStore, record: RunRecord, cwd: string | undefined): Promise<void> {
  const { workflow } = await workflowOf(record, cwd ?? process.cwd(), store);
  // The addresses as configured (OLLAMA_HOSTS, else OLLAMA_HOST): a HostSet shows them without their credentials.
  const report = await preflight({ workflow, hosts: hostsFromEnv() });
  if (report.missing.length > 0) throw new MissingModelsError(missingModelsMessage(report), report.missing);
}

/**
 * Resumes the run until it settles; `onActivity` fires at its first checkpoint or call (the run is really taken).
 * A run stopped because this worker is stopping goes back to `running`, for another worker, with the calls the stop
 * cut off named (`cutOff`).
 */
export async function driveRun(
  store: RunStore,
  runId: string,
  settings: DriveSettings,
  signal: AbortSignal,
  onActivity: () => void,
): Promise<{ status: RunStatus; wakeAt: number | null; cutOff?: string[] }> {
  let cutOff: string[] = [];
  const record = await resumeWorkflow({
    store,
    runId,
    signal,
    onStop: (report) => {
      cutOff = report.cutOff;
    },
    limiter: settings.limiter ?? null,
    hosts: settings.hosts ?? null,
    ...(settings.outage ? { outage: settings.outage } : {}),
    ...(settings.stopGraceMs !== undefined ? { stopGraceMs: settings.stopGraceMs } : {}),
    ...(settings.cwd !== undefined ? { cwd: settings.cwd } : {}),
    onCall: onActivity,
    onCheckpoint: onActivity,
    // A wake-up is not a person's "now": each parked step waits for its own retry time, which its timer keeps.
    retryParked: false,
  });
  onActivity();
  const status = record.status === 'stopped' && signal.aborted && (await handBack(store, runId)) ? 'running' : record.status;
  return { status, wakeAt: status === 'running' ? null : (record.wakeAt ?? null), ...(cutOff.length > 0 ? { cutOff } : {}) };
}
