// Public API of the step builders: model steps, fan-out, person waits, sub-agents, and their named implementations.
import type { ActionFunction, AnyEventObject, EventObject } from 'xstate';
import type { HarnessContext } from './context.ts';
import { agentActions } from './sub-agent.ts';
import { fanOutActions, fanOutGuards } from './fan-out.ts';
import { stepActions } from './actions.ts';
import { stepGuards } from './guards.ts';
import { sleepUntil } from './sleep-until.ts';
import { waitActions } from './wait-for.ts';

const actions = { ...stepActions, ...fanOutActions, ...waitActions, ...agentActions };

type ParamsOf<F> = F extends (args: never, params: infer P) => unknown ? P : never;
/** Our actions typed for the workflow's own context (they only touch its HarnessContext part). */
export type StepActionsFor<TContext extends HarnessContext, TEvent extends EventObject> = {
  [K in keyof typeof actions]: ActionFunction<TContext, TEvent, TEvent, ParamsOf<(typeof actions)[K]>, never, never, never, never, never>;
};

/**
 * Everything the builders refer to by name, for `setup({ actors, guards, actions })`:
 * `const impl = stepImplementations<MyContext, MyEvents>()`.
 */
export function stepImplementations<TContext extends HarnessContext, TEvent extends EventObject = AnyEventObject>() {
  return {
    actors: { sleepUntil },
    guards: { ...stepGuards, ...fanOutGuards },
    // The cast is the one place types bend: XState's ActionFunction is invariant in the context (through `self`),
    // so actions written against HarnessContext must be re-typed for a context that extends it.
    actions: actions as unknown as StepActionsFor<TContext, TEvent>,
  };
}

export { defineWorkflow, isWorkflow, type Workflow, type Migration, type PersistedSnapshot } from './workflow.ts';
export { initialHarnessContext, type HarnessContext, type StepState, type AttemptRecord, type FanOutState, type WaitState, type Decision } from './context.ts';
export { modelStep, type ModelStep, type ModelStepSpec, type StepTargets } from './model-step.ts';
export { fanOut, type FanOutSpec, type FanOutTargets } from './fan-out.ts';
export { waitFor, waitingTag, type WaitForSpec } from './wait-for.ts';
export type { AgentOutput } from './sub-agent.ts';
export { sleepUntil, type SleepUntilInput } from './sleep-until.ts';
export { bindServices, servicesOf, memoryJournal, type StepServices, type Journal, type JournalEntry, type HostLimiter, type BudgetGuard, type CallEvent } from './services.ts';
export { machineDefinition, guardLabel, type JsonValue } from '../definition/index.ts';
export { requestHash, type ModelCallInput, type ModelCallOutput } from './model-call.ts';
