// Without an SDK the API is a no-op: runs work unchanged, nothing records, and only sdk.ts loads SDK packages.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { startRunSpan, withToolSpan } from '../../src/telemetry/index.ts';
import { modulePath, oneStepWorkflow, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const srcDir = new URL('../../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('with no SDK registered', () => {
  it('runs a workflow as before, every span a non-recording no-op', async () => {
    const run = startRunSpan({ runId: 'noop-1', workflow: 'w', resumed: false, content: true });
    expect(trace.getSpan(run.telemetry.context)?.isRecording()).toBe(false);
    run.end({ status: 'done' });
    expect(await withToolSpan('t', {}, (span) => span.isRecording())).toBe(false);

    const sim = await simulator({ script: { '*': () => validReply() } });
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    const record = await runWorkflow({ store: new MemoryStore(), workflow, modulePath, input: { question: 'q' } });
    expect(record.status).toBe('done');
  });

  it('keeps the library path on @opentelemetry/api: only src/telemetry/sdk.ts imports SDK packages', () => {
    const importers = sourceFiles(srcDir).filter((file) => /from '@opentelemetry\/(?!api')/.test(readFileSync(file, 'utf8')));
    expect(importers.map((file) => file.slice(srcDir.length))).toEqual(['telemetry/sdk.ts']);
    // …and it is loaded lazily: nothing imports it statically.
    const staticImports = sourceFiles(srcDir).filter((file) => /^import .*telemetry\/sdk\.ts'/m.test(readFileSync(file, 'utf8')));
    expect(staticImports).toEqual([]);
  });
});
