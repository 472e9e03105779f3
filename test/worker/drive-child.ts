// A driver process for the takeover test: starts a run and SIGKILLs itself right after its first paid model call.
//
//   node --import tsx test/worker/drive-child.ts <dir> <runId> <workflow module> <input JSON>
import { hostLimiter, loadWorkflow, runWorkflow } from '../../src/runtime/index.ts';
import { FileStore } from '../../src/store/index.ts';

const [dir, runId, module, input] = process.argv.slice(2);
if (!dir || !runId || !module || input === undefined) throw new Error('usage: drive-child.ts <dir> <runId> <module> <input>');
const { workflow, modulePath } = await loadWorkflow(module);
await runWorkflow({
  store: new FileStore({ dir }),
  workflow,
  modulePath,
  input: JSON.parse(input),
  runId,
  limiter: hostLimiter(),
  onCall: (event) => {
    if (event.type === 'call.end' && !event.replayed) process.kill(process.pid, 'SIGKILL');
  },
});
process.exit(0);
