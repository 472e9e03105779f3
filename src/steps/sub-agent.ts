// Sub-agents are child machines invoked from a state; this is how their flags reach the run.
import { assign, type AnyEventObject } from 'xstate';
import type { HarnessContext } from './context.ts';

/** Output shape a sub-agent machine should give, so its parent can adopt its flags. */
export interface AgentOutput {
  flags?: string[];
}

export const agentActions = {
  /** On a sub-agent's done event: its flags become the run's flags, prefixed by the agent's name. */
  adoptFlags: assign(({ context, event }: { context: HarnessContext; event: AnyEventObject }, { agent }: { agent: string }) => {
    const output = (event as { output?: AgentOutput }).output;
    const flags = (output?.flags ?? []).map((flag) => `${agent}/${flag}`);
    return flags.length > 0 ? { flags: [...context.flags, ...flags] } : {};
  }),
};
