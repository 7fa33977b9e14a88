// Checks import rows in worker threads, keeping their order: chunks of rows go round-robin to the
// workers (each answers its chunks in order) and come back in the order they were read. At most a
// few chunks are in flight, so a fast reader never piles rows up in memory.
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { CheckedRow } from "../services/import.service";
import { checker, type DecodeContext, type RawRow } from "./rows";

const CHUNK = 200;

/** Workers to use by default: the cores the main thread (which writes) leaves, at most 4. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

export async function* checkRows(source: AsyncIterable<RawRow> | Iterable<RawRow>, context: DecodeContext, workers: number): AsyncGenerator<CheckedRow> {
  if (workers <= 0) {
    const check = checker(context);
    for await (const raw of source) yield* check([raw]);
    return;
  }
  const pool = Array.from({ length: workers }, () => new Worker(path.join(__dirname, "check-worker.js"), { workerData: context }));
  const waiting = pool.map(() => [] as { resolve: (rows: CheckedRow[]) => void; reject: (error: unknown) => void }[]);
  pool.forEach((worker, i) => {
    worker.on("message", (rows: CheckedRow[]) => waiting[i].shift()?.resolve(rows));
    worker.on("error", (error) => waiting[i].splice(0).forEach((w) => w.reject(error)));
  });
  let turn = 0;
  const submit = (rows: RawRow[]) => {
    const i = turn++ % workers;
    const answer = new Promise<CheckedRow[]>((resolve, reject) => waiting[i].push({ resolve, reject }));
    answer.catch(() => undefined); // awaited below, in order
    pool[i].postMessage(rows);
    return answer;
  };
  const inFlight: Promise<CheckedRow[]>[] = [];
  try {
    let chunk: RawRow[] = [];
    for await (const raw of source) {
      chunk.push(raw);
      if (chunk.length < CHUNK) continue;
      inFlight.push(submit(chunk));
      chunk = [];
      while (inFlight.length >= workers * 3) yield* await inFlight.shift()!;
    }
    if (chunk.length > 0) inFlight.push(submit(chunk));
    while (inFlight.length > 0) yield* await inFlight.shift()!;
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}
