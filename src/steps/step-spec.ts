// What a model step was built from, kept on its machine: an evaluation's variant rebuilds the step with another
// ladder, model, prompt or threshold, since an XState machine cannot be changed once made.
import type { AnyStateMachine } from 'xstate';
import type { ModelStepSpec } from './model-step.ts';

const stepSpec = Symbol('harness.stepSpec');

/** A step's spec with its input type forgotten: enough to build the same step again with some fields replaced. */
export type KeptStepSpec = ModelStepSpec<never, unknown>;

/**
 * The step's machine, carrying the spec it was built from (read back with `stepSpecOf`). The property stays out of the
 * machine's type: a step's declared type is the machine's own, whatever carries it.
 */
export function keepStepSpec<M extends AnyStateMachine>(spec: KeptStepSpec, machine: M): M {
  Object.assign(machine, { [stepSpec]: spec });
  return machine;
}

function keepsSpec(machine: AnyStateMachine): machine is AnyStateMachine & { readonly [stepSpec]: KeptStepSpec } {
  return stepSpec in machine;
}

/** The spec a model step's machine was built from; undefined for any other machine (or a step `provide`d anew). */
export function stepSpecOf(machine: AnyStateMachine): KeptStepSpec | undefined {
  return keepsSpec(machine) ? machine[stepSpec] : undefined;
}
