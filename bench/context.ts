// tokenEstimateError: how far the pre-call token estimate is from what the host counts (prompt_eval_count), over a
// varied corpus of requests, before and after the per-model calibration, against the chars/4 rule of thumb;
// contextCheckMs: what measuring a call against its window costs (plan + reply check), at several prompt sizes.
import { callModel } from '../src/llm/client.ts';
import { estimatePromptTokens } from '../src/llm/context/estimate.ts';
import { ContextWindows } from '../src/llm/context/windows.ts';
import { toolsForOllama } from '../src/llm/tools.ts';
import type { ChatMessage } from '../src/llm/types.ts';
import { startSimulator } from '../src/testing/index.ts';
import { corpus, type CorpusRequest } from './context-corpus.ts';
import { collectGarbage, progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Row } from './report.ts';
import { median } from './stats.ts';

const repetitions = 3;
/** Two vocabularies: qwen (digits one by one) and llama (digits by three, longer pieces). */
const models = ['qwen2.5-coder:7b', 'llama3.2:3b'];

const relative = (estimate: number, truth: number): number => Math.abs(estimate - truth) / truth;

/** The rule of thumb the estimate replaces (and the simulator's old count): four characters a token. */
function charsOver4(request: CorpusRequest): number {
  const tools = request.tools ? JSON.stringify(toolsForOllama(request.tools)).length : 0;
  return Math.ceil((request.messages.reduce((sum, m) => sum + m.content.length + JSON.stringify(m.tool_calls ?? '').length, 0) + tools) / 4);
}

interface Accuracy {
  before: number;
  after: number;
  rule: number;
  byKind: Map<string, number[]>;
}

/** One repetition: a training part calibrates each model, the held-out part is measured. */
async function accuracy(seed: number, size: number): Promise<Accuracy> {
  const sim = await startSimulator({ seed, models, replyTokens: 2 });
  try {
    const requests = corpus(seed, size);
    const training = requests.slice(0, Math.floor(size / 3));
    const measured = requests.slice(training.length);
    const before: number[] = [];
    const after: number[] = [];
    const rule: number[] = [];
    const byKind = new Map<string, number[]>();
    for (const model of models) {
      const windows = new ContextWindows();
      const call = (request: CorpusRequest) => callModel(request.messages, { model, host: sim.url, maxTokens: 8, ...(request.tools ? { tools: request.tools } : {}) }, { windows });
      for (const request of training) await call(request);
      for (const request of measured) {
        const result = await call(request);
        const truth = result.tokensIn;
        const calibrated = result.metadata.context?.estimate;
        if (!result.success && result.metadata.error?.kind !== 'invalid-output') throw new Error(`corpus call failed: ${result.metadata.error?.message}`);
        if (calibrated === undefined || truth === 0) throw new Error('a corpus call has no estimate or no count');
        before.push(relative(estimatePromptTokens(request.messages, request.tools), truth));
        after.push(relative(calibrated, truth));
        rule.push(relative(charsOver4(request), truth));
        const kind = `${model.split(':')[0]} ${request.kind}`;
        byKind.set(kind, [...(byKind.get(kind) ?? []), relative(calibrated, truth)]);
      }
    }
    if (sim.stats().truncations !== 0) throw new Error('a corpus prompt was truncated: its count is not the truth');
    return { before: median(before) * 100, after: median(after) * 100, rule: median(rule) * 100, byKind };
  } finally {
    await sim.close();
  }
}

