// `harness record` and `harness simulate --cassette`: record through the CLI proxy, replay through the CLI simulator.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SettingError, UsageError } from '../../src/cli/command.ts';
import { recordCommand, serveRecorder } from '../../src/cli/commands/record.ts';
import { serveSimulator, simulatorOptions } from '../../src/cli/commands/simulate.ts';
import { commands } from '../../src/cli/registry.ts';
import { startSimulator } from '../../src/testing/index.ts';
import { captureIO, type CapturedIO } from '../helpers/cli-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-cassette-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function firstLine(io: CapturedIO): Promise<string> {
  while (!io.out().includes('\n')) await new Promise((r) => setTimeout(r, 5));
  return io.out().split('\n')[0]!;
}

const chat = (url: string) =>
  fetch(`${url}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'hi' }], stream: true }),
  }).then((r) => r.text());

describe('harness record', () => {
  it('is registered and prints its help', async () => {
    expect((await commands.record!()).name).toBe('record');
    const io = captureIO();
    expect(await recordCommand.run(['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: harness record --to <file>');
  });

  it.each([
    [[], /record needs --to <file>/],
    [['--to', 'x', '--port', 'abc'], /--port must be a whole number/],
    [['--to', 'x', '--upstream', 'ftp://h'], /--upstream "ftp:\/\/h" must use http/],
    [['--to', 'x', 'extra'], /takes no arguments/],
  ])('%j → UsageError', async (argv, message) => {
    const error = await serveRecorder(argv, captureIO(), AbortSignal.abort()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
  });

  it('records until stopped, then simulate --cassette replays it', async () => {
    const upstream = await startSimulator({ replyTokens: 4 });
    const file = join(dir, 'cli.ndjson');
    const io = captureIO();
    const stop = new AbortController();
    const upstreamWithAuth = upstream.url.replace('http://', 'http://u:hunter2@');
    const running = serveRecorder(['--to', file, '--port', '0', '--upstream', upstreamWithAuth], io, stop.signal);
    const line = await firstLine(io);
    expect(line).toMatch(new RegExp(`^Recording ${upstream.url} on http://127\\.0\\.0\\.1:\\d+ into ${file}$`));
    const recorderUrl = /on (\S+) into/.exec(line)![1]!;
    const live = await chat(recorderUrl);
    stop.abort();
    expect(await running).toBe(0);
    await upstream.close();
    expect(io.out()).toContain('POST /api/chat → 200\n1 exchange(s) saved to');
    expect(readFileSync(file, 'utf8')).not.toContain('hunter2');

    const replayIO = captureIO();
    const stopReplay = new AbortController();
    const replaying = serveSimulator(['--port', '0', '--cassette', file], replayIO, stopReplay.signal);
    const replayLine = await firstLine(replayIO);
    expect(replayLine).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(replaying 1 recorded exchange\(s\) from /);
    expect(await chat(/on (\S+) \(/.exec(replayLine)![1]!)).toBe(live);
    stopReplay.abort();
    expect(await replaying).toBe(0);
    expect(replayIO.out()).toContain('cassette: 1 replayed, 0 missed, 0 unused\n');
  });

  it('refuses a port in use as a setting error (exit 2), and leaves no credentials in the message', async () => {
    const first = captureIO();
    const stop = new AbortController();
    const file = join(dir, 'busy.ndjson');
    const running = serveRecorder(['--to', file, '--port', '0', '--upstream', 'http://u:hunter2@127.0.0.1:9'], first, stop.signal);
    const port = /:(\d+) into/.exec(await firstLine(first))![1]!;
    try {
      const io = captureIO();
      const refusal = serveRecorder(['--to', join(dir, 'busy2.ndjson'), '--port', port], io, new AbortController().signal);
      await expect(refusal).rejects.toThrow(SettingError);
      await expect(refusal).rejects.toThrow(/the port is in use, EADDRINUSE/);
      await refusal.catch((error: unknown) => expect(String(error)).not.toContain('hunter2'));
      expect(existsSync(join(dir, 'busy2.ndjson'))).toBe(false); // an existing cassette would not have been emptied
    } finally {
      stop.abort();
      await running;
    }
  });
});

describe('harness simulate --cassette', () => {
  it('reads the flags into the cassette option', () => {
    expect(simulatorOptions(['--cassette', 'c.ndjson']).cassette).toBe('c.ndjson');
    expect(simulatorOptions(['--cassette', 'c.ndjson', '--cassette-timing', 'recorded']).cassette).toEqual({ from: 'c.ndjson', timing: 'recorded' });
    expect(simulatorOptions(['--cassette', 'c.ndjson', '--cassette-timing', '0.5']).cassette).toEqual({ from: 'c.ndjson', timing: 0.5 });
    expect(() => simulatorOptions(['--cassette-timing', '1'])).toThrow(UsageError);
    expect(() => simulatorOptions(['--cassette', 'c', '--cassette-timing', 'fast'])).toThrow(/--cassette-timing must be none, recorded or a non-negative number/);
  });

  it('a missing cassette file is a usage error', async () => {
    const error = await serveSimulator(['--port', '0', '--cassette', join(dir, 'absent.ndjson')], captureIO(), AbortSignal.abort()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/cannot read cassette .*absent\.ndjson/);
  });
});
