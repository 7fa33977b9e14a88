// The worker thread of ./checkpoints.ts: waits for commits, lets them gather for a moment (a page
// changed by many commits is copied once), then checkpoints as far as the readers allow.
import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { CHECKPOINT_INTERVAL_MS, CHECKPOINTS, COMMITS, STOP, type CheckpointerData } from "./checkpoints";

const { filename, state } = workerData as CheckpointerData;
const db = new Database(filename);
// As the server's own connections: the checkpoint syncs the database file, the log is not synced per commit.
db.pragma("synchronous = NORMAL");

const stopped = () => Atomics.load(state, STOP) !== 0;
// From zero, not from the counter now: commits made while this thread started count too.
let seen = 0;
while (!stopped()) {
  Atomics.wait(state, COMMITS, seen);
  if (stopped()) break;
  Atomics.wait(state, STOP, 0, CHECKPOINT_INTERVAL_MS);
  if (stopped()) break;
  seen = Atomics.load(state, COMMITS);
  // PASSIVE: copies what no reader still needs, without waiting for anyone; what is left is
  // copied by a later checkpoint.
  db.pragma("wal_checkpoint(PASSIVE)");
  Atomics.add(state, CHECKPOINTS, 1);
}
db.close();