/** A transcript of about `tokens` tokens: a task, then tool turns of ~500 tokens. */
function transcript(tokens: number): ChatMessage[] {
  const result = 'The survey counted every station along the river twice, once in the morning and once at dusk. '.repeat(22);
  const messages: ChatMessage[] = [{ role: 'system', content: 'You read a long document.' }, { role: 'user', content: 'Add up the values.' }];
  for (let i = 0; estimatePromptTokens(messages) < tokens; i++) {
    messages.push({ role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_chunk', arguments: { index: i } } }] });
    messages.push({ role: 'tool', content: `chunk ${i}: ${result}`, tool_name: 'read_chunk' });
  }
  return messages;
}

/** CPU ms (user + system) spent in `fn`: on a shared machine, wall time measures the neighbours as much as the code. */
async function cpuMs(fn: () => Promise<void>): Promise<{ cpu: number; wall: number }> {
  const wall = performance.now();
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return { cpu: (used.user + used.system) / 1000, wall: performance.now() - wall };
}

/**
 * CPU ms per call of plan + reply check at `tokens` tokens, and the same of a bare async call: `steady` adds one
 * message to an estimated transcript each call (an agent's loop), `cold` gives fresh message objects every call (a
 * transcript just restored from a snapshot).
 */
async function checkCost(windows: ContextWindows, host: string, tokens: number, calls: number, cold: boolean): Promise<{ check: number; bare: number; wall: number }> {
  const base = transcript(tokens);
  const inputs = Array.from({ length: calls }, (_, i): ChatMessage[] => {
    const turn: ChatMessage = { role: 'tool', content: `chunk extra ${i}`, tool_name: 'read_chunk' };
    return cold ? [...structuredClone(base), turn] : [...base, turn];
  });
  // Warm: the model's window is known and the base transcript's messages estimated, as after an agent's first turn.
  await windows.plan({ host, model: models[0] ?? '', messages: base, maxTokens: 1024 });
  // The inputs' garbage is collected before timing, so no loop pays for another's.
  await collectGarbage();
  const noop = async (messages: ChatMessage[]) => messages.length;
  const bare = await cpuMs(async () => {
    for (const messages of inputs) await noop(messages);
  });
  const check = await cpuMs(async () => {
    for (const messages of inputs) {
      const plan = await windows.plan({ host, model: models[0] ?? '', messages, maxTokens: 1024 });
      if (!plan.ok) throw new Error(plan.error.message);
      windows.observe(plan, plan.context.estimate);
    }
  });
  return { check: check.cpu / calls, bare: bare.cpu / calls, wall: check.wall / calls };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const size = quick ? 90 : 270;
  progress('context', `token estimate: ${repetitions} corpora of ${size} requests (a third calibrates) × ${models.length} vocabularies`);
  const runs: Accuracy[] = [];
  for (let rep = 0; rep < repetitions; rep++) runs.push(await accuracy(100 + rep, size));

  const sizes = [1000, 8000, 32000];
  const calls = quick ? 200 : 4000;
  progress('context', `context check: ${repetitions} × ${calls} calls at ${sizes.join(', ')} tokens, steady and cold`);
  const sim = await startSimulator({ models: [{ name: models[0] ?? '', contextLength: 131072 }] });
  const costs = new Map<string, { check: number[]; bare: number[]; wall: number[] }>();
  try {
    const windows = new ContextWindows({ refreshMs: 1e12 });
    // Repetition -1 warms the JIT up and is not kept.
    for (let rep = -1; rep < repetitions; rep++) {
      for (const tokens of sizes) {
        for (const cold of [false, true]) {
          const key = `${tokens}${cold ? ' cold' : ''}`;
          // A cold call copies the whole transcript: fewer of them, or the copies alone would fill the heap.
          const { check, bare, wall } = await checkCost(windows, sim.url, tokens, cold ? Math.max(20, calls / 20) : calls, cold);
          if (rep < 0) continue;
          const entry = costs.get(key) ?? { check: [], bare: [], wall: [] };
          entry.check.push(check - bare);
          entry.bare.push(bare);
          entry.wall.push(wall);
          costs.set(key, entry);
        }
      }
    }
  } finally {
    await sim.close();
  }
  const at = (key: string) => costs.get(key) ?? { check: [0], bare: [0], wall: [0] };
  const rows: Row[] = [...costs].map(([key, c]) => ({
    id: `  contextCheck ${key}`,
    measure: `plan + reply check, ${key.replace(' cold', '')}-token transcript${key.endsWith('cold') ? ', fresh message objects' : ', one new message a call'}`,
    baseline: '-',
    candidate: '-',
    result: `${median(c.check).toFixed(4)} ms CPU [${Math.min(...c.check).toFixed(4)}, ${Math.max(...c.check).toFixed(4)}], ${median(c.wall).toFixed(4)} ms wall`,
    target: 'info',
    verdict: 'info',
  }));
  const kinds = new Map<string, number[]>();
  for (const r of runs) for (const [kind, errors] of r.byKind) kinds.set(kind, [...(kinds.get(kind) ?? []), ...errors]);
  const perKind = [...kinds].map(([kind, errors]) => `${kind} ${(median(errors) * 100).toFixed(1)} %`).join(', ');
  const measure = 'median |estimate − prompt_eval_count| / prompt_eval_count, held-out requests, baseline chars/4';
  return {
    figures: {
      tokenEstimateError: figure(runs.map((r) => r.before), { unit: '%', goal: { op: '<=', target: 10 }, measure: `${measure}; before calibration`, baselines: runs.map((r) => r.rule), candidates: runs.map((r) => r.before) }),
      tokenEstimateErrorCalibrated: figure(runs.map((r) => r.after), { unit: '%', goal: { op: '<=', target: 10 }, measure: `${measure}; after calibrating on a third of the corpus`, baselines: runs.map((r) => r.rule), candidates: runs.map((r) => r.after) }),
      contextCheckMs: figure(at('8000').check, { unit: 'ms', goal: { op: '<=', target: 0.05 }, measure: 'CPU per call of plan + reply check, 8k-token agent transcript (one new message a call), over a bare async call', baselines: at('8000').bare, candidates: at('8000').check }),
      contextCheckColdMs: figure(at('32000 cold').check, { unit: 'ms', goal: null, measure: 'the same (CPU) for a 32k-token transcript of fresh message objects (just restored): every message estimated', baselines: at('32000 cold').bare, candidates: at('32000 cold').check }),
    },
    rows,
    notes: [
      `tokenEstimateError: corpora of prose, code, JSON, tool schemas, many short messages, agent transcripts, number tables, markdown and German/French/Russian/Chinese/Japanese text, ~50 to ~8,000 tokens, against the simulator's tokenizer for qwen and llama vocabularies. After calibration, per vocabulary and kind: ${perKind}.`,
      `contextCheckMs: CPU time (process.cpuUsage), since on a loaded shared machine wall time mostly measures the neighbours (the rows give both); the model's window cached (one /api/show per model and host, refreshed in the background); growth with size is in the rows (steady: per-message estimates cached, so cost follows the new message; cold: follows the transcript).`,
    ],
  };
}
