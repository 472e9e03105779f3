// repo-qa against the simulator through runWorkflow and a FileStore: the tools' confinement (every escape refused and
// shown to the model as an error), a full look-and-answer loop with citations, judged and escalated, and harness check.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import repoQa, { type RepoQaOutput } from '../../machines/repo-qa.ts';
import { checkMachine } from '../../src/check/index.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/index.ts';
import type { RunRecord } from '../../src/store/index.ts';
import type { SimMessage, SimReply, SimRequest } from '../../src/testing/index.ts';
import { useModelRuns } from '../helpers/runs.ts';
import { secret, useRepositories } from './repository.ts';

const modulePath = join(import.meta.dirname, '../../machines/repo-qa.ts');
const runs = useModelRuns('harness-repo-qa-');
const repository = useRepositories();

const isJudge = (req: SimRequest): boolean => (req.messages[0]?.content ?? '').startsWith('You are a strict, impartial evaluator');
const toolResults = (req: SimRequest | undefined): SimMessage[] => (req?.messages ?? []).filter((m) => m.role === 'tool');
const call = (name: string, args: Record<string, unknown>) => ({ function: { name, arguments: args } });
const finalAnswer = JSON.stringify({ answer: 'The server listens on port 8080.', citations: [{ file: 'src/server.ts', line: 3 }] });

async function ask(dir: string, script: (req: SimRequest) => string | SimReply) {
  const { store, sim } = await runs.start({ seed: 3, script: { '*': script } });
  const record = await runWorkflow({ store, workflow: repoQa, modulePath, input: { dir, question: 'Which port does the server listen on?' } });
  return { record, output: record.output as RepoQaOutput, sim };
}

