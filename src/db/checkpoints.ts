// Checkpoints of a SQLite database's write-ahead log, run by a worker thread of their own instead
// of by whichever commit finds the log over 1,000 pages. A checkpoint copies the log's pages into
// the database file and syncs it: under steady writes that stopped the event loop for milliseconds
// every few dozen commits, about half of what a createCustomer cost (measured on a 2-core machine).
// SQLite's documentation suggests this arrangement for such applications (wal.html, "Application-
// Initiated Checkpoints"). PASSIVE checkpoints never block the writer or the readers.
//
// The main thread counts commits in shared memory and wakes the worker; the worker checkpoints at
// most every CHECKPOINT_INTERVAL_MS while commits come. Should it stop or fall behind, SQLite's own
// automatic checkpoint, moved to FALLBACK_PAGES, still bounds the log.
import path from "node:path";
import { Worker } from "node:worker_threads";

/** The shared counters: commits (main thread), checkpoints done (worker), stop (main thread). */
export const COMMITS = 0;
export const CHECKPOINTS = 1;
export const STOP = 2;
export const CHECKPOINT_INTERVAL_MS = 50;
/** The writer's automatic checkpoint while the worker runs: 4,000 pages of 4 KiB, 16 MiB of log. */
export const FALLBACK_PAGES = 4000;

export interface CheckpointerData {
  filename: string;
  state: Int32Array;
}

export interface BackgroundCheckpoints {
  /** Call after each commit on the write connection. */
  committed(): void;
  /** Checkpoints the worker has run. */
  completed(): number;
  /** Stops the worker, after the checkpoint it may be running. */
  stop(): Promise<void>;
}

export function startBackgroundCheckpoints(filename: string, onError: (error: unknown) => void): BackgroundCheckpoints {
  const state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(path.join(__dirname, "checkpoint-worker.js"), { workerData: { filename, state } satisfies CheckpointerData });
  // The worker must not keep a process alive that is otherwise done (a CLI command that forgot to close).
  worker.unref();
  worker.on("error", onError);
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    committed() {
      Atomics.add(state, COMMITS, 1);
      Atomics.notify(state, COMMITS, 1);
    },
    completed: () => Atomics.load(state, CHECKPOINTS),
    async stop() {
      // Kept alive until it has closed its connection: the caller closes the others after.
      worker.ref();
      Atomics.store(state, STOP, 1);
      Atomics.notify(state, COMMITS, 1);
      Atomics.notify(state, STOP, 1);
      await exited;
    },
  };
}
