// A long-running feature pipeline: plan the feature into work items, implement them with sub-agents (two at a
// time, each implementing then checking its own work), review everything, and wait for a person. APPROVE writes the
// pull request; REJECT starts a new planning round with the person's feedback. Every wait is persist-safe (no
// `after`), every model call is journaled, so the run can be killed at any point and resumed.
import { assertEvent, assign, setup, type AnyEventObject } from 'xstate';
import { z } from 'zod';
import { rulesScorer } from '../src/score/index.ts';
import { acceptedData, defineWorkflow, fanOut, flagsFrom, modelStep, sleepUntil, stepGuards, waitFor, type EventsOf } from '../src/steps/index.ts';

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

/** What a crashed child actor's error event says (a bug or a storage error, not a model failure). */
const errorText = ({ error }: AnyEventObject): string => (error instanceof Error ? error.message : String(error));

/** The first branch of a step's or sub-agent's onDone: ended flagged, so on to `flagged` with its flags kept. */
const toFlagged = { guard: 'stepFlagged', target: 'flagged', actions: 'keepFlags' } as const;
/** A child actor that crashed: on to `flagged`, the run's flags saying which and why. */
const crashed = (label: string) => ({ target: 'flagged', actions: { type: 'crashed', params: { label } } }) as const;

// ---- the work-item sub-agent: implement, check, revise once if the check fails ----

export interface WorkItemInput {
  feature: string;
  item: PlanItem;
}

export type Check = z.infer<typeof checkSchema>;

interface WorkItemContext extends WorkItemInput {
  revision: number;
  /** Problems the last check found, shown to the next implementation pass. */
  problems: string[];
  implementation: Implementation | null;
  check: Check | null;
  flags: string[];
}

export interface WorkItemReport {
  id: string;
  title: string;
  files: Implementation['files'];
  notes: string;
  passed: boolean;
  problems: string[];
  revisions: number;
  flags: string[];
}

