import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import extract, { invoiceSchema, type ExtractOutput, type Invoice } from '../../machines/extract.ts';
import { checkMachine } from '../../src/check/index.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import type { ScriptedReply, SimRequest } from '../../src/testing/index.ts';
import { useModelRuns } from '../helpers/runs.ts';

const modulePath = join(import.meta.dirname, '../../machines/extract.ts');
const input = JSON.parse(readFileSync(join(import.meta.dirname, '../../machines/samples/invoice-input.json'), 'utf8')) as { text: string };

/** What a careful reader extracts from machines/samples/invoice-input.json. */
const invoice: Invoice = {
  invoiceNumber: 'NW-2024-0117',
  issueDate: '2024-03-14',
  currency: 'EUR',
  seller: { name: 'Lena Brandt', company: 'Northwind Design Studio', email: 'lena@northwind-studio.example' },
  buyer: { name: 'Dana Whitfield', company: 'Orbital Freight GmbH', email: 'dana.whitfield@orbital-freight.example' },
  lineItems: [
    { description: 'Logo redesign (fixed fee)', quantity: 1, unitPrice: 1200, amount: 1200 },
    { description: 'Brand guidelines, pages', quantity: 12, unitPrice: 45, amount: 540 },
    { description: 'Revision rounds', quantity: 3, unitPrice: 80, amount: 240 },
  ],
  tax: 376.2,
  total: 2356.2,
};
/** A typical slip: the subtotal copied as the total, the tax left out. */
const wrongTotal = { ...invoice, total: 1980 };

const runs = useModelRuns('harness-extract-');

async function run(script: ScriptedReply) {
  const { store } = await runs.start({ seed: 11, script: { '*': script } });
  return runWorkflow({ store, workflow: extract, modulePath, input });
}

const isRetry = (req: SimRequest) => req.messages.at(-1)?.content.startsWith('Your previous reply could not be used') === true;

describe('machines/extract', () => {
  it('passes harness check', () => {
    expect(invoiceSchema.safeParse(invoice).success).toBe(true);
    expect(checkMachine(extract.machine, { sampleInput: input }).filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('retries an invalid reply with the validation errors and accepts the corrected one', async () => {
    const requests: SimRequest[] = [];
    const record = await run((req) => {
      requests.push(req);
      return JSON.stringify(isRetry(req) ? invoice : wrongTotal);
    });
    expect(record.status).toBe('done');
    const output = record.output as ExtractOutput;
    expect(output.invoice).toEqual(invoice);
    expect(output.attempts).toBe(2);
    expect(output.model).toBe('qwen2.5-coder:7b');
    expect(output.flags).toEqual([]);
    // The second request shows the model its reply and the exact arithmetic error, on the same model.
    expect(requests.map((r) => r.model)).toEqual(['qwen2.5-coder:7b', 'qwen2.5-coder:7b']);
    expect(requests[1]?.messages.at(-2)).toEqual({ role: 'assistant', content: JSON.stringify(wrongTotal) });
    expect(requests[1]?.messages.at(-1)?.content).toContain('- total: total 1980 is not the sum of the line amounts plus tax (2356.2)');
    expect(record.journal.map((e) => e.result.success)).toEqual([false, true]);
  });

  it('flags the run when every model on the ladder keeps replying invalid data', async () => {
    const record = await run(() => JSON.stringify(wrongTotal));
    expect(record.status).toBe('flagged');
    const output = record.output as ExtractOutput;
    expect(output.invoice).toBeNull();
    // maxRetries 2: three tries on each of the two models.
    expect(output.attempts).toBe(6);
    expect(record.journal.map((e) => e.result.model)).toEqual([
      ...Array<string>(3).fill('qwen2.5-coder:7b'),
      ...Array<string>(3).fill('qwen2.5-coder:32b'),
    ]);
    expect(output.flags).toEqual([expect.stringMatching(/^extract: ladder exhausted after 6 attempt\(s\) \(last: invalid-output: /)]);
  });
});
