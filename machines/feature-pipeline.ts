// A long-running feature pipeline: plan the feature into work items, implement them with sub-agents (two at a
// time, each implementing then checking its own work), review everything, and wait for a person. APPROVE writes the
// pull request; REJECT starts a new planning round with the person's feedback. Every wait is persist-safe (no
// `after`), every model call is journaled, so the run can be killed at any point and resumed.
import { assign, setup, type AnyEventObject } from 'xstate';
import { z } from 'zod';
import { rulesScorer } from '../src/score/index.ts';
import {
  defineWorkflow,
  fanOut,
  initialHarnessContext,
  modelStep,
  stepImplementations,
  waitFor,
  type AgentOutput,
  type HarnessContext,
} from '../src/steps/index.ts';

export const pipelineLadder = ['qwen2.5-coder:7b', 'qwen2.5-coder:32b'] as const;
/** A work item whose check fails is implemented again this many times before it is flagged. */
export const maxRevisions = 1;

export const planSchema = z.object({
  summary: z.string().min(1),
  items: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9-]+$/, 'must be a short kebab-case slug'),
        title: z.string().min(1),
        description: z.string().min(1),
        acceptance: z.array(z.string().min(1)).min(1),
      }),
    )
    .min(1)
    .max(6),
});
export type Plan = z.infer<typeof planSchema>;
export type PlanItem = Plan['items'][number];

export const implementationSchema = z.object({
  files: z
    .array(z.object({ path: z.string().min(1), action: z.enum(['create', 'modify', 'delete']), content: z.string() }))
    .min(1),
  notes: z.string(),
});
export type Implementation = z.infer<typeof implementationSchema>;

export const checkSchema = z
  .object({ passed: z.boolean(), problems: z.array(z.string().min(1)) })
  .refine((check) => check.passed || check.problems.length > 0, {
    path: ['problems'],
    message: 'a failed check must name at least one problem',
  });

export const reviewSchema = z.object({ summary: z.string().min(1), ready: z.boolean(), concerns: z.array(z.string()) });
export type Review = z.infer<typeof reviewSchema>;

export const pullRequestSchema = z.object({ title: z.string().min(1).max(72), body: z.string().min(1) });
export type PullRequest = z.infer<typeof pullRequestSchema>;

const system = (content: string) => ({ role: 'system' as const, content });
const user = (content: string) => ({ role: 'user' as const, content });
const dataOf = <T>(context: HarnessContext, step: string) => context.steps[step]?.result?.data as T | undefined;

// ---- the work-item sub-agent: implement, check, revise once if the check fails ----

export interface WorkItemInput {
  feature: string;
  item: PlanItem;
}

interface WorkItemContext extends HarnessContext, WorkItemInput {
  revision: number;
  /** Problems the last check found, shown to the next implementation pass. */
  problems: string[];
}

export interface WorkItemReport extends AgentOutput {
  id: string;
  title: string;
  files: Implementation['files'];
  notes: string;
  passed: boolean;
  problems: string[];
  revisions: number;
  flags: string[];
}

const implement = modelStep<WorkItemContext>({
  id: 'implement',
  prompt: ({ context }) => [
    system(
      'You are a software engineer implementing one work item of a feature. Give the complete content of every file ' +
        'you create or modify (no diffs, no elisions) and a short note for the reviewer. Reply with JSON only.',
    ),
    user(
      [
        `Feature: ${context.feature}`,
        `Work item: ${context.item.title}`,
        context.item.description,
        'Acceptance criteria:',
        ...context.item.acceptance.map((a) => `- ${a}`),
        ...(context.problems.length > 0 ? ['', 'A check of your previous attempt found these problems; fix them:', ...context.problems.map((p) => `- ${p}`)] : []),
      ].join('\n'),
    ),
  ],
  schema: implementationSchema,
  // Placeholders and conflict markers mean unfinished work: such a reply scores below 1 and is escalated.
  scorer: rulesScorer({ notContains: ['TODO', 'FIXME', '<<<<<<<', '>>>>>>>'] }),
  threshold: 1,
  ladder: pipelineLadder,
  maxRetries: 1,
  config: { maxTokens: 4096 },
});

const check = modelStep<WorkItemContext>({
  id: 'check',
  prompt: ({ context }) => [
    system(
      'You check one work item against its acceptance criteria. passed is true only if the files meet every ' +
        'criterion; problems lists each unmet criterion or bug, one per line, and is empty when passed. Reply with JSON only.',
    ),
    user(
      [
        `Work item: ${context.item.title}`,
        'Acceptance criteria:',
        ...context.item.acceptance.map((a) => `- ${a}`),
        '',
        '<implementation>',
        JSON.stringify(dataOf<Implementation>(context, 'implement') ?? null, null, 1),
        '</implementation>',
      ].join('\n'),
    ),
  ],
  schema: checkSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
});

