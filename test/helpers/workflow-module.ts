// Workflow modules written at test time (to break and fix a file under a running worker): valid ones import the harness by path.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const steps = fileURLToPath(new URL('../../src/steps/index.ts', import.meta.url));

/** Writes a valid workflow module to `file`: it waits for nothing and ends at once (`id` names workflow and machine). */
export function writeWorkflowModule(file: string, id: string): void {
  writeFileSync(
    file,
    `import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from ${JSON.stringify(steps)};
export default defineWorkflow({
  id: ${JSON.stringify(id)},
  input: z.object({}),
  machine: setup({}).createMachine({ id: ${JSON.stringify(id)}, initial: 'end', states: { end: { type: 'final' } } }),
});
`,
  );
}

/** A module that throws while it is evaluated (a missing setting, say): Node would keep that failure for the process. */
export function writeThrowingModule(file: string, message = 'not configured yet'): void {
  writeFileSync(file, `throw new Error(${JSON.stringify(message)});\n`);
}
