import { describe, expect, it } from 'vitest';
import { createMachine, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, sleepUntil, waitFor } from '../../src/steps/index.ts';
import { checkMachine, hasErrors, rules } from '../../src/check/index.ts';
import {
  afterMachine,
  badContextMachine,
  cleanMachine,
  contextFactoryMachine,
  deadEndMachine,
  errorHandledAboveMachine,
  inlineActorMachine,
  invokeNoErrorMachine,
  noFinalMachine,
  stuckRegionMachine,
  unboundedLoopMachine,
  unknownGuardMachine,
  unknownSrcMachine,
  unnamedInvokeMachine,
  unreachableMachine,
} from './fixtures/machines.ts';

const brief = (machine: Parameters<typeof checkMachine>[0], options?: Parameters<typeof checkMachine>[1]) =>
  checkMachine(machine, options).map(({ rule, severity, path }) => ({ rule, severity, path }));

describe('checkMachine', () => {
  it('finds nothing in a clean workflow (guarded retry via invoke, parallel review, person-wait, finals)', () => {
    expect(checkMachine(cleanMachine)).toEqual([]);
  });

  it('lists every rule in the registry with the findings it can emit', () => {
    expect(rules.map((r) => r.name)).toEqual([
      'unreachable-state',
      'no-path-to-final',
      'invoke-without-onerror',
      'unnamed-invoke',
      'unbounded-loop',
      'after-not-resume-safe',
      'unknown-actor-src',
      'unknown-guard',
      'context-not-json',
    ]);
    expect(rules.flatMap((r) => r.emits)).toContain('no-final-state');
  });
});

describe('unreachable-state', () => {
  it('reports the top of an unreachable subtree once', () => {
    const findings = checkMachine(unreachableMachine);
    expect(brief(unreachableMachine)).toEqual([{ rule: 'unreachable-state', severity: 'error', path: 'orphan' }]);
    expect(findings[0]?.message).toContain('1 descendant state');
  });

  it('counts a history target as reaching its parent’s children, and ignores guards', () => {
    const machine = createMachine({
      id: 'hist',
      initial: 'work',
      states: {
        work: {
          initial: 'a',
          states: { a: { on: { NEXT: { target: 'b', guard: () => false } } }, b: {}, h: { type: 'history' } },
          on: { PAUSE: 'paused', FINISH: 'done' },
        },
        paused: { on: { RESUME: 'work.h' } },
        done: { type: 'final' },
      },
    });
    expect(checkMachine(machine).filter((f) => f.rule === 'unreachable-state')).toEqual([]);
  });

  it('enters every region of a parallel state targeted through one of its children', () => {
    const machine = createMachine({
      id: 'regions',
      initial: 'idle',
      states: {
        idle: { on: { GO: 'p.left.two' } },
        p: {
          type: 'parallel',
          states: {
            left: { initial: 'one', states: { one: {}, two: { on: { END: '#regions.done' } } } },
            right: { initial: 'r', states: { r: {} } },
          },
        },
        done: { type: 'final' },
      },
    });
    // left.one is unreachable: p is only entered through left.two. right.r can finish: left.two can leave p.
    expect(brief(machine)).toEqual([{ rule: 'unreachable-state', severity: 'error', path: 'p.left.one' }]);
  });
});

