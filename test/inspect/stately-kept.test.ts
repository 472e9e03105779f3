// The Stately relay outlives the run it shows (a page opened late still sees it all, until Ctrl-C), `harness inspect
// --stately` serves it alone, and its page says plainly that it needs internet access and where to look offline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, start, tempDir, until, type Env } from '../cli/harness.ts';
import { freePort } from '../helpers/ports.ts';

let sim: Simulator;
let env: Env;
beforeAll(async () => {
  sim = await startSimulator({ seed: 8 });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
});
afterAll(async () => {
  await sim.close();
});

/** Everything a late client receives from the relay once connected (as a program: no Origin). */
function listen(url: string): { received: { type: string; snapshot?: { value?: unknown } }[]; socket: WebSocket } {
  const socket = new WebSocket(url);
  const received: { type: string; snapshot?: { value?: unknown } }[] = [];
  socket.on('message', (data) => received.push(JSON.parse(String(data)) as { type: string }));
  return { received, socket };
}

describe('the Stately relay', { timeout: 60_000 }, () => {
  it('stays up after `harness run --inspect` ends, replays the whole run to a page opened late, and closes on Ctrl-C', async () => {
    const port = await freePort();
    const run = start(['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--inspect', '--inspect-port', String(port)], env);
    let stderr = '';
    run.child.stderr?.on('data', (chunk: string) => (stderr += chunk));
    await until(() => (stderr.includes('the relay stays up') ? true : undefined), 40_000);
    expect(run.stdout()).toMatch(/^done {2}run quick-/m); // the summary came first: the run is over
    expect(stderr).toContain(`open http://localhost:${port} (needs internet access; offline: harness inspect). Ctrl-C closes it.`);

    const late = listen(`ws://127.0.0.1:${port}`);
    await until(() => (late.received.some((e) => e.type === '@xstate.snapshot' && e.snapshot?.value === 'done') ? true : undefined));
    expect(late.received[0]?.type).toBe('@xstate.actor'); // from the run's very start
    late.socket.close();

    run.child.kill('SIGINT');
    const ended = await run.done;
    expect(ended.code).toBe(0); // the run's own exit code: it was done
    expect(ended.stdout.match(/^done {2}run /gm)).toHaveLength(1);
  });

  it('`harness inspect --stately` serves the relay alone; its page says it needs internet and names the local inspector', async () => {
    const port = await freePort();
    const relay = start(['inspect', '--stately', '--port', String(port)], env);
    await until(() => (relay.stdout().includes('Ctrl-C closes it.') ? true : undefined));
    expect(relay.stdout()).toContain(`Send runs to it: harness run <workflow> --inspect-url ws://127.0.0.1:${port}`);
    const html = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(html).toContain('The Stately inspector needs internet access');
    expect(html).toContain('run <code>harness inspect</code>');
    expect(html).toContain('if (!navigator.onLine) offline();');

    relay.child.kill('SIGINT');
    expect((await relay.done).code).toBe(0);
  });
});