const itemImpl = stepImplementations<WorkItemContext>();

export const workItemMachine = setup({
  types: { context: {} as WorkItemContext, input: {} as WorkItemInput, output: {} as WorkItemReport },
  actors: { ...itemImpl.actors, ...implement.actors, ...check.actors },
  guards: {
    ...itemImpl.guards,
    checkPassed: ({ context }) => dataOf<{ passed: boolean }>(context, 'check')?.passed === true,
    canRevise: ({ context }) => context.revision < maxRevisions,
  },
  actions: {
    ...itemImpl.actions,
    startRevision: assign(({ context }) => ({
      revision: context.revision + 1,
      problems: dataOf<{ problems: string[] }>(context, 'check')?.problems ?? [],
    })),
    flagUnresolved: assign(({ context }) => ({
      flags: [...context.flags, `check still fails after ${context.revision} revision(s)`],
    })),
  },
}).createMachine({
  id: 'work-item',
  context: ({ input }) => ({ ...initialHarnessContext(), ...input, revision: 0, problems: [] }),
  initial: 'implementing',
  states: {
    implementing: implement.state({ onDone: 'checking', onFlagged: 'flagged' }),
    checking: check.state({ onDone: 'checked', onFlagged: 'flagged' }),
    checked: {
      always: [
        { guard: 'checkPassed', target: 'done' },
        { guard: 'canRevise', target: 'implementing', actions: 'startRevision' },
        { target: 'done', actions: 'flagUnresolved' },
      ],
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => {
    const implementation = dataOf<Implementation>(context, 'implement');
    const checked = dataOf<{ passed: boolean; problems: string[] }>(context, 'check');
    return {
      id: context.item.id,
      title: context.item.title,
      files: implementation?.files ?? [],
      notes: implementation?.notes ?? '',
      passed: checked?.passed ?? false,
      problems: checked?.problems ?? [],
      revisions: context.revision,
      flags: context.flags,
    };
  },
});

// ---- the pipeline ----

export interface PipelineInput {
  feature: string;
  context?: string;
}

/** A round the person rejected: kept so the next plan can answer the feedback, and so the record shows it. */
export interface RejectedRound {
  round: number;
  plan: Plan | null;
  review: Review | null;
  feedback: string;
  flags: string[];
}

interface PipelineContext extends HarnessContext {
  feature: string;
  background: string | null;
  /** 1 for the first plan; each REJECT starts the next round. */
  round: number;
  rejected: RejectedRound[];
}

export interface PipelineOutput {
  plan: Plan | null;
  work: WorkItemReport[];
  review: Review | null;
  pullRequest: PullRequest | null;
  /** The data sent with APPROVE, if any. */
  approval: unknown;
  rounds: number;
  flags: string[];
}

const plan = modelStep<PipelineContext>({
  id: 'plan',
  prompt: ({ context }) => [
    system(
      'You are a tech lead. Split the feature into 1 to 6 small work items that can be implemented independently ' +
        'and in parallel. Give each a kebab-case id, a title, a description and testable acceptance criteria. ' +
        'Reply with JSON only.',
    ),
    user(
      [
        `Feature: ${context.feature}`,
        ...(context.background ? ['', '<context>', context.background, '</context>'] : []),
        ...context.rejected.flatMap((r) => [
          '',
          `Round ${r.round} was rejected. Its plan: ${r.plan?.summary ?? '(none)'}`,
          `Items: ${r.plan?.items.map((i) => i.title).join('; ') ?? '(none)'}`,
          `Reviewer feedback: ${r.feedback}`,
        ]),
        ...(context.rejected.length > 0 ? ['', 'Make a new plan that addresses the feedback.'] : []),
      ].join('\n'),
    ),
  ],
  schema: planSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
  config: { maxTokens: 2048 },
});

const work = fanOut<PipelineContext, PlanItem>({
  id: 'work',
  src: 'workItem',
  items: ({ context }) => dataOf<Plan>(context, 'plan')?.items ?? [],
  input: ({ context, item }): WorkItemInput => ({ feature: context.feature, item }),
  concurrency: 2,
});

const reportsOf = (context: PipelineContext) =>
  (context.fanouts.work?.results ?? []).filter((r): r is WorkItemReport => r !== null && typeof r === 'object');

const review = modelStep<PipelineContext>({
  id: 'review',
  prompt: ({ context }) => [
    system(
      'You review the complete implementation of a feature before a person approves it. summary: what was built ' +
        'and how well; ready: whether it can be merged as is; concerns: anything the person should look at. Reply with JSON only.',
    ),
    user(
      [
        `Feature: ${context.feature}`,
        `Plan: ${dataOf<Plan>(context, 'plan')?.summary ?? ''}`,
        '<work>',
        JSON.stringify(reportsOf(context), null, 1),
        '</work>',
        ...(context.flags.length > 0 ? ['Flags raised so far:', ...context.flags.map((f) => `- ${f}`)] : []),
      ].join('\n'),
    ),
  ],
  schema: reviewSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
  config: { maxTokens: 2048 },
});

const finish = modelStep<PipelineContext>({
  id: 'finish',
  prompt: ({ context }) => [
    system('Write the pull request for this approved feature: a title of at most 72 characters and a Markdown body. Reply with JSON only.'),
    user(
      [
        `Feature: ${context.feature}`,
        `Review: ${dataOf<Review>(context, 'review')?.summary ?? ''}`,
        'Work items:',
        ...reportsOf(context).map((r) => `- ${r.title}: ${r.files.map((f) => `${f.action} ${f.path}`).join(', ')}`),
      ].join('\n'),
    ),
  ],
  schema: pullRequestSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
});

/** REJECT's data as the planner reads it: a string, `{ feedback }` or `{ reason }`, else the JSON. */
function feedbackOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data && typeof data === 'object') {
    const { feedback, reason } = data as { feedback?: unknown; reason?: unknown };
    if (typeof feedback === 'string') return feedback;
    if (typeof reason === 'string') return reason;
  }
  return data === null || data === undefined ? '(no feedback given)' : JSON.stringify(data);
}

