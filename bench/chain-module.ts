// Where bench/chain.ts lives, for the runs that record it as their module. Kept out of chain.ts itself: a workflow
// module that reads import.meta.url cannot be stored as a version (a run resumes from the store, not from beside it).
import { fileURLToPath } from 'node:url';

export const chainModule = fileURLToPath(new URL('./chain.ts', import.meta.url));