describe('no-path-to-final', () => {
  it('reports dead ends and loops with no exit', () => {
    expect(brief(deadEndMachine)).toEqual([
      { rule: 'no-path-to-final', severity: 'error', path: 'stuck' },
      { rule: 'no-path-to-final', severity: 'error', path: 'spinA' },
      { rule: 'no-path-to-final', severity: 'error', path: 'spinB' },
    ]);
  });

  it('knows a parallel state completes only when every region reaches a final state', () => {
    expect(brief(stuckRegionMachine).map((f) => f.path)).toEqual([
      'work.left.busy',
      'work.left.finished',
      'work.right.waiting',
    ]);
  });

  it('counts a transition on an ancestor (a machine-level CANCEL) as a way out', () => {
    const machine = createMachine({
      id: 'cancel',
      initial: 'a',
      on: { CANCEL: '.cancelled' },
      states: { a: { on: { NEXT: 'b' } }, b: {}, cancelled: { type: 'final' } },
    });
    expect(checkMachine(machine)).toEqual([]);
  });

  it('completes a compound state through its final child and onDone', () => {
    const machine = createMachine({
      id: 'nested',
      initial: 'step',
      states: {
        step: { initial: 'x', states: { x: { on: { OK: 'y' } }, y: { type: 'final' } }, onDone: 'done' },
        done: { type: 'final' },
      },
    });
    expect(checkMachine(machine)).toEqual([]);
  });

  it('warns once, at (machine), when there is no top-level final state', () => {
    const findings = checkMachine(noFinalMachine);
    expect(brief(noFinalMachine)).toEqual([{ rule: 'no-final-state', severity: 'warning', path: '(machine)' }]);
    expect(findings[0]?.message).toContain('final');
  });
});

describe('invoke-without-onerror', () => {
  it('reports an invoke with no onError', () => {
    const findings = checkMachine(invokeNoErrorMachine);
    expect(brief(invokeNoErrorMachine)).toEqual([{ rule: 'invoke-without-onerror', severity: 'error', path: 'work' }]);
    expect(findings[0]?.message).toContain('callModel');
  });

  it('accepts an ancestor handling xstate.error.actor.<id>', () => {
    expect(checkMachine(errorHandledAboveMachine)).toEqual([]);
  });
});

describe('unnamed-invoke', () => {
  it('warns about an invoke without an id, with the name XState generated and the id to write', () => {
    const findings = checkMachine(unnamedInvokeMachine);
    expect(brief(unnamedInvokeMachine)).toEqual([{ rule: 'unnamed-invoke', severity: 'warning', path: 'work' }]);
    expect(findings[0]?.message).toContain('runs as "0.unnamed.work"');
    expect(findings[0]?.message).toContain("id: 'callModel'");
  });

  it('still warns once defineWorkflow has named the invoke after its step: that name follows the step', () => {
    const { machine } = defineWorkflow({ id: 'unnamed', input: z.object({}), machine: unnamedInvokeMachine });
    const findings = checkMachine(machine);
    expect(brief(machine)).toEqual([{ rule: 'unnamed-invoke', severity: 'warning', path: 'work' }]);
    expect(findings[0]?.message).toContain('runs as "callModel"');
  });

  it('says nothing of the deadline waitFor writes into a state: it keys no call, and the author did not write it', () => {
    const machine = setup({ actors: { sleepUntil } }).createMachine({
      id: 'wait',
      initial: 'waiting',
      states: { waiting: { ...waitFor({ timeout: { ms: 1000, target: 'expired' } }), on: { GO: 'expired' } }, expired: { type: 'final' } },
    });
    expect(brief(machine).filter((f) => f.rule === 'unnamed-invoke')).toEqual([]);
    const named = defineWorkflow({ id: 'wait', input: z.object({}), machine }).machine;
    expect(named.root.states.waiting?.invoke.map((i) => i.id)).toEqual(['sleepUntil']);
    expect(brief(named).filter((f) => f.rule === 'unnamed-invoke')).toEqual([]);
  });
});

