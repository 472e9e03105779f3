// The graceful-stop gate: a stop waits for the calls in flight, or names those its grace cut off; it happens once.
import { describe, expect, it } from 'vitest';
import { StopGate } from '../../src/runtime/stop-gate.ts';

describe('StopGate', () => {
  it('stops at once when no call is in flight, and then lets no call start', () => {
    const gate = new StopGate();
    const stops: string[][] = [];
    expect(gate.closed()).toBe(false);
    gate.close(60_000, (cutOff) => stops.push(cutOff));
    expect(stops).toEqual([[]]);
    expect(gate.closed()).toBe(true);
  });

  it('waits for the calls in flight to leave, then stops once with none cut off', () => {
    const gate = new StopGate();
    const leaveA = gate.enter('answer/search');
    const leaveB = gate.enter();
    const stops: string[][] = [];
    gate.close(60_000, (cutOff) => stops.push(cutOff));
    leaveA();
    expect(stops).toEqual([]);
    leaveB();
    leaveB(); // leaving twice is leaving once
    expect(stops).toEqual([[]]);
    gate.enter()();
    expect(stops).toHaveLength(1);
  });

  it('names the calls still in flight when the grace runs out', async () => {
    const gate = new StopGate();
    gate.enter('review (qwen2.5-coder:7b)');
    const leave = gate.enter('answer/search');
    const stopped = new Promise<string[]>((resolve) => gate.close(1, resolve));
    leave();
    await expect(stopped).resolves.toEqual(['review (qwen2.5-coder:7b)']);
  });

  it('never stops once disposed (the run ended another way)', () => {
    const gate = new StopGate();
    const leave = gate.enter();
    const stops: string[][] = [];
    gate.close(60_000, (cutOff) => stops.push(cutOff));
    gate.dispose();
    leave();
    expect(stops).toEqual([]);
  });
});
