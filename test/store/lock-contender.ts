// A process contending for a run lock, for the PID-namespace test: `hold` takes it and reports losing it; `take` keeps
// trying and reports each refusal and the take. One line per event on stdout: `<event> <ms since start> <detail>`.
import { RunLockedError } from '../../src/store/errors.ts';
import { RunLock } from '../../src/store/lock.ts';

const [mode, path, staleText] = process.argv.slice(2);
if ((mode !== 'hold' && mode !== 'take') || path === undefined || staleText === undefined) {
  process.stderr.write('usage: lock-contender.ts hold|take <lock path> <stale ms>\n');
  process.exit(2);
}
const staleMs = Number(staleText);
const started = Date.now();
const say = (event: string, detail = '') => process.stdout.write(`${event} ${Date.now() - started} ${detail}\n`);

/** Holds `lock` and says `fenced` (then exits) once another driver has taken it: the fence a frozen holder meets. */
function hold(lock: RunLock): void {
  setInterval(() => {
    try {
      lock.assertHeld();
    } catch (error) {
      say('fenced', error instanceof Error ? error.message : String(error));
      process.exit(0);
    }
  }, 50);
}

if (mode === 'hold') {
  hold(RunLock.acquire(path, 'contested', { staleMs }));
  say('held', String(process.pid));
} else {
  const attempt = (): void => {
    try {
      const lock = RunLock.acquire(path, 'contested', { staleMs });
      say('taken', String(process.pid));
      hold(lock);
    } catch (error) {
      if (!(error instanceof RunLockedError)) throw error;
      say('refused', error.message);
      setTimeout(attempt, 100);
    }
  };
  attempt();
}
