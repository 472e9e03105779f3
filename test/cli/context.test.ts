// What a person sees of context windows: each call's prompt against its num_ctx (`harness show`, the inspector's call
// detail) and a run's compactions with their cost (`harness show`, `harness usage`, the inspector's usage).
import { describe, expect, it } from 'vitest';
import { ContextWindows } from '../../src/llm/context/windows.ts';
import { callDetail } from '../../src/inspect/call-detail.ts';
import { runUsage } from '../../src/inspect/usage.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { inProcess, tempDir } from './harness.ts';
import { useSimulators } from '../helpers/simulators.ts';
import workflow, { script, simModels } from '../runtime/fixtures/compaction-workflow.ts';

const simulator = useSimulators();

describe('context windows in show, usage and the inspector', () => {
  it('shows prompt tokens against num_ctx per call, and the compactions of a run with what they cost', async () => {
    const chunks = 24;
    const sim = await simulator({ models: simModels, script: { '*': script(chunks) } });
    const snapshots = tempDir();
    const saved = process.env.OLLAMA_HOST;
    process.env.OLLAMA_HOST = sim.url;
    const record = await runWorkflow({ store: new FileStore({ dir: snapshots }), workflow, modulePath: 'test/runtime/fixtures/compaction-workflow.ts', input: { chunks }, runId: 'long', windows: new ContextWindows() });
    if (saved === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = saved;
    expect(record.status).toBe('done');
    const { compactions } = record.output as { compactions: number };
    expect(compactions).toBeGreaterThan(0);

    const usage = runUsage(record);
    expect(usage.compactions.calls).toBe(compactions);
    expect(usage.compactions.tokensIn).toBeGreaterThan(0);

    const env = { ollamaHost: sim.url, snapshots };
    const show = await inProcess(['show', 'long'], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^compacted +${compactions} times \\(older turns summarised to stay within the window\\), tokens \\d`, 'm'));
    expect(show.stdout).toMatch(/PROMPT\/CTX/);
    expect(show.stdout).toMatch(/^ {2}reader\/reader\.compact +qwen2\.5-coder:7b +1 +ok +- +\d+\/\d+ +\d+\/(4096|8192) /m);

    const report = await inProcess(['usage', '--json'], env);
    expect((JSON.parse(report.stdout) as { compactions: { calls: number } }).compactions.calls).toBe(compactions);
    const text = await inProcess(['usage'], env);
    expect(text.stdout).toMatch(new RegExp(`^compactions: ${compactions} call\\(s\\), \\d+ tokens in, \\d+ out`, 'm'));

    const summary = record.journal.findIndex((entry) => entry.step.endsWith('.compact'));
    const detail = callDetail(await new FileStore({ dir: snapshots }).read('long'), String(summary));
    expect(detail.context).toMatchObject({ compaction: true, truncated: false, window: 8192 });
    expect(detail.context?.promptTokens).toBeLessThanOrEqual(detail.context?.numCtx ?? 0);
  }, 120_000);
});
