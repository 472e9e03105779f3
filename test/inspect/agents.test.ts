// Sub-agent diagrams in the run view: a live child machine is drawn from the stored definition, its state marked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runView, subAgentDefinition } from '../../src/inspect/index.ts';
import { runWorkflow, sendToRun } from '../../src/runtime/index.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import workflow from './fixtures/agent.workflow.ts';

const modulePath = fileURLToPath(new URL('./fixtures/agent.workflow.ts', import.meta.url));

describe('run view of a workflow with a sub-agent', () => {
  let sim: Simulator;
  let dir: string;
  let store: FileStore;
  let waiting: RunRecord;
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 3 });
    process.env.OLLAMA_HOST = sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-agents-'));
    store = new FileStore({ dir });
    waiting = await runWorkflow({ store, workflow, modulePath, input: { topic: 'kelp' }, runId: 'agent-run', limiter: null });
  });

  afterAll(async () => {
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the waiting sub-agent with its own active state, besides the root diagram', async () => {
    expect(waiting.status).toBe('waiting');
    const view = runView(await store.read('agent-run'));
    expect(view.active).toEqual(['delegating']);
    expect(view.diagram?.boxes.map((b) => b.path)).toEqual(['', 'delegating', 'done', 'failed']);
    expect(view.children).toEqual([{ id: 'writer', src: 'writer', status: 'active', state: ['approval'] }]);
    expect(view.agents).toHaveLength(1);
    const [agent] = view.agents;
    expect(agent).toMatchObject({ id: 'writer', src: 'writer', kind: 'machine', status: 'active', active: ['approval'], diagramError: null });
    const paths = agent?.diagram?.boxes.map((b) => b.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['', 'drafting', 'approval', 'done', 'flagged']));
    expect(agent?.diagram?.boxes[0]?.id).toBe('writer');
    expect(agent?.diagram?.edges).toEqual(expect.arrayContaining([
      expect.objectContaining({ from: 'approval', to: 'done', label: 'APPROVE' }),
      expect.objectContaining({ from: 'drafting', to: 'approval', label: 'done: draft' }),
    ]));
    // The agent's step ended before it waited: its call is in the journal, labelled with the agent it ran in.
    expect(view.calls.map((c) => [c.step, c.label, c.actor])).toEqual([['draft', 'writer/draft', 'root/writer']]);
  });

  it('draws the sub-agent’s model step under way as a chart of its own, nested under the agent', async () => {
    const stop = new AbortController();
    const stopped = await runWorkflow({
      store, workflow, modulePath, input: { topic: 'tide' }, runId: 'agent-mid', limiter: null, signal: stop.signal,
      onCall: (event) => {
        if (event.type === 'call.start') {
          expect(event.step).toBe('writer/draft');
          stop.abort();
        }
      },
    });
    expect(stopped.status).toBe('stopped');
    const view = runView(await store.read('agent-mid'));
    expect(view.children).toEqual([{ id: 'writer', src: 'writer', status: 'active', state: ['drafting'] }]);
    expect(view.agents.map((a) => [a.id, a.kind, a.active])).toEqual([
      ['writer', 'machine', ['drafting']],
      ['writer/draft', 'step', ['attempting']],
    ]);
    const step = view.agents[1];
    expect(step?.diagram?.boxes[0]?.id).toBe('draft');
    expect(step?.diagram?.boxes.map((b) => b.path)).toEqual(expect.arrayContaining(['attempting', 'deciding', 'backingOff', 'done', 'flagged']));
  });

  it('drops the agent once it has finished and the run has moved on', async () => {
    const done = await sendToRun({ store, runId: 'agent-run', workflow, event: { type: 'APPROVE' }, limiter: null });
    expect(done.status).toBe('done');
    const view = runView(await store.read('agent-run'));
    expect(view.active).toEqual(['done']);
    expect(view.agents).toEqual([]);
  });
});

describe('subAgentDefinition', () => {
  const inner = { id: 'inner', states: { idle: {} } };
  const root = { id: 'outer', states: { a: {} }, actors: { inner, again: { ref: 'outer' } } };

  it('finds a sub-agent by its src, follows a recursive reference to an ancestor, and knows non-machines', () => {
    expect(subAgentDefinition(root, 'inner')).toBe(inner);
    expect(subAgentDefinition(root, 'again', [root])).toBe(root);
    expect(subAgentDefinition(root, 'model:draft')).toBeNull();
    expect(subAgentDefinition({ states: {} }, 'inner')).toBeNull();
  });
});
