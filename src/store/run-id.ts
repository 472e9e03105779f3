// Run ids: validated before they ever become part of a path, and generated readable and sortable.
import { randomBytes } from 'node:crypto';
import { InvalidRunIdError } from './errors.ts';

const runIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

export function assertRunId(runId: string): string {
  if (!runIdPattern.test(runId)) {
    throw new InvalidRunIdError(
      `invalid run id ${JSON.stringify(runId)}: use 1-64 letters, digits, '-' or '_' (no path separators)`,
    );
  }
  return runId;
}

/** `<workflow>-<yyyymmdd-hhmmss>-<8 hex>`: sorts by start time, is safe as a file name, and does not collide in a burst. */
export function newRunId(workflowId: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const prefix = workflowId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 39);
  return `${prefix}-${stamp}-${randomBytes(4).toString('hex')}`;
}
