// Code review of a diff: three specialist sub-agents (correctness, security, style) review it in parallel, their
// findings are merged, and a final verdict is written by a model and graded by an LLM judge. A low grade escalates
// the verdict to the larger model; when the ladder is exhausted the run ends flagged, with the judge's reasons.
import { assign, setup, type AnyEventObject } from 'xstate';
import { z } from 'zod';
import { judgeScorer } from '../src/score/index.ts';
import { acceptedData, defineWorkflow, flagsFrom, modelStep, stepGuards } from '../src/steps/index.ts';

/** Smallest first: the step escalates only when the smaller model's reply is invalid or judged too weak. */
export const reviewLadder = ['qwen2.5-coder:7b', 'qwen2.5-coder:32b'] as const;
/** The judge grades the verdict; the larger model, so it can tell a careless verdict from a careful one. */
export const judgeModel = 'qwen2.5-coder:32b';
/** The judge's grade (in [0, 1]) a verdict needs to be accepted; below it the next model on the ladder writes one. */
export const verdictThreshold = 0.7;

export const specialties = ['correctness', 'security', 'style'] as const;
export type Specialty = (typeof specialties)[number];

const focus: Record<Specialty, string> = {
  correctness:
    'logic errors, off-by-one mistakes, unhandled null/undefined or NaN, missing error handling, broken edge cases, ' +
    'wrong use of APIs, and behaviour that contradicts comments or names',
  security:
    'injection (SQL, shell, path, HTML), missing authentication or authorisation, secrets in code, sensitive data ' +
    'in logs or responses, unvalidated input reaching dangerous sinks, and unsafe defaults',
  style:
    'readability, naming, dead code and unused imports, outdated constructs (var, callbacks), duplication, ' +
    'consistency with the surrounding code, and missing tests or docs for new behaviour',
};

export const findingSchema = z.object({
  file: z.string().min(1),
  /** Line in the new version of the file; 0 when the finding is about the file as a whole. */
  line: z.number().int().min(0),
  severity: z.enum(['info', 'warning', 'error']),
  message: z.string().min(1),
});
export type Finding = z.infer<typeof findingSchema>;

export const specialistReviewSchema = z.object({
  findings: z.array(findingSchema),
  summary: z.string().min(1),
});

export const verdictSchema = z.object({
  decision: z.enum(['approve', 'comment', 'request-changes']),
  summary: z.string().min(1),
  /** One line per problem that must be fixed before merging. */
  mustFix: z.array(z.string()),
});
export type Verdict = z.infer<typeof verdictSchema>;

export const verdictRubric = [
  "The decision follows from the findings: 'request-changes' whenever any error-severity finding is valid,",
  "'comment' when only warnings deserve attention, 'approve' otherwise.",
  'mustFix names every valid error-severity finding (file and problem) and nothing trivial.',
  'The summary is accurate to the diff and the findings, specific (files, concrete problems), and invents nothing.',
].join('\n');

// ---- the specialist sub-agent: one machine, parameterised by its specialty ----

export interface SpecialistInput {
  specialty: Specialty;
  diff: string;
  background: string | null;
}

interface SpecialistContext extends SpecialistInput {
  findings: Finding[];
  summary: string;
  flags: string[];
}

export interface SpecialistReport {
  specialty: Specialty;
  findings: Finding[];
  summary: string;
  flags: string[];
}

function specialistPrompt(input: SpecialistInput) {
  const system = [
    `You are a senior code reviewer. Your specialty in this review is ${input.specialty}: ${focus[input.specialty]}.`,
    'Review ONLY for your specialty; other reviewers cover the rest.',
    'Report each problem as a finding: the file path as in the diff header, the line number in the new file',
    '(0 if the problem is not tied to a line), a severity (error: must be fixed before merging; warning: should be',
    'fixed; info: a suggestion) and a message saying what is wrong and how to fix it.',
    'Report only problems in the changed lines. If there are none, return an empty findings list.',
    'summary: two or three sentences on the change from your specialty\'s point of view.',
    'Reply with JSON only.',
  ].join('\n');
  const user = [
    `Specialty: ${input.specialty}`,
    ...(input.background ? ['', '<context>', input.background, '</context>'] : []),
    '',
    '<diff>',
    input.diff,
    '</diff>',
  ].join('\n');
  return [
    { role: 'system' as const, content: system },
    { role: 'user' as const, content: user },
  ];
}

