import { describe, it, expect } from 'vitest';
import { Ollama } from 'ollama';
import { serveSimulator, simulateCommand, simulatorOptions } from '../../src/cli/commands/simulate.ts';
import { UsageError } from '../../src/cli/command.ts';
import { captureIO } from '../helpers/cli-io.ts';

describe('harness simulate', () => {
  it('--help prints the usage and exits 0 without listening', async () => {
    const io = captureIO();
    expect(await simulateCommand.run(['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: harness simulate');
    expect(io.out()).toContain('--fault-rate');
    expect(simulateCommand.name).toBe('simulate');
  });

  it.each([
    [['--bogus'], /bogus/],
    [['--port', 'abc'], /--port must be a whole number from 0 to 65535, got "abc"/],
    [['--port', '70000'], /--port must be a whole number from 0 to 65535, got "70000"/],
    [['--num-parallel', '0'], /--num-parallel must be a whole number of at least 1/],
    [['--max-queue', '1.5'], /--max-queue must be a whole number/],
    [['--context-length', '0'], /--context-length must be a whole number of at least 1/],
    [['--seed', 'x'], /--seed must be an integer/],
    [['--fault-rate', '2'], /--fault-rate must be between 0 and 1/],
    [['--fault-rate', '0.1', '--faults', '500,nope'], /unknown kind "nope"/],
    [['--faults', '500'], /--faults needs --fault-rate/],
    [['--models', ' , '], /--models needs at least one model name/],
    [['extra'], /takes no arguments/],
  ])('%j → UsageError', async (argv, message) => {
    const io = captureIO();
    const error = await simulateCommand.run(argv, io).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it('reads every flag into simulator options', () => {
    expect(
      simulatorOptions([
        '--port', '0', '--host', '127.0.0.1', '--seed', '9', '--models', 'a:1b, b', '--load-ms', '5', '--ttft-ms', '6',
        '--per-token-ms', '7', '--reply-tokens', '8', '--num-parallel', '2', '--max-queue', '3', '--fault-rate', '0.25',
        '--faults', 'hang,500', '--context-length', '8192',
      ]),
    ).toEqual({
      port: 0,
      host: '127.0.0.1',
      seed: 9,
      models: ['a:1b', 'b'],
      latency: { loadMs: 5, ttftMs: 6, perTokenMs: 7 },
      replyTokens: 8,
      numParallel: 2,
      maxQueue: 3,
      contextLength: 8192,
      faults: { rate: 0.25, kinds: ['hang', '500'] },
    });
    expect(simulatorOptions(['--fault-rate', '0.1']).faults).toMatchObject({ rate: 0.1, kinds: expect.arrayContaining(['500', 'truncate']) });
    expect(simulatorOptions([]).port).toBe(11434);
  });

  it('serves until stopped, printing where it listens, then closes', async () => {
    const io = captureIO();
    const stop = new AbortController();
    const running = serveSimulator(['--port', '0', '--models', 'tiny:1b', '--reply-tokens', '3'], io, stop.signal);
    while (!io.out().includes('\n')) await new Promise((r) => setTimeout(r, 5));
    const match = /^Ollama simulator listening on (http:\/\/127\.0\.0\.1:\d+) \(replies are simulated\)\n$/.exec(io.out());
    expect(match).not.toBeNull();
    const url = match![1]!;
    const r = await new Ollama({ host: url }).chat({ model: 'tiny:1b', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.eval_count).toBe(3);
    stop.abort();
    expect(await running).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('refuses a port in use as a setting error (exit 2) naming the host and port', async () => {
    const io = captureIO();
    const first = captureIO();
    const stop = new AbortController();
    const running = serveSimulator(['--port', '0'], first, stop.signal);
    while (!first.out().includes('\n')) await new Promise((r) => setTimeout(r, 5));
    const port = /:(\d+) /.exec(first.out())![1]!;
    try {
      await expect(serveSimulator(['--port', port], io, new AbortController().signal)).rejects.toThrow(
        new RegExp(`--host "127\\.0\\.0\\.1" --port ${port}: cannot listen there \\(the port is in use, EADDRINUSE\\)`),
      );
    } finally {
      stop.abort();
      await running;
    }
  });
});
