// One chain of model steps run three ways, side by side in one process: raw ollama-js calls, the harness's run, and
// LangGraph's graph with a SqliteSaver where its addon loads. The step and run overhead benches time them interleaved.
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { FileStore } from '../src/store/index.ts';
import { chainModule } from './chain-module.ts';
import { chainWorkflow, rawChainCall } from './chain.ts';
import { loadLangGraph } from './langgraph-load.ts';

export interface ChainContenders {
  /** `raw`, `harness` and, where LangGraph loads, `langgraph`: each runs the whole chain once. */
  fns: Record<string, () => Promise<unknown>>;
  /** Closes LangGraph's database. */
  close(): void;
}

/** `steps` chained steps on `question`: the harness on a FileStore in `dir` without fsync, one host slot. */
export async function chainContenders(host: string, dir: string, question: string, steps: number, notes: string[]): Promise<ChainContenders> {
  const store = new FileStore({ dir });
  const workflow = chainWorkflow(host);
  const limiter = new HostPool(1);
  let runs = 0;
  const fns: ChainContenders['fns'] = {
    raw: async () => {
      for (let n = 0; n < steps; n++) await rawChainCall(host, question, n);
    },
    harness: async () => {
      // Our own ids: generated ones carry 16 random bits per second.
      const record = await runWorkflow({ store, workflow, modulePath: chainModule, input: { question, steps }, runId: `chain-${++runs}`, limiter });
      if (record.status !== 'done' || record.journal.length !== steps) throw new Error(`${steps}-step chain ended ${record.status} after ${record.journal.length} calls: ${record.flags.join('; ')}`);
    },
  };
  const graph = await loadLangGraph(host, `${dir}/langgraph.sqlite`, question, notes);
  if (graph) {
    let threads = 0;
    fns.langgraph = () => graph.run(`thread-${++threads}`, steps);
  }
  return { fns, close: () => graph?.close() };
}
