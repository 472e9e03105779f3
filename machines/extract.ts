// Invoice extraction: free text in, a validated invoice out. Invalid replies (bad JSON, a wrong field, or totals
// that do not add up) are retried with the exact validation errors shown to the model, then escalated to the larger
// model; when every model on the ladder fails, the run ends flagged with each attempt's reasons.
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { acceptedData, defineWorkflow, flagsFrom, modelStep, stepGuards } from '../src/index.ts';

export const extractLadder = ['qwen2.5-coder:7b', 'qwen2.5-coder:32b'] as const;

/** Amounts are compared to the cent: models write 19.99 * 3 as 59.97, floating point may not. */
const cents = (n: number) => Math.round(n * 100);

const party = z.object({
  name: z.string().min(1),
  company: z.string().min(1).nullable(),
  email: z.email().nullable(),
});

const lineItem = z.object({
  description: z.string().min(1),
  quantity: z.number().positive(),
  unitPrice: z.number().min(0),
  amount: z.number().min(0),
});

export const invoiceSchema = z
  .object({
    invoiceNumber: z.string().min(1),
    issueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR or USD'),
    seller: party,
    buyer: party,
    lineItems: z.array(lineItem).min(1),
    /** 0 when the invoice shows no tax. */
    tax: z.number().min(0),
    total: z.number().min(0),
  })
  // JSON Schema cannot say this, so Ollama's grammar cannot enforce it: the arithmetic is checked here, and a
  // mismatch goes back to the model as a validation error naming the field.
  .superRefine((invoice, ctx) => {
    invoice.lineItems.forEach((item, index) => {
      if (cents(item.quantity * item.unitPrice) !== cents(item.amount)) {
        ctx.addIssue({
          code: 'custom',
          path: ['lineItems', index, 'amount'],
          message: `amount ${item.amount} is not quantity × unitPrice (${item.quantity} × ${item.unitPrice})`,
        });
      }
    });
    const sum = invoice.lineItems.reduce((total, item) => total + cents(item.amount), 0) + cents(invoice.tax);
    if (sum !== cents(invoice.total)) {
      ctx.addIssue({
        code: 'custom',
        path: ['total'],
        message: `total ${invoice.total} is not the sum of the line amounts plus tax (${sum / 100})`,
      });
    }
  });
export type Invoice = z.infer<typeof invoiceSchema>;

export interface ExtractInput {
  text: string;
}

interface ExtractContext {
  text: string;
  invoice: Invoice | null;
  attempts: number;
  model: string | null;
  flags: string[];
}

export interface ExtractOutput {
  invoice: Invoice | null;
  /** Model calls made, retries and escalations included. */
  attempts: number;
  /** The model whose reply was accepted. */
  model: string | null;
  flags: string[];
}

const instructions = [
  'You extract invoice data from a document. Copy names, numbers and codes exactly as written; never guess.',
  '- issueDate as YYYY-MM-DD; currency as its ISO 4217 code (€ is EUR, $ is USD unless the document says otherwise).',
  '- seller and buyer: the person\'s name, their company and email, or null when the document does not give one.',
  '- lineItems: one per billed line, with amount = quantity × unitPrice.',
  '- tax: the tax amount (0 if none is shown); total = the sum of the line amounts + tax.',
  'Reply with JSON only.',
].join('\n');

const extract = modelStep({
  id: 'extract',
  prompt: (input: ExtractInput) => [
    { role: 'system', content: instructions },
    { role: 'user', content: `<document>\n${input.text}\n</document>` },
  ],
  schema: invoiceSchema,
  ladder: extractLadder,
  maxRetries: 2,
  config: { maxTokens: 2048 },
});

export const extractMachine = setup({
  types: { context: {} as ExtractContext, input: {} as ExtractInput, output: {} as ExtractOutput },
  actors: { extract },
  guards: stepGuards,
}).createMachine({
  id: 'extract',
  context: ({ input }) => ({ text: input.text, invoice: null, attempts: 0, model: null, flags: [] }),
  initial: 'extracting',
  states: {
    extracting: {
      invoke: {
        id: 'extract',
        src: 'extract',
        input: ({ context }) => ({ text: context.text }),
        onDone: [
          { guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom(), attempts: ({ event }) => event.output.attempts.length }) },
          {
            target: 'done',
            actions: assign({
              invoice: ({ event }) => acceptedData(event),
              attempts: ({ event }) => event.output.attempts.length,
              model: ({ event }) => event.output.result?.model ?? null,
            }),
          },
        ],
      },
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({ invoice: context.invoice, attempts: context.attempts, model: context.model, flags: context.flags }),
});

export default defineWorkflow({
  id: 'extract',
  description: 'Invoice extraction into a zod schema, with validation-feedback retries and escalation.',
  input: z.object({ text: z.string().min(1, 'the text is empty') }),
  machine: extractMachine,
  budget: { tokens: 60_000 },
});
