import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pipeline, { workItemMachine, type PipelineOutput } from '../../machines/feature-pipeline.ts';
import { checkMachine } from '../../src/check/index.ts';
import { resumeWorkflow, runWorkflow, sendToRun } from '../../src/runtime/index.ts';
import type { SimRequest } from '../../src/testing/index.ts';
import { useModelRuns } from '../helpers/runs.ts';

const modulePath = join(import.meta.dirname, '../../machines/feature-pipeline.ts');
const input = { feature: 'CSV export of the orders table', context: 'TypeScript, Express, Postgres.' };

const firstPlan = {
  summary: 'Export orders as CSV through a new endpoint.',
  items: [
    { id: 'csv-writer', title: 'CSV writer', description: 'Serialise rows to RFC 4180 CSV.', acceptance: ['quotes fields with commas'] },
    { id: 'export-route', title: 'Export route', description: 'GET /orders.csv streams the export.', acceptance: ['sets text/csv'] },
    { id: 'export-docs', title: 'Docs', description: 'Document the endpoint.', acceptance: ['README has an example'] },
  ],
};
const secondPlan = {
  summary: 'Export orders as CSV, streamed from a database cursor.',
  items: [
    { id: 'cursor-export', title: 'Cursor export', description: 'Stream rows from a cursor.', acceptance: ['constant memory'] },
    { id: 'export-route', title: 'Export route', description: 'GET /orders.csv.', acceptance: ['sets text/csv'] },
  ],
};

const system = (req: SimRequest) => req.messages.find((m) => m.role === 'system')?.content ?? '';
const userText = (req: SimRequest) => req.messages.findLast((m) => m.role === 'user')?.content ?? '';
const itemOf = (req: SimRequest) => /^Work item: (.*)$/m.exec(userText(req))?.[1] ?? '?';

interface Behaviour {
  /** Titles of items whose check fails on the first implementation, and those whose check always fails. */
  failOnce?: string[];
  failAlways?: string[];
}

/** The pipeline's "models": a plan per round, an implementation per item, checks, a review and a pull request. */
function pipelineScript(requests: SimRequest[], behaviour: Behaviour = {}) {
  return (req: SimRequest): string => {
    requests.push(req);
    const role = system(req);
    if (role.startsWith('You are a tech lead')) return JSON.stringify(userText(req).includes('was rejected') ? secondPlan : firstPlan);
    if (role.startsWith('You are a software engineer')) {
      const item = itemOf(req);
      const revised = userText(req).includes('found these problems');
      return JSON.stringify({ files: [{ path: `src/${item}.ts`, action: 'create', content: `// ${item}${revised ? ' (revised)' : ''}\n` }], notes: `implements ${item}` });
    }
    if (role.startsWith('You check one work item')) {
      const item = itemOf(req);
      const revised = userText(req).includes('(revised)');
      const fails = behaviour.failAlways?.includes(item) || (behaviour.failOnce?.includes(item) && !revised);
      return JSON.stringify(fails ? { passed: false, problems: [`${item}: criterion not met`] } : { passed: true, problems: [] });
    }
    if (role.startsWith('You review the complete implementation')) return JSON.stringify({ summary: 'All items done.', ready: true, concerns: [] });
    if (role.startsWith('Write the pull request')) return JSON.stringify({ title: 'Export orders as CSV', body: '## What\nA CSV export.' });
    throw new Error(`unexpected request: ${role.slice(0, 60)}`);
  };
}

const runs = useModelRuns('harness-pipeline-');

async function start(requests: SimRequest[], behaviour: Behaviour = {}) {
  const { store } = await runs.start({ seed: 5, numParallel: 4, latency: { ttftMs: 25, perTokenMs: 0 }, script: { '*': pipelineScript(requests, behaviour) } });
  return store;
}

const stepsOf = (requests: SimRequest[]) => requests.map((r) => system(r).split(' ').slice(0, 4).join(' '));

