// The runs list's search and filters: by workflow, by status, and a text that matches id, workflow or flags.
import type { RunListing, RunSummary } from '../store/index.ts';

export interface RunFilter {
  workflow: string | null;
  status: string | null;
  /** Case-insensitive substring of the run id, the workflow id or a flag. */
  q: string | null;
}

export interface FilteredRuns extends RunListing {
  /** Runs before filtering, and every workflow and status among them (what the filter menus offer). */
  total: number;
  workflows: string[];
  statuses: string[];
}

export function runFilterOf(params: URLSearchParams): RunFilter {
  const value = (name: string) => {
    const v = params.get(name)?.trim();
    return v ? v : null;
  };
  return { workflow: value('workflow'), status: value('status'), q: value('q') };
}

function matches(run: RunSummary, filter: RunFilter): boolean {
  if (filter.workflow !== null && run.workflowId !== filter.workflow) return false;
  if (filter.status !== null && run.status !== filter.status) return false;
  if (filter.q === null) return true;
  const q = filter.q.toLowerCase();
  return [run.runId, run.workflowId, ...run.flags].some((text) => text.toLowerCase().includes(q));
}

export function filterRuns(listing: RunListing, filter: RunFilter): FilteredRuns {
  const distinct = (values: string[]) => [...new Set(values)].sort();
  return {
    ...listing,
    runs: listing.runs.filter((run) => matches(run, filter)),
    total: listing.runs.length,
    workflows: distinct(listing.runs.map((r) => r.workflowId)),
    statuses: distinct(listing.runs.map((r) => r.status)),
  };
}
