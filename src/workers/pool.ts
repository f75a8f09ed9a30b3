/**
 * Worker-thread pools for work that computes synchronously for more than about a millisecond a
 * call (eSpeak NG synthesis, MP3/Opus encoding, resampling, audio decoding), so that one Node
 * event loop stays free to carry every learner's audio. Built on piscina
 * (https://github.com/piscinajs/piscina); every task runs `./audio-worker.ts` (`.js` once built).
 *
 * Two pools, both sized to the cores (`os.availableParallelism()`); two compute workers stay for
 * the server's life, the others end after idling five minutes:
 * - `compute`: one task at a time per worker, the rest wait in piscina's queue. A task cancelled
 *   while it waits is dropped from the queue; one already running sees its cancel flag (a shared
 *   `Int32Array` the worker polls between blocks) and stops at the next block (see `runTask`).
 * - `stream`: long-lived, stateful encoder sessions (a streaming MP3/Opus encoder lives inside one
 *   worker for the length of an HTTP response), many per worker; they talk over a `MessagePort`.
 *
 * The worker file is JavaScript in `dist/` (tsc output); under `tsx`/vitest, where only the
 * TypeScript source exists, the pool starts `audio-worker-tsx.mjs`, which registers tsx's loader
 * in the worker thread and imports `audio-worker.ts`.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

/** Index of the cancel flag and of the started flag in a task's control array. */
export const CANCELLED = 0;
export const STARTED = 1;

/** The task functions `audio-worker` exports (piscina's `name`). */
export type WorkerTaskName = 'espeakSynthesize' | 'decodeAudioTask' | 'encodeSession' | 'resampleTask';

/**
 * Added to the workers' nice value on Linux (piscina's `niceIncrement`, through `@napi-rs/nice`):
 * when the cores are busy, the event loop that carries every learner's audio runs before a
 * synthesis or an encode. In a 20-session load on a 2-core machine this halved the loop's worst
 * delays (max ~325 -> ~150-190 ms, p99 ~65 -> ~45-55 ms, the machine also busy with other work).
 */
const WORKER_NICE_INCREMENT = 5;

/** How long an idle worker lives before piscina ends it, ms (eSpeak's voice data stays loaded). */
const IDLE_TIMEOUT_MS = 5 * 60_000;

/**
 * Compute workers that live as long as the server (piscina's `minThreads`), never ended for idling.
 * One learner's voice keeps two busy at times (the next sentence is synthesized while one is still
 * stopping after a barge-in). A worker that idled out and started again mid-lesson made the
 * server's memory jump and fall by ~100-200 MB (measured under tsx, whose loader each worker
 * loads) and its first sentence pay for the WASM module again.
 */
const KEPT_COMPUTE_WORKERS = 2;

let computePool: Piscina | undefined;
let streamPool: Piscina | undefined;

/** `audio-worker.ts` beside this file under tsx/vitest, `audio-worker.js` in `dist/`. */
function workerFile(): string {
  const js = fileURLToPath(new URL('./audio-worker.js', import.meta.url));
  if (existsSync(js)) return js;
  // Running from source: an entry that registers tsx's loader, then imports audio-worker.ts.
  return fileURLToPath(new URL('./audio-worker-tsx.mjs', import.meta.url));
}

function createPool(concurrentTasksPerWorker: number, keptWorkers: number): Piscina {
  const threads = Math.max(1, availableParallelism());
  return new Piscina({
    filename: workerFile(),
    minThreads: Math.min(keptWorkers, threads),
    maxThreads: threads,
    idleTimeout: IDLE_TIMEOUT_MS,
    concurrentTasksPerWorker,
    niceIncrement: WORKER_NICE_INCREMENT,
  });
}

/** The pool for one-shot computations (one task per worker at a time). */
export function computeWorkers(): Piscina {
  computePool ??= createPool(1, KEPT_COMPUTE_WORKERS);
  return computePool;
}

/** The pool for long-lived encoder sessions (many per worker). */
export function streamWorkers(): Piscina {
  streamPool ??= createPool(64, 0);
  return streamPool;
}

/** A cancel flag shared with a worker: `[CANCELLED, STARTED]`, both 0 at first. */
export function createControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

/**
 * Runs a task on the compute pool with `signal` as its cancel: before the task starts, the abort
 * removes it from piscina's queue (the promise rejects with an AbortError); once it runs, the abort
 * sets `control[CANCELLED]` and the task stops at its next check. (Piscina's own handling of an
 * abort during a task ends the worker, which would throw away eSpeak's loaded voice data.)
 *
 * @param task the task's argument; its `control` field receives the shared flag
 * @param transferList buffers moved (not copied) to the worker
 * @throws AbortError when aborted before the task started; whatever the task throws
 */
export async function runTask<T>(
  name: WorkerTaskName,
  task: Record<string, unknown>,
  options: { signal?: AbortSignal; transferList?: Transferable[] } = {},
): Promise<T> {
  const control = createControl();
  const queued = new QueueAbort();
  const onAbort = () => {
    Atomics.store(control, CANCELLED, 1);
    if (Atomics.load(control, STARTED) === 0) queued.abort(options.signal?.reason);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    return (await computeWorkers().run(
      { ...task, control },
      { name, signal: queued, transferList: options.transferList as never },
    )) as T;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The abort piscina sees: fired only for a task still in the queue. */
class QueueAbort extends EventTarget {
  aborted = false;
  reason: unknown;
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.dispatchEvent(new Event('abort'));
  }
}

/** Ends both pools' workers (tests, shutdown). Later tasks start new ones. */
export async function closeWorkers(): Promise<void> {
  const pools = [computePool, streamPool];
  computePool = undefined;
  streamPool = undefined;
  await Promise.all(pools.map((pool) => pool?.destroy()));
}