describe('machines/repo-qa', () => {
  it('passes harness check', () => {
    expect(checkMachine(repoQa.machine, { sampleInput: { dir: '.', question: 'q' } }).filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('refuses every path that escapes the directory, shows the model why, and never reads outside', async () => {
    const { dir, outside } = await repository();
    const escapes = ['../outside/secret.txt', join(outside, 'secret.txt'), 'link-out.txt', 'dir-out/secret.txt', 'src/../../outside/secret.txt', 'big.log', '/etc/passwd'];
    let seenResults: SimMessage[] = [];
    const { record, output } = await ask(dir, (req) => {
      if (isJudge(req)) return JSON.stringify({ score: 9, reasons: ['cited'] });
      const results = toolResults(req);
      if (results.length === 0) {
        return { content: '', toolCalls: [...escapes.map((path) => call('read_file', { path })), call('read_file', { path: 'link-in.ts' }), call('list_files', { path: '..' })] };
      }
      seenResults = results;
      return finalAnswer;
    });
    expect(record.status).toBe('done');
    expect(output.flags).toEqual([]);
    expect(seenResults).toHaveLength(escapes.length + 2);
    const refused = seenResults.filter((_, i) => i !== escapes.length);
    for (const result of refused) {
      expect(result.content).toMatch(/^error: (refused|not found)/);
      expect(result.content).not.toContain(secret);
    }
    expect(refused[0]?.content).toContain('".."');
    expect(refused[1]?.content).toContain('outside the directory');
    expect(refused[2]?.content).toContain('symlink');
    expect(refused[3]?.content).toContain('symlink');
    expect(refused[5]?.content).toContain('KiB limit');
    // A symlink that stays inside is followed, and lines come numbered.
    expect(seenResults[escapes.length]?.content).toContain('3: export const port = 8080;');
  });

  it('lists, searches and reads, then answers with citations; a weak answer is escalated to the larger model', async () => {
    const { dir } = await repository();
    const seen: SimRequest[] = [];
    const { record, output } = await ask(dir, (req) => {
      if (isJudge(req)) return JSON.stringify(req.messages[0]?.content.includes('port 8080') ? { score: 9, reasons: ['cited'] } : { score: 2, reasons: ['vague'] });
      seen.push(req);
      const results = toolResults(req);
      if (results.length === 0) return { content: '', toolCalls: [call('list_files', {})] };
      if (results.length === 1) return { content: '', toolCalls: [call('search', { pattern: 'listen' }), call('search', { pattern: 'port\\s*=', regex: true })] };
      if (results.length === 3) return { content: '', toolCalls: [call('read_file', { path: 'src/server.ts', startLine: 1, endLine: 4 })] };
      return req.model === 'qwen2.5-coder:7b' ? JSON.stringify({ answer: 'Some port.', citations: [] }) : finalAnswer;
    });
    expect(record.status).toBe('done');
    expect(output).toEqual({ answer: 'The server listens on port 8080.', citations: [{ file: 'src/server.ts', line: 3 }], flags: [] });

    const [listing, byText, byRegex] = toolResults(seen.at(-1));
    expect(listing?.content.split('\n')).toEqual(expect.arrayContaining(['README.md', 'src/', 'src/server.ts', 'link-in.ts']));
    // Symlinks that lead out are not even listed.
    expect(listing?.content).not.toContain('link-out.txt');
    expect(listing?.content).not.toContain('dir-out');
    expect(byText?.content).toContain('src/server.ts:4: http.createServer().listen(port);');
    expect(byRegex?.content).toContain('src/server.ts:3: export const port = 8080;');

    // Every model turn and tool result is in the journal: turns by model, tools as `answer/<tool>`.
    const tools = record.journal.filter((entry) => entry.step.startsWith('answer/')).map((entry) => entry.step);
    expect(tools).toEqual(['answer/list_files', 'answer/search', 'answer/search', 'answer/read_file']);
    const answers = record.journal.filter((entry) => entry.step === 'answer' && entry.result.score !== null);
    expect(answers.map((entry) => [entry.result.model, entry.result.score])).toEqual([['qwen2.5-coder:7b', 0.2], ['qwen2.5-coder:32b', 0.9]]);
  });

  it('flags the run when the judge rejects every model\'s answer', async () => {
    const { dir } = await repository();
    const { record, output } = await ask(dir, (req) => (isJudge(req) ? JSON.stringify({ score: 1, reasons: ['wrong'] }) : finalAnswer));
    expect(record.status).toBe('flagged');
    expect(output.answer).toBeNull();
    expect(record.flags).toEqual([expect.stringMatching(/^answer: ladder exhausted after 2 attempt\(s\)/)]);
  });

  it('a FIFO given to search and read_file is refused, and a graceful stop while they run completes: stopped, then resumed', async () => {
    const { dir } = await repository();
    const seen: SimRequest[] = [];
    const { store } = await runs.start({
      seed: 3,
      script: {
        '*': (req) => {
          if (isJudge(req)) return JSON.stringify({ score: 9, reasons: ['cited'] });
          seen.push(req);
          const results = toolResults(req);
          if (results.length === 0) return { content: '', toolCalls: [call('search', { pattern: 'listen' }), call('search', { pattern: 'x', path: 'src/pipe' }), call('read_file', { path: 'src/pipe' })] };
          return finalAnswer;
        },
      },
    });
    // Stopped once a checkpoint shows the agent acting on the tool calls (before this fix, search was reading the FIFO
    // then, forever, and the stop waited for it forever).
    const controller = new AbortController();
    const acting = (record: RunRecord) => {
      const children = (record.snapshot?.children ?? {}) as Record<string, { snapshot?: { value?: unknown } }>;
      if (children.answer?.snapshot?.value === 'acting') controller.abort();
    };
    const input = { dir, question: 'Which port does the server listen on?' };
    const stopped = await runWorkflow({ store, workflow: repoQa, modulePath, input, runId: 'fifo', signal: controller.signal, stopGraceMs: 2000, onCheckpoint: acting });
    expect(stopped.status).toBe('stopped');

    const done = await resumeWorkflow({ store, runId: 'fifo', workflow: repoQa });
    expect(done.status).toBe('done');
    const [listen, fifoSearch, fifoRead] = toolResults(seen.at(-1));
    expect(listen?.content).toBe('link-in.ts:4: http.createServer().listen(port);\nsrc/server.ts:4: http.createServer().listen(port);');
    expect(fifoSearch?.content).toBe('error: refused: "src/pipe" is not a regular file');
    expect(fifoRead?.content).toBe('error: refused: "src/pipe" is not a regular file');
  });
});
