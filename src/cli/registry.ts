// The subcommands of `harness`, in the order `harness --help` lists them.
import type { CommandRegistry } from './dispatch.ts';

// Registering a command is one line here; `harness --help` lists them in this order. Each module is loaded only
// when its command runs (or for the overview), so a quick command does not pay for the others' imports.
export const commands: CommandRegistry = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  resume: async () => (await import('./commands/resume.ts')).resumeCommand,
  send: async () => (await import('./commands/send.ts')).sendCommand,
  ls: async () => (await import('./commands/ls.ts')).lsCommand,
  show: async () => (await import('./commands/show.ts')).showCommand,
  cancel: async () => (await import('./commands/cancel.ts')).cancelCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  diagram: async () => (await import('./commands/diagram.ts')).diagramCommand,
  inspect: async () => (await import('./commands/inspect.ts')).inspectCommand,
  simulate: async () => (await import('./commands/simulate.ts')).simulateCommand,
  init: async () => (await import('./commands/init.ts')).initCommand,
  config: async () => (await import('./commands/config.ts')).configCommand,
};
