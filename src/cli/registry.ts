// The subcommands of `harness`, in the order `harness --help` lists them.
import type { CommandRegistry } from './dispatch.ts';

// Registering a command is one line here; `harness --help` lists them in this order. Each module is loaded only
// when its command runs (or for the overview), so a quick command does not pay for the others' imports.
export const commands: CommandRegistry = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  resume: async () => (await import('./commands/resume.ts')).resumeCommand,
  history: async () => (await import('./commands/history.ts')).historyCommand,
  fork: async () => (await import('./commands/fork.ts')).forkCommand,
  send: async () => (await import('./commands/send.ts')).sendCommand,
  ls: async () => (await import('./commands/ls.ts')).lsCommand,
  show: async () => (await import('./commands/show.ts')).showCommand,
  submit: async () => (await import('./commands/submit.ts')).submitCommand,
  worker: async () => (await import('./commands/worker.ts')).workerCommand,
  cancel: async () => (await import('./commands/cancel.ts')).cancelCommand,
  upgrade: async () => (await import('./commands/upgrade.ts')).upgradeCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  diagram: async () => (await import('./commands/diagram.ts')).diagramCommand,
  inspect: async () => (await import('./commands/inspect.ts')).inspectCommand,
  usage: async () => (await import('./commands/usage.ts')).usageCommand,
  eval: async () => (await import('./commands/eval.ts')).evalCommand,
  simulate: async () => (await import('./commands/simulate.ts')).simulateCommand,
  record: async () => (await import('./commands/record.ts')).recordCommand,
  models: async () => (await import('./commands/models.ts')).modelsCommand,
  hosts: async () => (await import('./commands/hosts.ts')).hostsCommand,
  pull: async () => (await import('./commands/pull.ts')).pullCommand,
  init: async () => (await import('./commands/init.ts')).initCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  config: async () => (await import('./commands/config.ts')).configCommand,
};