/** What a crashed child actor's error event says (a bug or a storage error, not a model failure). */
const errorText = ({ error }: AnyEventObject): string => (error instanceof Error ? error.message : String(error));

/** The first branch of a step's or sub-agent's onDone: ended flagged, so on to `flagged` with its flags kept. */
const toFlagged = { guard: 'stepFlagged', target: 'flagged', actions: 'keepFlags' } as const;
/** A child actor that crashed: on to `flagged`, the run's flags saying which and why. */
const crashed = (label: string) => ({ target: 'flagged', actions: { type: 'crashed', params: { label } } }) as const;

const specialistReview = modelStep({
  id: 'review',
  prompt: specialistPrompt,
  schema: specialistReviewSchema,
  ladder: reviewLadder,
  maxRetries: 1,
  config: { maxTokens: 2048 },
});

export const specialistMachine = setup({
  types: { context: {} as SpecialistContext, input: {} as SpecialistInput, output: {} as SpecialistReport },
  actors: { review: specialistReview },
  guards: stepGuards,
  actions: {
    keepFlags: assign({ flags: flagsFrom() }),
    crashed: assign({ flags: ({ context, event }, { label }: { label: string }) => [...context.flags, `${label}: ${errorText(event)}`] }),
  },
}).createMachine({
  id: 'specialist',
  context: ({ input }) => ({ ...input, findings: [], summary: '', flags: [] }),
  initial: 'reviewing',
  states: {
    reviewing: {
      invoke: {
        id: 'review',
        src: 'review',
        input: ({ context }) => ({ specialty: context.specialty, diff: context.diff, background: context.background }),
        onDone: [
          toFlagged,
          {
            target: 'done',
            actions: assign({
              findings: ({ event }) => acceptedData(event).findings,
              summary: ({ event }) => acceptedData(event).summary,
            }),
          },
        ],
        onError: crashed('review: step failed'),
      },
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({ specialty: context.specialty, findings: context.findings, summary: context.summary, flags: context.flags }),
});

// ---- the review: specialists in parallel, merge, judged verdict ----

export interface ReviewInput {
  diff: string;
  context?: string;
}

export interface MergedFinding extends Finding {
  specialty: Specialty;
}

interface Merged {
  findings: MergedFinding[];
  summaries: Record<Specialty, string>;
}

interface ReviewContext {
  diff: string;
  background: string | null;
  /** Each specialist's report, as its sub-agent returned it. */
  reports: Partial<Record<Specialty, SpecialistReport>>;
  merged: Merged | null;
  verdict: Verdict | null;
  /** The judge's grade of the accepted verdict. */
  score: number | null;
  flags: string[];
}

export interface ReviewOutput {
  decision: Verdict['decision'] | null;
  summary: string | null;
  mustFix: string[];
  findings: MergedFinding[];
  summaries: Record<Specialty, string>;
  /** The judge's grade of the accepted verdict, in [0, 1]. */
  score: number | null;
  flags: string[];
}

function verdictPrompt(input: { diff: string; merged: Merged | null }) {
  const merged = input.merged ?? { findings: [], summaries: {} };
  const system = [
    'You are the lead reviewer. Three specialists (correctness, security, style) reviewed a diff; their merged',
    'findings and summaries are below. Write the final review:',
    "- decision: 'request-changes' if any error-severity finding is valid, 'comment' if only warnings deserve",
    "  attention, 'approve' otherwise;",
    '- summary: a short paragraph for the author naming the most important problems, with file names;',
    '- mustFix: one line per problem that must be fixed before merging (file:line and the problem).',
    'Drop findings you judge to be wrong. Reply with JSON only.',
  ].join('\n');
  const user = [
    '<diff>',
    input.diff,
    '</diff>',
    '',
    '<findings>',
    JSON.stringify(merged.findings, null, 1),
    '</findings>',
    '',
    '<summaries>',
    ...Object.entries(merged.summaries).map(([specialty, summary]) => `${specialty}: ${summary}`),
    '</summaries>',
  ].join('\n');
  return [
    { role: 'system' as const, content: system },
    { role: 'user' as const, content: user },
  ];
}

const verdict = modelStep({
  id: 'verdict',
  prompt: verdictPrompt,
  schema: verdictSchema,
  ladder: reviewLadder,
  maxRetries: 1,
  scorer: judgeScorer({ model: judgeModel, rubric: verdictRubric }),
  threshold: verdictThreshold,
});

const severityRank: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };

function merge(reports: ReviewContext['reports']): Merged {
  const findings = specialties
    .flatMap((specialty) => (reports[specialty]?.findings ?? []).map((f) => ({ ...f, specialty })))
    .sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || a.file.localeCompare(b.file) || a.line - b.line);
  const summary = (s: Specialty) => reports[s]?.summary || '(no review: this specialist was flagged)';
  return { findings, summaries: { correctness: summary('correctness'), security: summary('security'), style: summary('style') } };
}

