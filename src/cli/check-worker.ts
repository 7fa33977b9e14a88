// A worker thread that decodes and checks import rows (JSON parsing, projection, createCustomer's
// validation: the CPU-heavy part of an import), so the main thread only writes.
import { parentPort, workerData } from "node:worker_threads";
import { checker, type DecodeContext, type RawRow } from "./rows";

const check = checker(workerData as DecodeContext);
parentPort!.on("message", (rows: RawRow[]) => parentPort!.postMessage(check(rows)));
