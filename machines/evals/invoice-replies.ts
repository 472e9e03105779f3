// Simulated models for running the invoice eval offline (`harness eval machines/evals/extract.eval.ts --simulate`):
// scripted replies that stand in for a small and a big model, so the eval's mechanics (retries, escalation, flags,
// coverage, the report) can be seen without Ollama. They know each document's answer from the dataset and make the
// kinds of mistakes small models make, by what the document looks like. Against a real Ollama, drop --simulate.
import { readFileSync } from 'node:fs';
import type { Invoice } from '../extract.ts';
import type { ScriptedReply, SimRequest } from '../../src/testing/index.ts';

interface Case {
  input: { text: string };
  expected?: { invoice: Invoice };
}

const answers = new Map<string, Invoice>();
for (const line of readFileSync(new URL('./invoices.jsonl', import.meta.url), 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const c = JSON.parse(line) as Case;
  if (c.expected) answers.set(c.input.text, c.expected.invoice);
}

/** The document the request asks about, and whether this is a retry (the step appended its feedback). */
function asked(req: SimRequest): { text: string; retry: boolean } {
  const user = req.messages.find((m) => m.role === 'user')?.content ?? '';
  const text = /<document>\n([\s\S]*)\n<\/document>/.exec(user)?.[1] ?? '';
  return { text, retry: req.messages.length > 2 };
}

/** What a model sends for a page that is no invoice: no line items, which the schema refuses, so the step flags. */
const nothing = JSON.stringify({ invoiceNumber: '', issueDate: '', currency: '', seller: { name: '', company: null, email: null }, buyer: { name: '', company: null, email: null }, lineItems: [], tax: 0, total: 0 });

const monthName = /\b(January|February|March|April|May|June|July|August|September|October|November|December|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|Januar|Februar|März|Juni|Juli|Oktober|Dezember)\b/;
const decimalComma = /\d,\d{2} €/;

/** Both models read "Billed to … Pay to …" the wrong way round: seller and buyer swapped. */
function swapsParties(text: string, invoice: Invoice): Invoice {
  return text.includes('Billed to') && text.includes('Pay to') ? { ...invoice, seller: invoice.buyer, buyer: invoice.seller } : invoice;
}

/**
 * The small model: dates written with a month name come back as written (the schema refuses them; the retry, shown
 * the error, fixes it); decimal commas or four line items and more break its arithmetic every time (it escalates);
 * a £ becomes USD and a US date is read day first, both valid and wrong (only the assertions catch them).
 */
export const smallModel: ScriptedReply = (req) => {
  const { text, retry } = asked(req);
  const truth = answers.get(text);
  if (!truth) return nothing;
  let invoice = swapsParties(text, truth);
  if (!retry && monthName.test(text)) invoice = { ...invoice, issueDate: monthName.exec(text)?.[0] ?? invoice.issueDate };
  if (decimalComma.test(text)) invoice = { ...invoice, total: invoice.total - invoice.tax };
  if (invoice.lineItems.length >= 4) invoice = { ...invoice, lineItems: invoice.lineItems.slice(0, -1) };
  if (text.includes('£')) invoice = { ...invoice, currency: 'USD' };
  if (text.includes('(MM/DD/YYYY)')) {
    const [y, m, d] = invoice.issueDate.split('-');
    invoice = { ...invoice, issueDate: `${y}-${d}-${m}` };
  }
  return JSON.stringify(invoice);
};

/** The big model: right, but for the parties of "Billed to … Pay to …" pages, and it refuses pages that are no invoice. */
export const bigModel: ScriptedReply = (req) => {
  const { text } = asked(req);
  const truth = answers.get(text);
  return truth ? JSON.stringify(swapsParties(text, truth)) : nothing;
};
