import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { oneStepWorkflow } from '../steps/fixtures.ts';

let sim: Simulator | undefined;
afterEach(async () => { await sim?.close(); sim = undefined; });

describe('smoke', () => {
  it('runs one model step to done against the simulator', async () => {
    sim = await startSimulator({ seed: 3 });
    const store = new FileStore({ dir: mkdtempSync(join(tmpdir(), 'harness-')) });
    const wf = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 2000 } });
    const record = await runWorkflow({ store, workflow: wf, modulePath: '/x.ts', input: { question: 'why?' }, pool: null });
    console.log(JSON.stringify(record, null, 1).slice(0, 3000));
    expect(record.status).toBe('done');
  });
});
