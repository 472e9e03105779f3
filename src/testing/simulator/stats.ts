// What the simulator counts: requests, replies, tokens, faults, disconnects, concurrency, truncations, loads, and the completed-request log.
import type { CompletedRequest, FaultKind, ModelStats, SimulatorStats } from './types.ts';

/** The log keeps the newest entries only, so a long `harness simulate` session does not grow without end. */
const LOG_LIMIT = 10_000;

export class StatsRecorder {
  #requests = 0;
  #completed = 0;
  #byModel = new Map<string, ModelStats>();
  #faults: Partial<Record<FaultKind, number>> = {};
  #disconnects = 0;
  #inFlight = 0;
  #maxConcurrent = 0;
  #truncations = 0;
  #loads = 0;
  #log: CompletedRequest[] = [];

  #model(name: string): ModelStats {
    let stats = this.#byModel.get(name);
    if (!stats) {
      stats = { requests: 0, completed: 0, tokensOut: 0 };
      this.#byModel.set(name, stats);
    }
    return stats;
  }

  request(): void {
    this.#requests++;
  }

  modelRequest(model: string): void {
    this.#model(model).requests++;
  }

  fault(kind: FaultKind): void {
    this.#faults[kind] = (this.#faults[kind] ?? 0) + 1;
  }

  disconnect(): void {
    this.#disconnects++;
  }

  /** A request took a slot and is generating. */
  started(): void {
    this.#inFlight++;
    this.#maxConcurrent = Math.max(this.#maxConcurrent, this.#inFlight);
  }

  ended(): void {
    this.#inFlight--;
  }

  /** A prompt was cut to fit its num_ctx. */
  truncation(): void {
    this.#truncations++;
  }

  /** A model was loaded (or reloaded with another num_ctx). */
  load(): void {
    this.#loads++;
  }

  tokens(model: string, count: number): void {
    this.#model(model).tokensOut += count;
  }

  completed(entry: CompletedRequest): void {
    this.#completed++;
    this.#model(entry.model).completed++;
    this.#log.push(entry);
    if (this.#log.length > LOG_LIMIT) this.#log.splice(0, this.#log.length - LOG_LIMIT);
  }

  snapshot(queued: number): SimulatorStats {
    return {
      requests: this.#requests,
      completed: this.#completed,
      byModel: Object.fromEntries([...this.#byModel].map(([name, stats]) => [name, { ...stats }])),
      faults: { ...this.#faults },
      disconnects: this.#disconnects,
      inFlight: this.#inFlight,
      queued,
      maxConcurrent: this.#maxConcurrent,
      truncations: this.#truncations,
      loads: this.#loads,
    };
  }

  log(): CompletedRequest[] {
    return this.#log.map((entry) => ({ ...entry }));
  }

  /** Zeroes the counters and the log. inFlight is a live gauge and stays; maxConcurrent restarts from it. */
  reset(): void {
    this.#requests = 0;
    this.#completed = 0;
    this.#byModel.clear();
    this.#faults = {};
    this.#disconnects = 0;
    this.#maxConcurrent = this.#inFlight;
    this.#truncations = 0;
    this.#loads = 0;
    this.#log = [];
  }
}
