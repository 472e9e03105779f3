// Runs the inspector drives itself (resume, send): in the background, stopped cleanly when the inspector closes.
import type { CallEvent } from '../steps/services.ts';
import type { RunRecord, RunStatus } from '../store/index.ts';

export interface DriveHooksForInspector {
  signal: AbortSignal;
  onCheckpoint: (record: RunRecord) => void;
  /** The drive's model calls as they happen (start, each streamed token, end): relayed to the page live. */
  onCall: (event: CallEvent) => void;
}

export interface DriveStarted {
  runId: string;
  /** The run's status at its first checkpoint (or when the drive ended, if sooner). */
  status: RunStatus;
}

export class BackgroundDrives {
  readonly #controllers = new Set<AbortController>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #onError: (runId: string, error: unknown) => void;
  readonly #onCall: (runId: string, event: CallEvent) => void;

  constructor(onError: (runId: string, error: unknown) => void = () => undefined, onCall: (runId: string, event: CallEvent) => void = () => undefined) {
    this.#onError = onError;
    this.#onCall = onCall;
  }

  /**
   * Starts `drive` and resolves once the run is really under way (its first checkpoint is written), so a refusal —
   * locked, finished, changed definition, an event it does not take — is an error of the request, not a lost one.
   */
  start(runId: string, drive: (hooks: DriveHooksForInspector) => Promise<RunRecord>): Promise<DriveStarted> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    return new Promise<DriveStarted>((resolve, reject) => {
      let answered = false;
      const answer = (status: RunStatus) => {
        if (answered) return;
        answered = true;
        resolve({ runId, status });
      };
      const running = drive({ signal: controller.signal, onCheckpoint: (record) => answer(record.status), onCall: (event) => this.#onCall(runId, event) })
        .then(
          (record) => answer(record.status),
          (error: unknown) => {
            if (!answered) {
              answered = true;
              reject(error);
            } else this.#onError(runId, error);
          },
        )
        .finally(() => {
          this.#controllers.delete(controller);
          this.#running.delete(running);
        });
      this.#running.add(running);
    });
  }

  get size(): number {
    return this.#running.size;
  }

  /** Stops every drive after its next checkpoint (status `stopped`, resumable) and waits for them. */
  async close(): Promise<void> {
    for (const controller of this.#controllers) controller.abort();
    await Promise.allSettled([...this.#running]);
  }
}
