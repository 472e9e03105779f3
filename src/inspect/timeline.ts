// The timeline in words: `security/review: attempt 2 started`, `APPROVE received`, not raw XState event types.
import type { RunRecord, StoredJournalEntry, TimelineEntry } from '../store/index.ts';
import { actorsLabel } from '../steps/labels.ts';
import { callPlace, errorKindOf } from './calls.ts';

export interface TimelineRow extends TimelineEntry {
  /** The actor for people: `run` for the root, else its path without `root/` (`security/review`). */
  who: string;
  /** What happened, in words. */
  text: string;
}

/** `root/security/review` → `security/review`, `root/fan/fan.0` → `fan[0]`; the root itself is the run. */
export function actorLabel(actor: string): string {
  return actor === 'root' ? 'run' : actorsLabel(actor.replace(/^root\//, '').split('/'));
}

/**
 * An invoked child without an id of its own is named by XState `<n>.<machine>.<state path>`: its state path's end; a
 * fan-out item `fan.0` reads `fan[0]`.
 */
function childName(id: string): string {
  const auto = /^\d+\.[^.]+\.(.+)$/.exec(id);
  return auto ? (auto[1] as string).split('.').at(-1) as string : actorsLabel([id]);
}

/** A model step's call: its invoke `attempt` (XState named it `<n>.<step>.attempting` in runs before ids were given). */
const isAttempt = (id: string) => id === 'attempt' || childName(id) === 'attempting';
/** A model step's timers, whose end is no news of their own. */
const stepTimers = new Set(['backoff', 'parked']);

function callSummary(entry: StoredJournalEntry | undefined): string {
  if (!entry) return '';
  const { result } = entry;
  const error = errorKindOf(result.metadata);
  const verdict = error ? `failed (${error})` : !result.success ? 'invalid reply' : result.score !== null ? `score ${result.score.toFixed(2)}` : 'valid reply';
  return ` on ${result.model}: ${verdict}`;
}

const stepOutcome: Record<string, string> = {
  done: 'reply accepted',
  flagged: 'flagged',
  backingOff: 'host unreachable, backing off',
  parked: 'parked until the host is back',
};

/** Words for every timeline entry; attempts are counted per step pass and matched to the journal's calls in order. */
export function describeTimeline(record: Pick<RunRecord, 'timeline' | 'journal'>): TimelineRow[] {
  const callsOf = new Map<string, StoredJournalEntry[]>();
  for (const entry of record.journal) {
    const place = callPlace(entry);
    if (!place) continue;
    const list = callsOf.get(place.stepActor) ?? [];
    list.push(entry);
    callsOf.set(place.stepActor, list);
  }
  const attempt = new Map<string, number>();
  const journaled = new Map<string, number>();
  return record.timeline.map((t) => {
    const who = actorLabel(t.actor);
    const state = t.state ?? [];
    const say = (text: string): TimelineRow => ({ ...t, who, text: t.actor === 'root' ? text : `${who}: ${text}` });
    const event = t.event;
    if (event === 'xstate.init') {
      if (state.includes('attempting')) {
        attempt.set(t.actor, 1);
        return say('attempt 1 started');
      }
      return say(t.actor === 'root' ? 'run started' : 'started');
    }
    const done = /^xstate\.done\.actor\.(.+)$/.exec(event);
    if (done) {
      const name = childName(done[1] as string);
      if (!isAttempt(done[1] as string)) return say(/^\d+\./.test(done[1] as string) || stepTimers.has(name) ? `${name} over` : `${name} finished`);
      const n = attempt.get(t.actor) ?? 1;
      const index = journaled.get(t.actor) ?? 0;
      journaled.set(t.actor, index + 1);
      const head = `attempt ${n} done${callSummary(callsOf.get(t.actor)?.[index])}`;
      if (state.includes('attempting')) {
        attempt.set(t.actor, n + 1);
        return say(`${head}; attempt ${n + 1} started`);
      }
      const outcome = state.map((s) => stepOutcome[s]).find((s) => s !== undefined);
      return say(outcome ? `${head}; ${outcome}` : head);
    }
    const error = /^xstate\.error\.actor\.(.+)$/.exec(event);
    if (error) return say(`${childName(error[1] as string)} failed`);
    const after = /^xstate\.after\.(\d+)\./.exec(event);
    if (after) return say(`timer fired after ${after[1]} ms`);
    if (event === 'xstate.stop') return say(t.actor === 'root' ? 'driver stopped (the run rests at its checkpoint)' : 'stopped');
    if (event.startsWith('xstate.')) return say(event);
    return say(`${event} received`);
  });
}