const implement = modelStep({
  id: 'implement',
  prompt: (input: WorkItemInput & { problems: string[] }) => [
    system(
      'You are a software engineer implementing one work item of a feature. Give the complete content of every file ' +
        'you create or modify (no diffs, no elisions) and a short note for the reviewer. Reply with JSON only.',
    ),
    user(
      [
        `Feature: ${input.feature}`,
        `Work item: ${input.item.title}`,
        input.item.description,
        'Acceptance criteria:',
        ...input.item.acceptance.map((a) => `- ${a}`),
        ...(input.problems.length > 0 ? ['', 'A check of your previous attempt found these problems; fix them:', ...input.problems.map((p) => `- ${p}`)] : []),
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

const check = modelStep({
  id: 'check',
  prompt: (input: { item: PlanItem; implementation: Implementation | null }) => [
    system(
      'You check one work item against its acceptance criteria. passed is true only if the files meet every ' +
        'criterion; problems lists each unmet criterion or bug, one per line, and is empty when passed. Reply with JSON only.',
    ),
    user(
      [
        `Work item: ${input.item.title}`,
        'Acceptance criteria:',
        ...input.item.acceptance.map((a) => `- ${a}`),
        '',
        '<implementation>',
        JSON.stringify(input.implementation, null, 1),
        '</implementation>',
      ].join('\n'),
    ),
  ],
  schema: checkSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
});

export const workItemMachine = setup({
  types: { context: {} as WorkItemContext, input: {} as WorkItemInput, output: {} as WorkItemReport },
  actors: { implement, check },
  guards: {
    ...stepGuards,
    checkPassed: ({ context }) => context.check?.passed === true,
    canRevise: ({ context }) => context.revision < maxRevisions,
  },
  actions: {
    keepFlags: assign({ flags: flagsFrom() }),
    crashed: assign({ flags: ({ context, event }, { label }: { label: string }) => [...context.flags, `${label}: ${errorText(event)}`] }),
    startRevision: assign(({ context }) => ({ revision: context.revision + 1, problems: context.check?.problems ?? [] })),
    flagUnresolved: assign(({ context }) => ({
      flags: [...context.flags, `check still fails after ${context.revision} revision(s)`],
    })),
  },
}).createMachine({
  id: 'work-item',
  context: ({ input }) => ({ ...input, revision: 0, problems: [], implementation: null, check: null, flags: [] }),
  initial: 'implementing',
  states: {
    implementing: {
      invoke: {
        id: 'implement',
        src: 'implement',
        input: ({ context }) => ({ feature: context.feature, item: context.item, problems: context.problems }),
        onDone: [toFlagged, { target: 'checking', actions: assign({ implementation: ({ event }) => acceptedData(event) }) }],
        onError: crashed('implement: step failed'),
      },
    },
    checking: {
      invoke: {
        id: 'check',
        src: 'check',
        input: ({ context }) => ({ item: context.item, implementation: context.implementation }),
        onDone: [toFlagged, { target: 'checked', actions: assign({ check: ({ event }) => acceptedData(event) }) }],
        onError: crashed('check: step failed'),
      },
    },
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
  output: ({ context }) => ({
    id: context.item.id,
    title: context.item.title,
    files: context.implementation?.files ?? [],
    notes: context.implementation?.notes ?? '',
    passed: context.check?.passed ?? false,
    problems: context.check?.problems ?? [],
    revisions: context.revision,
    flags: context.flags,
  }),
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

interface PipelineContext {
  feature: string;
  background: string | null;
  /** 1 for the first plan; each REJECT starts the next round. */
  round: number;
  rejected: RejectedRound[];
  plan: Plan | null;
  /** The work items' reports by plan item; null where the item's sub-agent failed. */
  work: (WorkItemReport | null)[];
  workErrors: (string | null)[];
  review: Review | null;
  pullRequest: PullRequest | null;
  /** The fields sent with APPROVE (who, and a comment); null until approved. */
  approval: Approval | null;
  flags: string[];
}

export interface PipelineOutput {
  plan: Plan | null;
  work: WorkItemReport[];
  review: Review | null;
  pullRequest: PullRequest | null;
  /** The fields sent with APPROVE (who, and a comment); null until approved. */
  approval: Approval | null;
  rounds: number;
  flags: string[];
}

const plan = modelStep({
  id: 'plan',
  prompt: (input: { feature: string; background: string | null; rejected: RejectedRound[] }) => [
    system(
      'You are a tech lead. Split the feature into 1 to 6 small work items that can be implemented independently ' +
        'and in parallel. Give each a kebab-case id, a title, a description and testable acceptance criteria. ' +
        'Reply with JSON only.',
    ),
    user(
      [
        `Feature: ${input.feature}`,
        ...(input.background ? ['', '<context>', input.background, '</context>'] : []),
        ...input.rejected.flatMap((r) => [
          '',
          `Round ${r.round} was rejected. Its plan: ${r.plan?.summary ?? '(none)'}`,
          `Items: ${r.plan?.items.map((i) => i.title).join('; ') ?? '(none)'}`,
          `Reviewer feedback: ${r.feedback}`,
        ]),
        ...(input.rejected.length > 0 ? ['', 'Make a new plan that addresses the feedback.'] : []),
      ].join('\n'),
    ),
  ],
  schema: planSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
  config: { maxTokens: 2048 },
});

const work = fanOut({ id: 'work', worker: workItemMachine, concurrency: 2 });

const reportsOf = (context: PipelineContext) => context.work.filter((r): r is WorkItemReport => r !== null);

const review = modelStep({
  id: 'review',
  prompt: (input: { feature: string; plan: string; work: WorkItemReport[]; flags: string[] }) => [
    system(
      'You review the complete implementation of a feature before a person approves it. summary: what was built ' +
        'and how well; ready: whether it can be merged as is; concerns: anything the person should look at. Reply with JSON only.',
    ),
    user(
      [
        `Feature: ${input.feature}`,
        `Plan: ${input.plan}`,
        '<work>',
        JSON.stringify(input.work, null, 1),
        '</work>',
        ...(input.flags.length > 0 ? ['Flags raised so far:', ...input.flags.map((f) => `- ${f}`)] : []),
      ].join('\n'),
    ),
  ],
  schema: reviewSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
  config: { maxTokens: 2048 },
});

const finish = modelStep({
  id: 'finish',
  prompt: (input: { feature: string; review: string; work: WorkItemReport[] }) => [
    system('Write the pull request for this approved feature: a title of at most 72 characters and a Markdown body. Reply with JSON only.'),
    user(
      [
        `Feature: ${input.feature}`,
        `Review: ${input.review}`,
        'Work items:',
        ...input.work.map((r) => `- ${r.title}: ${r.files.map((f) => `${f.action} ${f.path}`).join(', ')}`),
      ].join('\n'),
    ),
  ],
  schema: pullRequestSchema,
  ladder: pipelineLadder,
  maxRetries: 1,
});

/**
 * A person's decision on the reviewed work, checked before the run takes it:
 * `harness send <run> APPROVE --data '{"by":"dana"}'`, `harness send <run> REJECT --data '{"feedback":"…"}'`.
 */
export const decisionEvents = {
  APPROVE: z.object({ by: z.string().min(1).optional(), comment: z.string().optional() }),
  REJECT: z.object({ feedback: z.string().min(1, 'say what the next round should change') }),
};
type PipelineEvent = EventsOf<typeof decisionEvents>;
export type Approval = z.infer<typeof decisionEvents.APPROVE>;

export const pipelineMachine = setup({
  types: {
    context: {} as PipelineContext,
    input: {} as PipelineInput,
    output: {} as PipelineOutput,
    events: {} as PipelineEvent,
  },
  actors: { plan, work, review, finish, sleepUntil },
  guards: stepGuards,
  actions: {
    keepFlags: assign({ flags: flagsFrom() }),
    crashed: assign({ flags: ({ context, event }, { label }: { label: string }) => [...context.flags, `${label}: ${errorText(event)}`] }),
    /** Item flags and failures become the run's flags, named by item, so the reviewer and the person see them. */
    collectWork: assign(({ context }) => {
      const flags = [
        ...reportsOf(context).flatMap((r) => r.flags.map((f) => `${r.id}/${f}`)),
        ...context.workErrors.flatMap((e, i) => (e === null ? [] : [`work item ${i} failed: ${e}`])),
      ];
      return flags.length > 0 ? { flags: [...context.flags, ...flags] } : {};
    }),
    /**
     * The person rejected the round: it is kept with their feedback, and its flags go with it, since the next
     * round replaces the work they were about.
     */
    startRound: assign(({ context, event }) => {
      assertEvent(event, 'REJECT');
      const round = { round: context.round, plan: context.plan, review: context.review, feedback: event.feedback, flags: context.flags };
      return { rejected: [...context.rejected, round], round: context.round + 1, flags: [] };
    }),
  },
}).createMachine({
  id: 'feature-pipeline',
  context: ({ input }) => ({
    feature: input.feature,
    background: input.context ?? null,
    round: 1,
    rejected: [],
    plan: null,
    work: [],
    workErrors: [],
    review: null,
    pullRequest: null,
    approval: null,
    flags: [],
  }),
  initial: 'planning',
  states: {
    planning: {
      invoke: {
        id: 'plan',
        src: 'plan',
        input: ({ context }) => ({ feature: context.feature, background: context.background, rejected: context.rejected }),
        onDone: [toFlagged, { target: 'working', actions: assign({ plan: ({ event }) => acceptedData(event) }) }],
        onError: crashed('plan: step failed'),
      },
    },
    working: {
      invoke: {
        id: 'work',
        src: 'work',
        input: ({ context }) => ({ items: (context.plan?.items ?? []).map((item) => ({ feature: context.feature, item })) }),
        // Not `flagsFrom()`: the fan-out names flags by index (`work[2]/…`); collectWork names them by item id.
        onDone: {
          target: 'collecting',
          actions: assign({ work: ({ event }) => event.output.results, workErrors: ({ event }) => event.output.errors }),
        },
        onError: crashed('work: fan-out failed'),
      },
    },
    collecting: { entry: 'collectWork', always: 'reviewing' },
    reviewing: {
      invoke: {
        id: 'review',
        src: 'review',
        input: ({ context }) => ({ feature: context.feature, plan: context.plan?.summary ?? '', work: reportsOf(context), flags: context.flags }),
        onDone: [toFlagged, { target: 'awaitingApproval', actions: assign({ review: ({ event }) => acceptedData(event) }) }],
        onError: crashed('review: step failed'),
      },
    },
    awaitingApproval: {
      ...waitFor({ events: decisionEvents }),
      on: {
        APPROVE: { target: 'finishing', actions: assign({ approval: ({ event: { type: _, ...approval } }) => approval }) },
        REJECT: { target: 'replanning', actions: 'startRound' },
      },
    },
    replanning: { always: 'planning' },
    finishing: {
      invoke: {
        id: 'finish',
        src: 'finish',
        input: ({ context }) => ({ feature: context.feature, review: context.review?.summary ?? '', work: reportsOf(context) }),
        onDone: [toFlagged, { target: 'done', actions: assign({ pullRequest: ({ event }) => acceptedData(event) }) }],
        onError: crashed('finish: step failed'),
      },
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({
    plan: context.plan,
    work: reportsOf(context),
    review: context.review,
    pullRequest: context.pullRequest,
    approval: context.approval,
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
