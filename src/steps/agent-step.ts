// The agent step: a child machine whose statechart is the tool loop — thinking → deciding → acting → checking → thinking …
// → done, with `compacting` when the transcript nears the model's window.
import { and, assign, enqueueActions, not, setup, type AnyActorLogic, type AnyEventObject } from 'xstate';
import { defaultModelConfig } from '../llm/config.ts';
import { estimatePromptTokens } from '../llm/context/estimate.ts';
import { assistantMessage, toolMessage } from '../llm/messages.ts';
import { checkToolCalls } from '../llm/tools.ts';
import type { ChatMessage, ToolSpec } from '../llm/types.ts';
import type { AgentContext, AgentOutput, CompactionRecord, ToolCallRecord } from './agent-output.ts';
import {
  applySummary,
  clipToolResult,
  compactionSpan,
  learnWindow,
  nextPromptTokens,
  resolvePolicy,
  summarizerStep,
  summaryRequest,
  type ContextPolicy,
} from './compaction.ts';
import { modelStep, type ModelStepSpec } from './model-step.ts';
import type { StepOutput } from './output.ts';
import { toolCall, type ToolCallOutput } from './tool-call.ts';
import { assertTimeoutMs, type Tool } from './tool.ts';
import { newPassId } from './pass-id.ts';

export interface AgentStepSpec<TInput, T = never> extends Omit<ModelStepSpec<TInput, T>, 'json'> {
  /** The tools the model may call; each runs as a named actor (`tool.<name>`), spawned per call. */
  tools: readonly Tool<unknown, NoInfer<TInput>>[];
  /** Model turns at most (a turn is one model step: its retries and escalations included). */
  maxTurns: number;
  /** Tool calls at most over the whole step, failed and refused ones included. */
  maxToolCalls: number;
  /** Every tool call's deadline in this step, ms: overrides each tool's own `timeoutMs` (default 60 s). */
  toolTimeoutMs?: number;
  /**
   * How the transcript is kept within the model's window (see ContextPolicy): on by default; `false` turns compaction
   * and the clipping of tool results off.
   */
  context?: ContextPolicy | false;
}

/** The conversation a turn is given: the whole transcript so far. */
interface TurnInput {
  messages: ChatMessage[];
}

