// Rules context-not-json and context-unchecked: the initial context must survive a JSON round trip.
import type { AnyStateMachine } from 'xstate';
import { jsonProblems } from '../json.ts';
import { machinePath } from '../model.ts';
import type { CheckOptions, Finding } from '../types.ts';

type ContextFactory = (args: { input: unknown; spawn: () => undefined; self: undefined }) => unknown;

export function contextNotJson(machine: AnyStateMachine, options: CheckOptions): Finding[] {
  const config: unknown = machine.config.context;
  if (config === undefined) return [];
  const fromFactory = typeof config === 'function';
  let context: unknown = config;
  if (fromFactory) {
    const sample = options.sampleInput === undefined ? 'an empty sample input' : 'the sample input';
    try {
      context = (config as ContextFactory)({ input: options.sampleInput ?? {}, spawn: () => undefined, self: undefined });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return [
        {
          rule: 'context-unchecked',
          severity: 'warning',
          path: machinePath,
          message: `the context factory threw with ${sample} (${reason}), so the initial context was not checked; pass a sample input`,
        },
      ];
    }
  }
  // Without a real sample input, undefined fields usually stand for input the empty sample lacks.
  const skipUndefined = fromFactory && options.sampleInput === undefined;
  return jsonProblems(context, 'context', { skipUndefined }).map((p) => ({
    rule: 'context-not-json',
    severity: 'error',
    path: machinePath,
    message: `${p.where} ${p.what}: a checkpoint stores context as JSON, so a restored run would see something else`,
  }));
}
