// What a person watches while a run is driven: a block redrawn in place on a terminal, plain event lines elsewhere.
import { statePaths } from '../runtime/driver.ts';
import { usageCallText } from '../runtime/paid-calls.ts';
import { actorsLabel } from '../steps/labels.ts';
import type { CallEvent } from '../steps/services.ts';
import type { RunRecord } from '../store/index.ts';
import { duration, tokens, truncate, visibleLength } from './format.ts';
import { colorEnabled, isTerminal, paint, type Paint, type TermStream } from './io.ts';
import { outcomeOf } from './print-run.ts';

export interface LiveViewOptions {
  stream: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  runId: string;
  workflow: string;
  /** Redraw interval on a terminal; ~10 per second. */
  frameMs?: number;
  now?: () => number;
}

interface ActiveCall {
  step: string;
  model: string;
  attempt: number;
  tokens: number;
  since: number;
}

const finishedShown = 3;

export class LiveView {
  readonly #stream: TermStream;
  readonly #tty: boolean;
  readonly #p: Paint;
  readonly #now: () => number;
  readonly #started: number;
  readonly #runId: string;
  readonly #workflow: string;
  readonly #calls = new Map<string, ActiveCall>();
  readonly #finished: string[] = [];
  #states: string[] = [];
  #flags: string[] = [];
  #usage: RunRecord['usage'] = { calls: 0, tokensIn: 0, tokensOut: 0 };
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Nothing is shown until the run really starts, so a refused run prints only its error. */
  #begun = false;
  #closed = false;

  constructor(options: LiveViewOptions) {
    this.#stream = options.stream as TermStream;
    this.#tty = isTerminal(options.stream);
    this.#p = paint(colorEnabled(options.stream, options.env));
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.#runId = options.runId;
    this.#workflow = options.workflow;
    if (this.#tty) {
      this.#timer = setInterval(() => this.render(), options.frameMs ?? 100);
      this.#timer.unref();
    }
  }