/** A person's decision on the reviewed work (`harness send <run> REJECT --data '{"feedback":"…"}'`). */
type PipelineEvent = { type: 'APPROVE'; data?: unknown } | { type: 'REJECT'; data?: unknown };

type Args = { context: PipelineContext; event: AnyEventObject };

const impl = stepImplementations<PipelineContext, PipelineEvent>();

export const pipelineMachine = setup({
  types: {
    context: {} as PipelineContext,
    input: {} as PipelineInput,
    output: {} as PipelineOutput,
    events: {} as PipelineEvent,
  },
  actors: { ...impl.actors, ...plan.actors, ...review.actors, ...finish.actors, workItem: workItemMachine },
  guards: impl.guards,
  actions: {
    ...impl.actions,
    /** Item flags and failures become the run's flags, named by item, so the reviewer and the person see them. */
    collectWork: assign(({ context }: Args) => {
      const state = context.fanouts.work;
      const flags = [
        ...reportsOf(context).flatMap((r) => r.flags.map((f) => `${r.id}/${f}`)),
        ...(state?.errors ?? []).flatMap((e, i) => (e === null ? [] : [`work item ${i} failed: ${e}`])),
      ];
      return flags.length > 0 ? { flags: [...context.flags, ...flags] } : {};
    }),
    /**
     * The person rejected the round: it is kept with their feedback, and its flags go with it, since the next
     * round replaces the work they were about.
     */
    startRound: assign(({ context }: Args) => ({
      rejected: [
        ...context.rejected,
        {
          round: context.round,
          plan: dataOf<Plan>(context, 'plan') ?? null,
          review: dataOf<Review>(context, 'review') ?? null,
          feedback: feedbackOf(context.waits.approval?.decision?.data),
          flags: context.flags,
        },
      ],
      round: context.round + 1,
      flags: [],
    })),
  },
}).createMachine({
  id: 'feature-pipeline',
  context: ({ input }) => ({
    ...initialHarnessContext(),
    feature: input.feature,
    background: input.context ?? null,
    round: 1,
    rejected: [],
  }),
  initial: 'planning',
  states: {
    planning: plan.state({ onDone: 'working', onFlagged: 'flagged' }),
    working: work.state({ onDone: 'collecting' }),
    collecting: { entry: 'collectWork', always: 'reviewing' },
    reviewing: review.state({ onDone: 'awaitingApproval', onFlagged: 'flagged' }),
    awaitingApproval: waitFor({ id: 'approval', events: { APPROVE: 'finishing', REJECT: 'replanning' } }),
    replanning: { entry: 'startRound', always: 'planning' },
    finishing: finish.state({ onDone: 'done', onFlagged: 'flagged' }),
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({
    plan: dataOf<Plan>(context, 'plan') ?? null,
    work: reportsOf(context),
    review: dataOf<Review>(context, 'review') ?? null,
    pullRequest: dataOf<PullRequest>(context, 'finish') ?? null,
    approval: context.waits.approval?.decision?.type === 'APPROVE' ? context.waits.approval.decision.data : null,
    rounds: context.round,
    flags: context.flags,
  }),
});

export default defineWorkflow({
  id: 'feature-pipeline',
  description: 'Plan → parallel work-item sub-agents → review → person approval (REJECT replans) → pull request.',
  input: z.object({ feature: z.string().min(1, 'describe the feature'), context: z.string().optional() }),
  machine: pipelineMachine,
  budget: { tokens: 500_000 },
});
