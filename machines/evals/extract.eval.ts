// The invoice extraction workflow (machines/extract.ts) over 56 invoices and non-invoices: its ladder (7B, then 32B)
// against the big model alone. `harness eval machines/evals/extract.eval.ts` against Ollama; add --simulate to run
// offline against the scripted models of invoice-replies.ts (they stand in for the models; see there).
import { assert, defineEval } from '../../src/eval/index.ts';
import extract, { extractLadder } from '../extract.ts';
import { bigModel, smallModel } from './invoice-replies.ts';

export default defineEval({
  workflow: extract,
  dataset: './invoices.jsonl',
  // Checked on every case expected done; a page that is no invoice expects the run flagged instead.
  assert: [
    assert.equals('invoice.invoiceNumber'),
    assert.equals('invoice.issueDate'),
    assert.equals('invoice.currency'),
    assert.near('invoice.total', { tolerance: 0.01 }),
    assert.equals('invoice.seller.name'),
    assert.equals('invoice.buyer.name'),
    assert.equals('invoice.lineItems.length'),
  ],
  variants: {
    ladder: {},
    'big-only': { steps: { extract: { ladder: [extractLadder[1]] } } },
  },
  concurrency: 4,
  simulator: {
    script: { [extractLadder[0]]: smallModel, [extractLadder[1]]: bigModel },
    latency: { ttftMs: 15 },
  },
});
