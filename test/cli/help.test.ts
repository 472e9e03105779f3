import { describe, expect, it } from 'vitest';
import { harness, inProcess, tempDir, type Env } from './harness.ts';

const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() };
const commands = ['run', 'resume', 'send', 'ls', 'show', 'cancel', 'check', 'diagram', 'simulate'];

describe('harness --help (spawned)', { timeout: 90_000 }, () => {
  it('lists every command; `run --help` prints its help; an unknown command or flag exits 2 with a hint', async () => {
    const [top, run, typo, bogus] = await Promise.all([
      harness(['--help'], env),
      harness(['run', '--help'], env),
      harness(['rn'], env),
      harness(['run', '--bogus', 'x.ts'], env),
    ]);
    expect(top.code).toBe(0);
    for (const name of commands) expect(top.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: harness run <workflow-file> \[options\]$/m);
    expect(run.stdout).toContain('--budget-tokens <n>');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(`harness: unknown command "rn" (did you mean "run"?); run 'harness --help' for the list of commands\n`);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^harness: Unknown option '--bogus'.*\n\(see 'harness run --help'\)\n$/);
    expect(bogus.stdout).toBe('');
  });
});

describe('help and usage (in process)', () => {
  it('every command prints its own help with exit 0, also as `help <command>` and with -h after other arguments', async () => {
    for (const name of commands) {
      const result = await inProcess([name, '--help'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: harness ${name}`);
      expect(result.stderr).toBe('');
    }
    const help = await inProcess(['help', 'send'], env);
    expect(help.stdout).toContain('Usage: harness send <run-id> <EVENT>');
    const late = await inProcess(['run', 'x.ts', '--input', '{}', '-h'], env);
    expect(late.code).toBe(0);
    expect(late.stdout).toContain('Usage: harness run <workflow-file>');
  });

  it('exits 2 for an unknown command or option, and with the overview when no command is given', async () => {
    const unknown = await inProcess(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^harness: unknown command "frobnicate"; run 'harness --help'/);
    const option = await inProcess(['--frob'], env);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^harness: unknown option "--frob"/);
    const none = await inProcess([], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: harness <command>');
  });

  it('turns missing arguments and bad values into one line and exit 2, never a stack trace', async () => {
    const cases: [string[], string][] = [
      [['run'], 'run needs exactly one workflow file'],
      [['send', 'only-a-run-id'], 'send needs a run id and an event'],
      [['run', 'x.ts', '--budget-tokens', 'lots'], '--budget-tokens must be a whole number of at least 1, got "lots"'],
      [['run', 'x.ts', '--seed', '1.5'], '--seed must be a whole number'],
      [['send', 'r1', 'not an event'], 'invalid event "not an event"'],
      [['send', 'r1', 'APPROVE', '--data', '{oops'], '--data is not valid JSON'],
      [['send', 'r1', 'APPROVE', '--data', '["ann"]'], "the payload of APPROVE must be a JSON object of the event's fields"],
      [['send', 'r1', 'APPROVE', '--data', '"ann"'], 'the payload of APPROVE must be a JSON object of the event\'s fields (e.g. {"by":"ann"}), got a string'],
      [['send', 'r1', 'APPROVE', '--data', '{"type":"REJECT"}'], 'the payload of APPROVE must not carry "type"'],
      [['ls', 'extra'], 'ls takes no arguments'],
      [['show', 'a', 'b'], 'show needs exactly one run id'],
      [['run', 'x.ts', '--snapshots', ''], '--snapshots must not be empty'],
    ];
    for (const [argv, message] of cases) {
      const result = await inProcess(argv, env);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(`harness: ${message}`);
      expect(result.stderr).toContain(`(see 'harness ${argv[0]} --help')`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    }
  });
});
