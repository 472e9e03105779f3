// The list of rules checkMachine runs, as data: add a rule by adding a line here.
import { afterNotResumeSafe } from './rules/after-not-resume-safe.ts';
import { contextNotJson } from './rules/context-not-json.ts';
import { invokeWithoutOnError } from './rules/invoke-without-onerror.ts';
import { noPathToFinal } from './rules/no-path-to-final.ts';
import { unboundedLoop } from './rules/unbounded-loop.ts';
import { unknownActorSrc } from './rules/unknown-actor-src.ts';
import { unknownGuard } from './rules/unknown-guard.ts';
import { unnamedInvoke } from './rules/unnamed-invoke.ts';
import { unreachableState } from './rules/unreachable-state.ts';
import type { RuleDefinition } from './types.ts';

export const rules: readonly RuleDefinition[] = [
  {
    name: 'unreachable-state',
    emits: ['unreachable-state'],
    description: 'state nodes that no sequence of events can enter (guards ignored)',
    check: unreachableState,
  },
  {
    name: 'no-path-to-final',
    emits: ['no-path-to-final', 'no-final-state'],
    description: 'states from which no top-level final state can be reached; machines with no final state at all',
    check: noPathToFinal,
  },
  {
    name: 'invoke-without-onerror',
    emits: ['invoke-without-onerror'],
    description: 'invoked actors whose failure no onError (here or on an ancestor) handles',
    check: invokeWithoutOnError,
  },
  {
    name: 'unnamed-invoke',
    emits: ['unnamed-invoke'],
    description: 'invokes without an id: their calls are keyed and shown under a name derived from the step or state',
    check: unnamedInvoke,
  },
  {
    name: 'unbounded-loop',
    emits: ['unbounded-loop'],
    description: 'cycles of automatic transitions (always, after, onDone, onError) none of which has a guard',
    check: unboundedLoop,
  },
  {
    name: 'after-not-resume-safe',
    emits: ['after-not-resume-safe'],
    description: 'delayed transitions, which are lost when a run is restored (xstate #5331)',
    check: afterNotResumeSafe,
  },
  {
    name: 'unknown-actor-src',
    emits: ['unknown-actor-src', 'inline-actor'],
    description: 'invoke src names missing from setup({ actors }); inline actor logic',
    check: unknownActorSrc,
  },
  {
    name: 'unknown-guard',
    emits: ['unknown-guard'],
    description: 'guard names missing from setup({ guards })',
    check: unknownGuard,
  },
  {
    name: 'context-not-json',
    emits: ['context-not-json', 'context-unchecked'],
    description: 'initial context values that do not survive a JSON round trip',
    check: contextNotJson,
  },
];