describe('unbounded-loop', () => {
  it('reports a guard-less automatic cycle and names its transitions', () => {
    const findings = checkMachine(unboundedLoopMachine);
    expect(brief(unboundedLoopMachine)).toEqual([{ rule: 'unbounded-loop', severity: 'error', path: 'attempting' }]);
    expect(findings[0]?.message).toContain('attempting --error: callModel--> backoff');
    expect(findings[0]?.message).toContain('backoff --done: timer--> attempting');
  });

  it('does not report a cycle that waits for an outside event', () => {
    const machine = createMachine({
      id: 'person',
      initial: 'drafting',
      states: {
        drafting: { always: 'review' },
        review: { on: { REJECT: 'drafting', APPROVE: 'done' } },
        done: { type: 'final' },
      },
    });
    expect(checkMachine(machine)).toEqual([]);
  });

  it('reports an unguarded always on a parent that targets its own child', () => {
    const machine = createMachine({
      id: 'spin',
      initial: 'p',
      states: {
        p: { initial: 'x', always: { target: '.y' }, states: { x: {}, y: {} }, on: { STOP: 'done' } },
        done: { type: 'final' },
      },
    });
    expect(brief(machine)).toEqual([{ rule: 'unbounded-loop', severity: 'error', path: 'p.y' }]);
  });

  it('does not report an `after` back to the same state, which fires once unless it re-enters', () => {
    const once = createMachine({
      id: 'once',
      initial: 'a',
      states: { a: { after: { 100: 'a' }, on: { GO: 'done' } }, done: { type: 'final' } },
    });
    const again = createMachine({
      id: 'again',
      initial: 'a',
      states: { a: { after: { 100: { target: 'a', reenter: true } }, on: { GO: 'done' } }, done: { type: 'final' } },
    });
    expect(brief(once).map((f) => f.rule)).toEqual(['after-not-resume-safe']);
    expect(brief(again).map((f) => f.rule)).toEqual(['unbounded-loop', 'after-not-resume-safe']);
  });
});

describe('after-not-resume-safe', () => {
  it('warns about a bare after delay and suggests a timer actor', () => {
    const findings = checkMachine(afterMachine);
    expect(brief(afterMachine)).toEqual([{ rule: 'after-not-resume-safe', severity: 'warning', path: 'waiting' }]);
    expect(findings[0]?.message).toMatch(/after 1000ms.*#5331.*timer actor/);
    expect(hasErrors(findings)).toBe(false);
  });
});

describe('unknown-actor-src and inline-actor', () => {
  it('reports a string src missing from setup({ actors })', () => {
    const findings = checkMachine(unknownSrcMachine);
    expect(brief(unknownSrcMachine)).toEqual([{ rule: 'unknown-actor-src', severity: 'error', path: 'work' }]);
    expect(findings[0]?.message).toContain('"callModle"');
  });

  it('warns about inline actor logic', () => {
    // Without an id an inline actor runs under XState's generated name as well.
    expect(brief(inlineActorMachine)).toEqual([
      { rule: 'unnamed-invoke', severity: 'warning', path: 'work' },
      { rule: 'inline-actor', severity: 'warning', path: 'work' },
    ]);
  });
});

describe('unknown-guard', () => {
  it('reports a string guard missing from setup({ guards })', () => {
    const findings = checkMachine(unknownGuardMachine);
    expect(brief(unknownGuardMachine)).toEqual([{ rule: 'unknown-guard', severity: 'error', path: 'start' }]);
    expect(findings[0]?.message).toContain('"isRaedy"');
  });
});

describe('context-not-json', () => {
  it('reports each value a JSON round trip would change', () => {
    const findings = checkMachine(badContextMachine);
    expect(findings.every((f) => f.rule === 'context-not-json' && f.severity === 'error' && f.path === '(machine)')).toBe(true);
    expect(findings.map((f) => f.message.split(' ')[0])).toEqual([
      'context.startedAt',
      'context.seen',
      'context.budget',
      'context.score',
      'context.nested.missing',
      'context.nested["odd-key"]',
    ]);
    expect(findings[0]?.message).toContain('Date');
    expect(findings[2]?.message).toContain('Budget instance');
  });

  it('warns context-unchecked when the context factory throws on the sample input', () => {
    const findings = checkMachine(contextFactoryMachine);
    expect(brief(contextFactoryMachine)).toEqual([{ rule: 'context-unchecked', severity: 'warning', path: '(machine)' }]);
    expect(findings[0]?.message).toContain('toUpperCase');
  });

  it('calls the context factory with the sample input', () => {
    expect(checkMachine(contextFactoryMachine, { sampleInput: { topic: 'cats' } })).toEqual([]);
    expect(brief(contextFactoryMachine, { sampleInput: { topic: 'cats', stamp: true } })).toEqual([
      { rule: 'context-not-json', severity: 'error', path: '(machine)' },
    ]);
  });
});
