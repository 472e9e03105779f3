// Model calls in flight, read from a persisted snapshot: each active `attempt` child of a step machine, with its input.
import { callPlace } from './calls.ts';

export interface InFlightCall {
  /** The journal key the call will have (`root/…/<step>/<attempt child>:<pass>.m<rung>.a<attempt>`). */
  key: string;
  /** Where it runs, for people: `security/review`. */
  label: string;
  step: string;
  model: string;
  attempt: number;
  /** How many messages were sent. */
  messages: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An active promise child whose input is a model call's (see ModelCallInput). */
function callOf(path: string, snapshot: Json): InFlightCall | null {
  const input = snapshot.input;
  if (snapshot.status !== 'active' || !isObject(input)) return null;
  const { step, attemptKey, model, attempt, messages } = input;
  if (typeof step !== 'string' || typeof attemptKey !== 'string' || typeof model !== 'string' || typeof attempt !== 'number') return null;
  const key = `${path}:${attemptKey}`;
  const place = callPlace({ key, step });
  return { key, label: place?.label ?? step, step, model, attempt, messages: Array.isArray(messages) ? messages.length : 0 };
}

/** Every call in flight in the snapshot, at any depth (sub-agents, fan-out items, their steps). */
export function inFlightCalls(snapshot: unknown, path = 'root'): InFlightCall[] {
  if (!isObject(snapshot) || !isObject(snapshot.children)) return [];
  return Object.entries(snapshot.children).flatMap(([id, raw]) => {
    const child = isObject(raw) && isObject(raw.snapshot) ? raw.snapshot : null;
    if (!child) return [];
    const childPath = `${path}/${id}`;
    const call = callOf(childPath, child);
    return call ? [call] : inFlightCalls(child, childPath);
  });
}
