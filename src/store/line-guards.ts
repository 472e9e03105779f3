// Structural checks of the lines a run reads back by the thousand (journal entries, timeline entries): plain code.
import type { StoredCall, StoredJournalEntry, TimelineEntry } from './record.ts';

// Why not zod: a resume reads every journal line, and zod's object walk was about a third of reading a 1,000-call
// journal (JSON.parse the rest). These check the same fields zod did, as JSON can hold them; unnamed fields are kept.

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
/** As zod's z.number(): finite (JSON.parse reads 1e400 as Infinity). */
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNumberOrNull = (value: unknown): boolean => value === null || isNumber(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const optional = (value: unknown, check: (value: unknown) => boolean): boolean => value === undefined || check(value);

function isStoredCall(value: unknown): value is StoredCall {
  return (
    isObject(value) &&
    isString(value['content']) &&
    isString(value['model']) &&
    isNumber(value['tokensIn']) &&
    isNumber(value['tokensOut']) &&
    isNumber(value['durationMs']) &&
    isNumberOrNull(value['ttftMs']) &&
    typeof value['success'] === 'boolean' &&
    isNumber(value['retries']) &&
    isNumberOrNull(value['score']) &&
    isObject(value['metadata']) &&
    isString(value['metadata']['host'])
  );
}

const isMessage = (value: unknown): boolean => isObject(value) && isString(value['role']) && isString(value['content']);

export function isStoredJournalEntry(value: unknown): value is StoredJournalEntry {
  return (
    isObject(value) &&
    isString(value['key']) &&
    isString(value['requestHash']) &&
    isString(value['step']) &&
    isStoredCall(value['result']) &&
    optional(value['judges'], (judges) => Array.isArray(judges) && judges.every(isStoredCall)) &&
    optional(value['messages'], (messages) => Array.isArray(messages) && messages.every(isMessage)) &&
    isString(value['at']) &&
    optional(value['epoch'], Number.isSafeInteger) &&
    optional(value['reusedFrom'], isString)
  );
}

export function isTimelineEntry(value: unknown): value is TimelineEntry {
  return isObject(value) && isString(value['at']) && isString(value['actor']) && isString(value['event']) && optional(value['state'], isStringArray);
}
