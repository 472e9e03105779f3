import { describe, it, expect, afterAll, afterEach } from 'vitest';
import dc from 'node:diagnostics_channel';
import { callModel } from '../../src/llm/index.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();

// undici announces every request it creates, headers included: the one way to see what really went on the wire.
const seen: { origin: string; headers: unknown }[] = [];
const listener = (message: unknown): void => {
  const request = (message as { request: { origin: string; headers: unknown } }).request;
  seen.push({ origin: request.origin, headers: request.headers });
};
dc.subscribe('undici:request:create', listener);
afterAll(() => dc.unsubscribe('undici:request:create', listener));
afterEach(() => {
  seen.length = 0;
});

describe('callModel with a host that carries credentials', () => {
  it('authenticates with Basic auth and never stores or shows the password', async () => {
    const sim = await simulator({ script: { '*': () => 'hi' } });
    const r = await callModel([{ role: 'user', content: 'x' }], { host: `http://ann:s3cret@127.0.0.1:${sim.port}` });
    expect(r.success).toBe(true);
    expect(r.metadata.host).toBe(sim.url);
    expect(JSON.stringify(r)).not.toContain('s3cret');
    const sent = seen.find((s) => s.origin === sim.url);
    expect(JSON.stringify(sent?.headers)).toContain(`Basic ${Buffer.from('ann:s3cret').toString('base64')}`);
  });

  it('keeps the password out of a failure too', async () => {
    const sim = await simulator({ faults: { reset: 1 } });
    const r = await callModel([{ role: 'user', content: 'x' }], { host: `http://ann:s3cret@127.0.0.1:${sim.port}` });
    expect(r.metadata.error?.kind).toBe('connection');
    expect(r.metadata.error?.message).toContain(sim.url);
    expect(JSON.stringify(r)).not.toContain('s3cret');
  });
});
