// How people read where a call ran: sub-agents and fan-out items between the run's root and the step, then the step.
// Shared by live events (the CLI's progress), the journal's readers (history, inspector) and fan-out flags.

/** A fan-out `fan` spawns its items as `fan.0`, `fan.1`…: ids kept in journal keys, so never renamed. */
const itemId = /^(.+)\.(\d+)$/;

/** How a fan-out item reads: `fan[2]`. */
export function itemLabel(fanOut: string, index: number): string {
  return `${fanOut}[${index}]`;
}

/** A chain of actor ids from the root for people: `security`, `fan[0]` (an item names its fan-out, not repeated). */
export function actorsLabel(ids: readonly string[]): string {
  const parts: string[] = [];
  for (const id of ids) {
    const item = itemId.exec(id);
    if (item && parts.length > 0) parts.pop();
    parts.push(item ? itemLabel(item[1] as string, Number(item[2])) : id);
  }
  return parts.join('/');
}

/**
 * The label of a step from the actor ids between the root and the step's machine (`between`), the step's own actor
 * id and the step's name: `security/review`, `work[2]/implement` (a sub-agent item), `fan[0]/expand` (a step item).
 */
export function placeLabel(between: readonly string[], step: string, stepActor?: string): string {
  const chain = stepActor !== undefined && itemId.test(stepActor) ? [...between, stepActor] : between;
  return chain.length > 0 ? `${actorsLabel(chain)}/${step}` : step;
}
