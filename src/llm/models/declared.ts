// The models something declares it calls (a step machine's meta, a judge scorer): a `models` list of names.
/** The names in `holder.models` (an object or a function, e.g. a judge scorer); [] when it declares none. */
export function declaredModels(holder: unknown): string[] {
  if ((typeof holder !== 'object' && typeof holder !== 'function') || holder === null || !('models' in holder)) return [];
  const { models } = holder;
  return Array.isArray(models) ? models.filter((name): name is string => typeof name === 'string' && name.trim() !== '') : [];
}
