import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/commands/check.ts';
import { diagramCommand } from '../../src/cli/commands/diagram.ts';
import { UsageError } from '../../src/cli/command.ts';
import { captureIO } from '../helpers/cli-io.ts';

const cwd = fileURLToPath(new URL('./fixtures/', import.meta.url));
const capture = () => captureIO(cwd);

describe('harness check', () => {
  it('exits 0 and prints only the summary for a clean workflow', async () => {
    const io = capture();
    expect(await checkCommand.run(['clean.workflow.ts'], io)).toBe(0);
    expect(io.out()).toBe('checked 1 workflow: 0 errors, 0 warnings\n');
    expect(io.err()).toBe('');
  });

  it('prints each finding as "file: severity rule at path: message" and exits 1 on an error', async () => {
    const io = capture();
    expect(await checkCommand.run(['defective.workflow.ts', 'warning.workflow.ts'], io)).toBe(1);
    const out = io.out().trimEnd().split('\n');
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^defective\.workflow\.ts: error invoke-without-onerror at work: invoke "callModel" has no onError/);
    expect(out[1]).toMatch(/^warning\.workflow\.ts: warning after-not-resume-safe at waiting: 'after 500ms'/);
    expect(out[2]).toBe('checked 2 workflows: 1 error, 1 warning');
  });

  it('exits 0 when there are only warnings', async () => {
    const io = capture();
    expect(await checkCommand.run(['warning.workflow.ts'], io)).toBe(0);
  });

  it('prints [{ file, workflow, findings }] with --json', async () => {
    const io = capture();
    expect(await checkCommand.run(['--json', 'clean.workflow.ts', 'defective.workflow.ts'], io)).toBe(1);
    const reports = JSON.parse(io.out()) as Array<{ file: string; workflow: string; findings: Array<{ rule: string; path: string }> }>;
    expect(reports.map((r) => [r.file, r.workflow, r.findings.map((f) => `${f.rule}@${f.path}`)])).toEqual([
      ['clean.workflow.ts', 'clean', []],
      ['defective.workflow.ts', 'defective', ['invoke-without-onerror@work']],
    ]);
  });

  it('gives the context factory the schema defaults, or --input', async () => {
    const plain = capture();
    expect(await checkCommand.run(['factory-context.workflow.ts'], plain)).toBe(0);
    expect(plain.out()).toBe('checked 1 workflow: 0 errors, 0 warnings\n');
    const withInput = capture();
    const input = JSON.stringify({ topic: 'dogs', deadline: '2030-01-01T00:00:00Z' });
    expect(await checkCommand.run(['factory-context.workflow.ts', '--input', input], withInput)).toBe(1);
    expect(withInput.out()).toContain('error context-not-json at (machine): context.deadline is a Date');
  });

  it('reports a module that throws or exports no workflow in one line and exits 2, still checking the rest', async () => {
    const io = capture();
    expect(await checkCommand.run(['throws.workflow.ts', 'not-a-workflow.ts', 'missing.ts', 'clean.workflow.ts'], io)).toBe(2);
    const err = io.err().trimEnd().split('\n');
    expect(err).toEqual([
      'harness check: cannot load workflow throws.workflow.ts: cannot reach the prompt store',
      'harness check: not-a-workflow.ts must export a workflow made with defineWorkflow() as its default export',
      'harness check: workflow file not found: missing.ts',
    ]);
    expect(io.out()).toBe('checked 1 workflow: 0 errors, 0 warnings\n');
  });

  it('treats a missing file list, a bad flag or bad --input as usage errors', async () => {
    await expect(checkCommand.run([], capture())).rejects.toBeInstanceOf(UsageError);
    await expect(checkCommand.run(['--nope', 'clean.workflow.ts'], capture())).rejects.toBeInstanceOf(UsageError);
    await expect(checkCommand.run(['--input', '{oops', 'clean.workflow.ts'], capture())).rejects.toThrow(/--input must be JSON/);
  });
});

describe('harness diagram', () => {
  it('prints a mermaid diagram by default', async () => {
    const io = capture();
    expect(await diagramCommand.run(['clean.workflow.ts'], io)).toBe(0);
    expect(io.out()).toMatch(/^stateDiagram-v2\n {2}\[\*\] --> drafting\n/);
    expect(io.out()).toContain('awaitingApproval --> done : APPROVE');
  });

  it('prints the JSON definition with --format json', async () => {
    const io = capture();
    expect(await diagramCommand.run(['clean.workflow.ts', '--format', 'json'], io)).toBe(0);
    const json = JSON.parse(io.out()) as { id: string; states: Record<string, unknown> };
    expect(json.id).toBe('clean');
    expect(Object.keys(json.states)).toContain('review');
  });

  it('rejects an unknown format or a wrong number of files, and reports a load failure with exit 2', async () => {
    await expect(diagramCommand.run(['clean.workflow.ts', '--format', 'svg'], capture())).rejects.toThrow(/--format/);
    await expect(diagramCommand.run([], capture())).rejects.toBeInstanceOf(UsageError);
    const io = capture();
    expect(await diagramCommand.run(['throws.workflow.ts'], io)).toBe(2);
    expect(io.err()).toBe('harness diagram: cannot load workflow throws.workflow.ts: cannot reach the prompt store\n');
    expect(io.out()).toBe('');
  });
});
