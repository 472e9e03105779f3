// What a run's actor tree is doing (busy, waiting, parked, ticking), read from its snapshots to decide a checkpoint's status.
import type { AnyActorRef, AnyMachineSnapshot, Snapshot } from 'xstate';
import { sleepUntil } from '../steps/sleep-until.ts';
import { parkedTag, retryParkedEvent, waitingTag } from '../steps/wait-for.ts';

/** Flattens a state value into its active leaf paths (`review.security.deciding`). */
export function statePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => statePaths(child, `${prefix}${key}.`));
}

export function isMachineSnapshot(snapshot: Snapshot<unknown>): snapshot is AnyMachineSnapshot {
  return typeof snapshot === 'object' && snapshot !== null && 'value' in snapshot && 'hasTag' in snapshot;
}

export interface Activity {
  /** A child is doing work that will produce an event by itself (a model call, a sub-agent's call). */
  busy: boolean;
  waiting: boolean;
  parked: boolean;
  /** A timer outside parked steps and person waits is running (a backoff inside its outage window): the run moves on its own. */
  ticking: boolean;
  /** The earliest deadline of a running timer (backoff, wait deadline, a parked step's retry), ms since the epoch. */
  wakeAt: number | null;
}

function deadlineOf(ref: AnyActorRef): number | null {
  const snapshot: unknown = ref.getSnapshot();
  if (typeof snapshot !== 'object' || snapshot === null || !('input' in snapshot)) return null;
  const input = snapshot.input;
  return typeof input === 'object' && input !== null && 'until' in input && typeof input.until === 'number' ? input.until : null;
}

/**
 * What the actor tree is doing. A timer in a state that waits for a person (a deadline) or in a parked step (its retry
 * time) does not keep a run `running`; any other timer (a backoff) does: one branch backing off, or busy, while another
 * is parked or waits, still moves the run on by itself.
 */
export function activity(ref: AnyActorRef, into: Activity = { busy: false, waiting: false, parked: false, ticking: false, wakeAt: null }): Activity {
  const snapshot: Snapshot<unknown> = ref.getSnapshot();
  if (!isMachineSnapshot(snapshot)) return into;
  const waiting = snapshot.hasTag(waitingTag);
  const parked = snapshot.hasTag(parkedTag);
  if (waiting) into.waiting = true;
  if (parked) into.parked = true;
  for (const child of Object.values<AnyActorRef | undefined>(snapshot.children)) {
    if (!child) continue;
    const childSnapshot: Snapshot<unknown> = child.getSnapshot();
    if (childSnapshot.status !== 'active') continue;
    if (isMachineSnapshot(childSnapshot)) activity(child, into);
    else if ('logic' in child && child.logic === sleepUntil) {
      const until = deadlineOf(child);
      if (until !== null && (into.wakeAt === null || until < into.wakeAt)) into.wakeAt = until;
      if (until !== null && !waiting && !parked) into.ticking = true;
    } else into.busy = true;
  }
  return into;
}

/** Every parked step in the tree is told to try again (a person's resume means "now", not "at the parked retry time"). */
export function retryParked(ref: AnyActorRef): void {
  const snapshot: Snapshot<unknown> = ref.getSnapshot();
  if (!isMachineSnapshot(snapshot)) return;
  if (snapshot.hasTag(parkedTag) && ref._parent) ref.send({ type: retryParkedEvent });
  for (const child of Object.values<AnyActorRef | undefined>(snapshot.children)) if (child) retryParked(child);
}