/** The call index a spawned tool's done/error event is about (`xstate.done.actor.<tool>.t<turn>.<index>`). */
function indexOf(event: AnyEventObject): number {
  return Number(event.type.slice(event.type.lastIndexOf('.') + 1));
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * An agent step as a machine: each turn is a model step offered the tools (so invalid output and invalid tool
 * arguments get feedback retries, outages back off and park, bad answers escalate — the model step's own policy);
 * the calls a turn asks for run in parallel as tool actors, their results go back as `role: 'tool'` messages, and the
 * final answer is validated by `schema` and scored like a model step's. Model turns and tool results are journaled:
 * a resumed agent pays for no turn and runs no completed tool twice.
 *
 * @example
 * const readFile = tool({ name: 'read_file', description: 'Reads a file.', input: z.object({ path: z.string() }),
 *   run: ({ path }) => readFile(path, 'utf8') });
 * const qa = agentStep({ id: 'qa', tools: [readFile], schema: Answer, maxTurns: 8, maxToolCalls: 20,
 *   prompt: (input: { question: string }) => [{ role: 'user', content: input.question }] });
 * // setup({ actors: { qa }, guards: stepGuards }) … invoke: { src: 'qa', input: ({ context }) => ({ question: context.question }),
 * //   onDone: [{ guard: 'stepFlagged', target: 'flagged' }, { target: 'done', actions: assign({ answer: ({ event }) => event.output.data }) }] }
 */
export function agentStep<TInput, T = never>(spec: AgentStepSpec<TInput, T>) {
  const { id, tools, maxTurns, maxToolCalls } = spec;
  if (!(maxTurns >= 1) || !(maxToolCalls >= 0)) throw new TypeError(`agent step "${id}": maxTurns must be at least 1, maxToolCalls at least 0`);
  const { prompt } = spec;
  const compaction = spec.context !== false;
  const policy = resolvePolicy(id, spec.context === false ? {} : spec.context);
  const maxTokens = spec.config?.maxTokens ?? defaultModelConfig.maxTokens;
  const toolSpecs: ToolSpec[] = tools.map(({ name, description, input }) => ({ name, description, input }));
  /** The longest tool result the transcript takes whole: the policy's, else a quarter of the window once it is known. */
  const clipAt = (context: AgentContext<TInput, T>): number | null =>
    !compaction ? null : (policy.maxToolResultTokens ?? (context.window.window === null ? null : Math.floor(context.window.window / 4)));
  const spanOf = (context: AgentContext<TInput, T>) =>
    context.window.window === null ? null : compactionSpan(context.messages, context.head, context.summarised, policy.keepTurns, context.window.window);
  // Each turn is a model step with the agent's policy (ladder, retries, schema, scorer, backoff, outage), offered the tools.
  const turn = modelStep<TurnInput, T>({
    id,
    ...(spec.schema ? { schema: spec.schema } : {}),
    ...(spec.ladder ? { ladder: spec.ladder } : {}),
    ...(spec.maxRetries !== undefined ? { maxRetries: spec.maxRetries } : {}),
    ...(spec.scorer ? { scorer: spec.scorer } : {}),
    ...(spec.threshold !== undefined ? { threshold: spec.threshold } : {}),
    ...(spec.backoff ? { backoff: spec.backoff } : {}),
    ...(spec.outage ? { outage: spec.outage } : {}),
    prompt: (input) => input.messages,
    config: { ...spec.config, tools: toolSpecs },
  });
  // Summaries of older turns are a model step too: journaled, backing off and parking like any call.
  const compact = summarizerStep(id, spec, spec.context === false ? undefined : spec.context?.summarizer, policy.summaryTokens);
  // One named actor per tool (`tool.read_file`), spawned per call: persisted by name, bound to the run's services.
  // Typed as a plain map so calls can be spawned by the tool's name; the turn's output is typed where it is read.
  const deadline = spec.toolTimeoutMs !== undefined ? { timeoutMs: assertTimeoutMs(spec.toolTimeoutMs, `agent step "${id}"`) } : {};
  const actors: Record<string, AnyActorLogic> = { ...Object.fromEntries(tools.map((t) => [`tool.${t.name}`, toolCall(t, deadline)])), turn, compact };

  return setup({
    types: {
      context: {} as AgentContext<TInput, T>,
      input: {} as TInput,
      output: {} as AgentOutput<T>,
    },
    actors,
    guards: {
      /** The turn's model step ended flagged: its ladder ran out, or the run's budget did. */
      turnFlagged: ({ context }) => context.status === 'flagged',
      /** The last turn asked for tools rather than answering. */
      hasToolCalls: ({ context }) => context.pending.length > 0,
      /** Another model turn is allowed after this one's tools. */
      withinTurns: ({ context }, params: { maxTurns: number }) => context.turns < params.maxTurns,
      /** The calls just asked for still fit the step's bound on tool calls. */
      withinToolCalls: ({ context }, params: { maxToolCalls: number }) => context.toolCalls + context.pending.length <= params.maxToolCalls,
      /** Every call names a tool of this step with arguments its schema accepts (a journaled turn may predate it). */
      argsValid: ({ context }) => checkToolCalls(context.pending, tools).issues.length === 0,
      /** Every tool call of the turn has its result. */
      allCallsDone: ({ context }) => context.results.every((result) => result !== null),
      /** The next prompt and its reply would pass `compactAt` of the window. */
      nearsWindow: ({ context }, params: { compactAt: number; maxTokens: number }) =>
        compaction && context.window.window !== null &&
        nextPromptTokens(context.window, context.messages, toolSpecs) + params.maxTokens > params.compactAt * context.window.window,
      /** There are turns between the task and the last turns that a summary can replace. */
      canCompact: ({ context }) => compaction && spanOf(context) !== null,
      /** The turn failed because its prompt did not fit the window (refused before sending, or cut by the host). */
      outgrewWindow: ({ context }) => context.attempts.at(-1)?.error?.kind === 'context',
      /** Compactions in a row asked for by turns that did not fit stay bounded. */
      withinRescues: ({ context }, params: { max: number }) => context.rescues < params.max,
      /** The summariser answered. */
      summaryWritten: ({ event }) => event.output.status === 'done' && (event.output.result?.content ?? '').trim() !== '',
    },
    actions: {
      recordTurn: assign(({ context, event }) => {
        const output: StepOutput<T> = event.output;
        const flagged = output.status === 'flagged';
        return {
          window: learnWindow(context.window, output.attempts, context.messages, toolSpecs, policy.window),
          rescues: flagged ? context.rescues : 0,
          turnFlags: flagged ? context.turnFlags : [...context.turnFlags, ...output.flags],
          turns: context.turns + 1,
          attempts: [...context.attempts, ...output.attempts],
          last: output.result,
          data: output.data,
          pending: output.result?.toolCalls ?? [],
          status: flagged ? 'flagged' : context.status,
          reasons: flagged ? output.reasons : context.reasons,
        };
      }),
      /** The turn's machine itself failed (a bug, not a model failure): the step ends flagged, saying so. */
      recordCrash: assign(({ event }) => ({ status: 'flagged' as const, reasons: [`turn failed: ${errorText(event.error)}`] })),
      accept: assign({ status: 'done' }),
      flag: assign(({ context }, params: { why: string }) => ({ status: 'flagged' as const, reasons: [params.why, ...context.reasons] })),
      /** One tool actor per call, all at once: `<tool>.t<turn>.<index>`, keyed in the journal by pass, turn and index. */
      startCalls: enqueueActions(({ context, enqueue }) => {
        context.pending.forEach((call, index) => {
          enqueue.spawnChild(`tool.${call.name}`, {
            id: `${call.name}.t${context.turns}.${index}`,
            input: { step: context.step, callKey: `${context.pass}.t${context.turns}.c${index}`, arguments: call.arguments, input: context.input },
          });
        });
        enqueue.assign({ results: context.pending.map(() => null), toolCalls: context.toolCalls + context.pending.length });
      }),
      recordResult: assign(({ context, event }) => {
        const output: ToolCallOutput = event.output;
        return { results: context.results.with(indexOf(event), output) };
      }),
      /** The tool's actor failed (its journal write, not the tool: a tool's own error is a result): shown as an error. */
      recordFailure: assign(({ context, event }) => {
        const failed: ToolCallOutput = { content: `error: tool call failed: ${errorText(event.error)}`, ok: false, key: '', replayed: false };
        return { results: context.results.with(indexOf(event), failed) };
      }),
      /** The turn's message with its calls, then each call's result in the order asked (clipped when too long), for the next turn. */
      appendResults: assign(({ context }) => {
        const clip = clipAt(context);
        const answers = context.pending.map((call, index) => toolMessage(call.name, clipToolResult(context.results[index]?.content ?? 'error: no result', clip)));
        const calls = context.pending.map((call, index): ToolCallRecord => ({
          turn: context.turns,
          tool: call.name,
          ok: context.results[index]?.ok ?? false,
          replayed: context.results[index]?.replayed ?? false,
        }));
        return { messages: [...context.messages, ...(context.last ? [assistantMessage(context.last)] : []), ...answers], calls: [...context.calls, ...calls], pending: [], results: [] };
      }),
      /** Calls that no longer fit the tools are not run: each is answered with its validation errors. */
      refuseCalls: assign(({ context }) => {
        const { issues } = checkToolCalls(context.pending, tools);
        const answers = context.pending.map((call, index) => {
          const own = issues.filter((issue) => issue.path.startsWith(`tool_calls.${index}.`)).map((issue) => issue.message);
          return toolMessage(call.name, own.length > 0 ? `error: invalid call: ${own.join('; ')}` : 'error: not run: another call of this turn was invalid');
        });
        const calls = context.pending.map((call): ToolCallRecord => ({ turn: context.turns, tool: call.name, ok: false, replayed: false }));
        return {
          messages: [...context.messages, ...(context.last ? [assistantMessage(context.last)] : []), ...answers],
          calls: [...context.calls, ...calls],
          toolCalls: context.toolCalls + context.pending.length,
          pending: [],
        };
      }),
      /** A turn too long for the window is not a flag yet: compact, then take the turn again. */
      rescueTurn: assign(({ context }) => ({ status: 'running' as const, reasons: [], last: null, pending: [], rescues: context.rescues + 1 })),
      /** Which messages the summary replaces: decided once, kept in the context (a resumed compaction summarises the same). */
      planCompaction: assign(({ context }) => ({ compacting: spanOf(context) })),
      applyCompaction: assign(({ context, event }) => {
        const span = context.compacting;
        const output: StepOutput<never> = event.output;
        if (span === null || output.result === null) return { compacting: null };
        const messages = applySummary(context.messages, context.head, context.summarised, span, output.result.content);
        const record: CompactionRecord = {
          turn: context.turns,
          messages: span.to - span.from + (context.summarised ? 1 : 0),
          before: Math.round(estimatePromptTokens(context.messages, toolSpecs) * context.window.ratio),
          after: Math.round(estimatePromptTokens(messages, toolSpecs) * context.window.ratio),
          tokensIn: output.attempts.reduce((sum, a) => sum + (a.replayed ? 0 : a.tokensIn), 0),
          tokensOut: output.attempts.reduce((sum, a) => sum + (a.replayed ? 0 : a.tokensOut), 0),
          replayed: output.attempts.every((a) => a.replayed),
        };
        // The host's count was of the old transcript: the next estimate starts from the new one.
        return { messages, summarised: true, compacting: null, compactions: [...context.compactions, record], window: { ...context.window, lastPrompt: null } };
      }),
      /** The summariser's machine itself failed (a bug): the step ends flagged, saying so. */
      recordCompactionCrash: assign(({ event }) => ({ status: 'flagged' as const, compacting: null, reasons: [`compaction failed: ${errorText(event.error)}`] })),
      compactionFailed: assign(({ context, event }) => {
        const output: StepOutput<never> = event.output;
        return { status: 'flagged' as const, compacting: null, reasons: [`compaction failed: ${output.reasons[0] ?? 'no summary'}`, ...context.reasons] };
      }),
    },
  }).createMachine({
    id,
    // Read by `harness check` and inspectors: the step turns its failures into flags, and never fails itself.
    meta: { harness: 'agent-step', maxTurns, maxToolCalls, tools: tools.map((t) => t.name), compaction },
    context: ({ input }) => {
      const messages = prompt(input);
      return {
        step: id,
        pass: newPassId(),
        input,
        messages,
        turns: 0,
        toolCalls: 0,
        pending: [],
        results: [],
        calls: [],
        attempts: [],
        last: null,
        data: null,
        status: 'running',
        reasons: [],
        turnFlags: [],
        head: messages.length,
        summarised: false,
        window: { window: policy.window, lastPrompt: null, ratio: 1 },
        compacting: null,
        compactions: [],
        rescues: 0,
      };
    },
    initial: 'thinking',
    states: {
      thinking: {
        invoke: {
          id: 'turn',
          src: 'turn',
          input: ({ context }) => ({ messages: context.messages }),
          onDone: { target: 'deciding', actions: 'recordTurn' },
          onError: { target: 'flagged', actions: 'recordCrash' },
        },
      },
      deciding: {
        always: [
          {
            guard: and(['turnFlagged', 'outgrewWindow', 'canCompact', { type: 'withinRescues', params: { max: 2 } }]),
            target: 'compacting',
            actions: 'rescueTurn',
          },
          { guard: 'turnFlagged', target: 'flagged' },
          { guard: not('hasToolCalls'), target: 'done', actions: 'accept' },
          {
            guard: not({ type: 'withinTurns', params: { maxTurns } }),
            target: 'flagged',
            actions: { type: 'flag', params: { why: `turn bound reached: ${maxTurns} turn(s) taken and the model still calls tools` } },
          },
          {
            guard: not({ type: 'withinToolCalls', params: { maxToolCalls } }),
            target: 'flagged',
            actions: { type: 'flag', params: { why: `tool-call bound reached: the model asked for more than ${maxToolCalls} tool call(s)` } },
          },
          { guard: 'argsValid', target: 'acting', actions: 'startCalls' },
          { target: 'checking', actions: 'refuseCalls' },
        ],
      },
      acting: {
        on: {
          'xstate.done.actor.*': { actions: 'recordResult' },
          'xstate.error.actor.*': { actions: 'recordFailure' },
        },
        always: { guard: and(['allCallsDone', 'hasToolCalls']), target: 'checking', actions: 'appendResults' },
      },
      // Before each turn: a transcript near the window is compacted first, as often as there is something to compact.
      checking: {
        always: [
          { guard: and([{ type: 'nearsWindow', params: { compactAt: policy.compactAt, maxTokens } }, 'canCompact']), target: 'compacting' },
          { target: 'thinking' },
        ],
      },
      compacting: {
        entry: 'planCompaction',
        invoke: {
          id: 'compact',
          src: 'compact',
          input: ({ context }) => ({ messages: context.compacting ? summaryRequest(context.messages, context.compacting, context.summarised, policy.summaryTokens) : [] }),
          onDone: [
            { guard: 'summaryWritten', target: 'checking', actions: 'applyCompaction' },
            { target: 'flagged', actions: 'compactionFailed' },
          ],
          onError: { target: 'flagged', actions: 'recordCompactionCrash' },
        },
      },
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }): AgentOutput<T> => {
      const done = context.status === 'done' && context.last !== null;
      return {
        status: done ? 'done' : 'flagged',
        data: done ? context.data : null,
        result: done ? context.last : null,
        attempts: context.attempts,
        reasons: context.reasons,
        flags: done ? context.turnFlags : [`${id}: ${context.reasons[0] ?? 'flagged'}`],
        transcript: { turns: context.turns, toolCalls: context.toolCalls, calls: context.calls, compactions: context.compactions },
      };
    },
  });
}
