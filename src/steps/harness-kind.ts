// Which of the harness's own machines a logic is (`meta.harness` on its root): steps, agents and fan-outs say so.

/** The harness machine kinds, as their root meta names them. */
export type HarnessKind = 'model-step' | 'agent-step' | 'fan-out';

/** What `meta.harness` on the root of `logic` (a machine, or anything) says it is; undefined for any other logic. */
export function harnessKind(logic: unknown): string | undefined {
  if (typeof logic !== 'object' || logic === null || !('root' in logic)) return undefined;
  const root: unknown = logic.root;
  if (typeof root !== 'object' || root === null || !('meta' in root)) return undefined;
  const meta: unknown = root.meta;
  if (typeof meta !== 'object' || meta === null || !('harness' in meta)) return undefined;
  return typeof meta.harness === 'string' ? meta.harness : undefined;
}