  #begin(): void {
    if (this.#begun) return;
    this.#begun = true;
    if (this.#tty) this.render();
    else this.#line(`run ${this.#runId}  workflow ${this.#workflow}`);
  }

  /** The runtime's onCall hook. */
  readonly onCall = (event: CallEvent): void => {
    if (this.#closed) return;
    this.#begin();
    if (event.type === 'call.token') {
      const call = this.#calls.get(event.key);
      if (call) call.tokens += 1;
      return;
    }
    if (event.type === 'call.start') {
      const call = { step: event.step, model: event.model, attempt: event.attempt, tokens: 0, since: this.#now() };
      this.#calls.set(event.key, call);
      if (!this.#tty) this.#line(`call ${call.step}  ${call.model}  attempt ${call.attempt}  started`);
      return;
    }
    this.#calls.delete(event.key);
    const r = event.result;
    const outcome = outcomeOf(r);
    const parts = [
      `${event.step}  ${r.model}  attempt ${r.retries + 1}`,
      outcome === 'ok' ? this.#p.green('ok') : this.#p.red(outcome),
      `${tokens(r.tokensIn, r.tokensOut)} tokens`,
      duration(r.durationMs),
    ];
    if (r.score !== null) parts.push(`score ${r.score.toFixed(2)}`);
    if (event.replayed) parts.push('(replayed from the journal, not paid again)');
    const message = r.metadata.error?.message;
    if (outcome !== 'ok' && message) parts.push(truncate(message.replace(/\s+/g, ' '), 160));
    const text = parts.join('  ');
    if (this.#tty) {
      this.#finished.push(text);
      if (this.#finished.length > finishedShown) this.#finished.shift();
    } else {
      this.#line(`call ${text}`);
    }
  };

  /** The runtime's onCheckpoint hook: state changes, usage and flags come from the record as written. */
  readonly onCheckpoint = (record: RunRecord): void => {
    if (this.#closed) return;
    this.#begin();
    this.#usage = { ...record.usage };
    const states = record.snapshot ? [...statePaths(record.snapshot.value), ...childStates(record.snapshot)] : [];
    if (states.join(',') !== this.#states.join(',')) {
      this.#states = states;
      if (!this.#tty && states.length > 0) this.#line(`state ${states.join(', ')}`);
    }
    for (const flag of record.flags.slice(this.#flags.length)) {
      if (!this.#tty) this.#line(`flag ${this.#p.yellow(flag)}`);
    }
    this.#flags = [...record.flags];
  };

  /** A message that must not tear the block (e.g. "stopping…" after Ctrl-C). */
  note(text: string): void {
    if (this.#tty && !this.#closed) {
      this.#erase();
      this.#stream.write(`${text}\n`);
      this.render();
    } else {
      this.#stream.write(`${text}\n`);
    }
  }

  /** Draws the block once more with its final state and stops redrawing. */
  close(): void {
    if (this.#closed) return;
    if (this.#tty && this.#begun) this.render();
    this.#closed = true;
    clearInterval(this.#timer);
  }

  /** Redraws the block in place (terminal only). */
  render(): void {
    if (!this.#tty || this.#closed || !this.#begun) return;
    const lines = this.#block();
    const columns = this.#stream.columns;
    const width = columns !== undefined && columns > 20 ? columns - 1 : 100;
    // A line wider than the terminal wraps and the cursor-up count would be wrong: cut every line to fit.
    const fitted = lines.map((line) => fit(line, width));
    this.#erase();
    this.#stream.write(`${fitted.join('\n')}\n`);
    this.#drawn = fitted.length;
  }

  #erase(): void {
    if (this.#drawn > 0) this.#stream.write(`\x1b[${this.#drawn}A\r\x1b[J`);
    this.#drawn = 0;
  }

  #block(): string[] {
    const p = this.#p;
    const now = this.#now();
    const lines = [
      `${p.bold(`run ${this.#runId}`)}  workflow ${this.#workflow}  ${p.dim(duration(now - this.#started))}`,
      `state   ${this.#states.length > 0 ? p.cyan(this.#states.join(', ')) : p.dim('starting')}`,
    ];
    if (this.#calls.size === 0) lines.push(`calls   ${p.dim('none under way')}`);
    for (const call of this.#calls.values()) {
      lines.push(
        `calling ${call.step}  ${call.model}  attempt ${call.attempt}  ${call.tokens} tokens  ${duration(now - call.since)}`,
      );
    }
    for (const text of this.#finished) lines.push(p.dim(`ended   ${text}`));
    const u = this.#usage;
    lines.push(`totals  calls ${usageCallText(u)}  tokens ${tokens(u.tokensIn, u.tokensOut)}`);
    for (const flag of this.#flags) lines.push(`flag    ${p.yellow(flag)}`);
    return lines;
  }

  #line(text: string): void {
    const at = ((this.#now() - this.#started) / 1000).toFixed(1).padStart(6);
    this.#stream.write(`[${at}s] ${text}\n`);
  }
}

/**
 * The states of the live child machines (a model step under way, a sub-agent), as `<child>: <state>` (`fan[0]`,
 * `security/review`): a step
 * is its own machine, so its attempting / backingOff shows here and not in the root's state.
 */
function childStates(snapshot: unknown, prefix = ''): string[] {
  const children = typeof snapshot === 'object' && snapshot !== null ? (snapshot as { children?: unknown }).children : undefined;
  if (typeof children !== 'object' || children === null) return [];
  return Object.entries(children as Record<string, unknown>).flatMap(([id, raw]) => {
    const child = (typeof raw === 'object' && raw !== null ? raw : {}) as { snapshot?: { status?: unknown; value?: unknown } };
    const inner = child.snapshot;
    if (!inner || inner.status !== 'active' || inner.value === undefined) return [];
    const path = prefix ? `${prefix}/${id}` : id;
    return [`${actorsLabel(path.split('/'))}: ${statePaths(inner.value).join(', ')}`, ...childStates(inner, path)];
  });
}

/** Cuts a line to `width` visible columns, keeping ANSI sequences whole and resetting them at the cut. */
function fit(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const sequence = line[i] === '\x1b' ? /^\x1b\[[0-9;]*[A-Za-z]/.exec(line.slice(i)) : null;
    if (sequence) {
      out += sequence[0];
      i += sequence[0].length - 1;
      continue;
    }
    if (visible === width - 1) {
      out += '…';
      break;
    }
    out += line[i];
    visible += 1;
  }
  return line.includes('\x1b') ? `${out}\x1b[0m` : out;
}