const review = setup({
  types: { context: {} as ReviewContext, input: {} as ReviewInput, output: {} as ReviewOutput },
  actors: { verdict, specialist: specialistMachine },
  guards: stepGuards,
  actions: {
    keepFlags: assign({ flags: flagsFrom() }),
    crashed: assign({ flags: ({ context, event }, { label }: { label: string }) => [...context.flags, `${label}: ${errorText(event)}`] }),
    mergeReports: assign({ merged: ({ context }) => merge(context.reports) }),
  },
});

/** One region of `reviewing`: the specialist sub-agent for `specialty`, its report stored and its flags adopted. */
const specialistRegion = (specialty: Specialty) =>
  review.createStateConfig({
    initial: 'running',
    states: {
      running: {
        invoke: {
          id: specialty,
          src: 'specialist',
          input: ({ context }) => ({ specialty, diff: context.diff, background: context.background }),
          onDone: {
            target: 'finished',
            actions: assign({
              reports: ({ context, event }) => ({ ...context.reports, [specialty]: event.output }),
              flags: flagsFrom(specialty),
            }),
          },
          // A sub-agent that crashed (a bug, not a model failure) leaves its region without a report, and says why.
          onError: { target: 'finished', actions: { type: 'crashed', params: { label: `${specialty}: sub-agent failed` } } },
        },
      },
      finished: { type: 'final' },
    },
  });

export const reviewMachine = review.createMachine({
  id: 'code-review',
  context: ({ input }) => ({
    diff: input.diff,
    background: input.context ?? null,
    reports: {},
    merged: null,
    verdict: null,
    score: null,
    flags: [],
  }),
  initial: 'reviewing',
  states: {
    reviewing: {
      type: 'parallel',
      states: {
        correctness: specialistRegion('correctness'),
        security: specialistRegion('security'),
        style: specialistRegion('style'),
      },
      onDone: 'merging',
    },
    merging: {
      entry: 'mergeReports',
      always: 'judging',
    },
    judging: {
      invoke: {
        id: 'verdict',
        src: 'verdict',
        input: ({ context }) => ({ diff: context.diff, merged: context.merged }),
        onDone: [
          toFlagged,
          {
            target: 'done',
            actions: assign({ verdict: ({ event }) => acceptedData(event), score: ({ event }) => event.output.result?.score ?? null }),
          },
        ],
        onError: crashed('verdict: step failed'),
      },
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({
    decision: context.verdict?.decision ?? null,
    summary: context.verdict?.summary ?? null,
    mustFix: context.verdict?.mustFix ?? [],
    findings: context.merged?.findings ?? [],
    summaries: context.merged?.summaries ?? { correctness: '', security: '', style: '' },
    score: context.score,
    flags: context.flags,
  }),
});

export default defineWorkflow({
  id: 'code-review',
  description: 'Three specialist reviewers in parallel, merged findings, and a judged verdict with escalation.',
  input: z.object({ diff: z.string().min(1, 'the diff is empty'), context: z.string().optional() }),
  machine: reviewMachine,
  budget: { tokens: 200_000 },
});