describe('machines/feature-pipeline', () => {
  it('passes harness check (pipeline and the work-item sub-agent)', () => {
    expect(checkMachine(pipeline.machine, { sampleInput: input }).filter((f) => f.severity === 'error')).toEqual([]);
    const itemInput = { feature: 'x', item: firstPlan.items[0] };
    expect(checkMachine(workItemMachine, { sampleInput: itemInput }).filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('plans, works two items at a time, reviews, waits for APPROVE, then writes the pull request', async () => {
    const requests: SimRequest[] = [];
    const store = await start(requests);
    const waiting = await runWorkflow({ store, workflow: pipeline, modulePath, input });
    expect(waiting.status).toBe('waiting');
    expect(waiting.snapshot?.value).toBe('awaitingApproval');
    expect(runs.sim?.stats().maxConcurrent).toBe(2);
    expect(requests.filter((r) => system(r).startsWith('You are a software engineer')).map(itemOf).sort()).toEqual(['CSV writer', 'Docs', 'Export route']);

    const done = await sendToRun({ store, runId: waiting.runId, workflow: pipeline, event: { type: 'APPROVE', by: 'dana' } });
    expect(done.status).toBe('done');
    const output = done.output as PipelineOutput;
    expect(output.plan).toEqual(firstPlan);
    expect(output.work.map((w) => [w.id, w.passed, w.revisions])).toEqual([
      ['csv-writer', true, 0],
      ['export-route', true, 0],
      ['export-docs', true, 0],
    ]);
    expect(output.work[0]?.files).toEqual([{ path: 'src/CSV writer.ts', action: 'create', content: '// CSV writer\n' }]);
    expect(output.pullRequest?.title).toBe('Export orders as CSV');
    expect(output.approval).toEqual({ by: 'dana' });
    expect(output.rounds).toBe(1);
    expect(output.flags).toEqual([]);
  });

  it('replans with the person\'s feedback on REJECT, then finishes on APPROVE', async () => {
    const requests: SimRequest[] = [];
    const store = await start(requests);
    const first = await runWorkflow({ store, workflow: pipeline, modulePath, input });
    expect(first.status).toBe('waiting');

    const feedback = 'Do not load every order into memory: stream from a cursor.';
    const second = await sendToRun({ store, runId: first.runId, workflow: pipeline, event: { type: 'REJECT', feedback } });
    expect(second.status).toBe('waiting');
    const plans = requests.filter((r) => system(r).startsWith('You are a tech lead'));
    expect(plans).toHaveLength(2);
    expect(userText(plans[1] as SimRequest)).toContain(`Reviewer feedback: ${feedback}`);
    expect(userText(plans[1] as SimRequest)).toContain('Round 1 was rejected. Its plan: Export orders as CSV through a new endpoint.');

    const done = await sendToRun({ store, runId: first.runId, workflow: pipeline, event: { type: 'APPROVE' } });
    expect(done.status).toBe('done');
    const output = done.output as PipelineOutput;
    expect(output.rounds).toBe(2);
    expect(output.plan).toEqual(secondPlan);
    expect(output.work.map((w) => w.id)).toEqual(['cursor-export', 'export-route']);
    expect(stepsOf(requests).filter((s) => s.startsWith('Write the pull request'))).toHaveLength(1);
  });

  it('revises an item whose check fails once, and flags one that never passes (the run still reaches the person)', async () => {
    const requests: SimRequest[] = [];
    const store = await start(requests, { failOnce: ['CSV writer'], failAlways: ['Docs'] });
    const waiting = await runWorkflow({ store, workflow: pipeline, modulePath, input });
    expect(waiting.status).toBe('waiting');
    expect(waiting.flags).toEqual(['export-docs/check still fails after 1 revision(s)']);
    // The revised implementation was shown the problems the check found.
    const revisions = requests.filter((r) => system(r).startsWith('You are a software engineer') && userText(r).includes('found these problems'));
    expect(revisions.map(itemOf).sort()).toEqual(['CSV writer', 'Docs']);
    expect(userText(revisions.find((r) => itemOf(r) === 'Docs') as SimRequest)).toContain('- Docs: criterion not met');

    const ended = await sendToRun({ store, runId: waiting.runId, workflow: pipeline, event: { type: 'APPROVE' } });
    expect(ended.status).toBe('flagged');
    const output = ended.output as PipelineOutput;
    expect(output.work.map((w) => [w.id, w.passed, w.revisions])).toEqual([
      ['csv-writer', true, 1],
      ['export-route', true, 0],
      ['export-docs', false, 1],
    ]);
  });

  it('stopped in the middle of the fan-out, resumes where it was without paying for a finished call twice', async () => {
    const requests: SimRequest[] = [];
    const store = await start(requests);
    const controller = new AbortController();
    let implementsStarted = 0;
    const stopped = await runWorkflow({
      store,
      workflow: pipeline,
      modulePath,
      input,
      signal: controller.signal,
      onCall: (event) => {
        // Stop once the third item has started: two items are then finished or in flight.
        if (event.type === 'call.start' && event.step.endsWith('/implement') && ++implementsStarted === 3) controller.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.snapshot?.value).toBe('working');
    const paidBefore = stopped.journal.map((e) => e.key);
    expect(paidBefore.length).toBeGreaterThanOrEqual(3); // the plan and at least one item's implement + check

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow: pipeline });
    expect(resumed.status).toBe('waiting');
    const keys = resumed.journal.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.slice(0, paidBefore.length)).toEqual(paidBefore);
    // The plan was made once; every finished call before the stop was replayed from the journal, not re-sent.
    expect(requests.filter((r) => system(r).startsWith('You are a tech lead'))).toHaveLength(1);
    expect(runs.sim?.stats().completed).toBeLessThanOrEqual(resumed.usage.calls + 2);

    const done = await sendToRun({ store, runId: stopped.runId, workflow: pipeline, event: { type: 'APPROVE' } });
    expect(done.status).toBe('done');
    expect((done.output as PipelineOutput).work.map((w) => w.id)).toEqual(['csv-writer', 'export-route', 'export-docs']);
  });
});
