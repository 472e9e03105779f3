// The id of one entry of a step: part of its journal keys, so a step entered again never replays the previous pass.
import { randomUUID } from 'node:crypto';

/** 8 hex characters, persisted with the step's context (restored as is); from a cached entropy pool, cheap per step. */
export function newPassId(): string {
  return randomUUID().slice(0, 8);
}
