// SQL statements per request. Production hides extensions.sqlStatements, so a short-lived
// non-production server on the same database answers the list at several page sizes and a get;
// when the production server counts too (SQL_STATEMENT_COUNTS=true, e.g. with --server-env), its
// request log gives the counts of the benchmark's own requests under load.
import fs from "node:fs";
import { startApi } from "./processes";
import { body, GET, LIST } from "./queries";
import type { Statements } from "./report";

const PAGE_SIZES = [5, 50, 100];

export async function probeStatements(options: {
  dir: string;
  database: string;
  env: Record<string, string>;
  authorization: string;
  customerId: string;
}): Promise<Pick<Statements, "list" | "get">> {
  const probe = await startApi({ dir: options.dir, name: "probe", env: { ...options.env, NODE_ENV: "test", DATABASE_URL: options.database } });
  try {
    const ask = async (payload: string): Promise<number> => {
      const res = await fetch(probe.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: options.authorization },
        body: payload,
      });
      const json = (await res.json()) as { errors?: unknown; extensions?: { sqlStatements?: unknown } };
      if (json.errors) throw new Error(`statement probe failed: ${JSON.stringify(json.errors).slice(0, 500)}`);
      const n = json.extensions?.sqlStatements;
      if (typeof n !== "number") throw new Error("the non-production server did not report extensions.sqlStatements");
      return n;
    };
    const list: Record<string, number> = {};
    // The customers' totalCount is counted by the first list after a commit and reused until the
    // next one (on SQLite): a first request counts it, so that the page sizes compare alike.
    await ask(body(LIST, { first: 1, after: null }));
    for (const first of PAGE_SIZES) list[String(first)] = await ask(body(LIST, { first, after: null }));
    return { list, get: await ask(body(GET, { id: options.customerId })) };
  } finally {
    await probe.stop();
  }
}

const OPERATION_NAMES: Record<string, "list" | "get" | "create"> = { BenchList: "list", BenchGet: "get", BenchCreate: "create" };

/** Min and max statements the production server logged per benchmark operation. */
export function statementsFromLog(logFile: string): Statements["underLoad"] {
  const out: Statements["underLoad"] = {};
  if (!fs.existsSync(logFile)) return out;
  for (const line of fs.readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes('"sqlStatements"')) continue;
    let entry: { operationName?: string; sqlStatements?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const op = entry.operationName ? OPERATION_NAMES[entry.operationName] : undefined;
    if (!op || typeof entry.sqlStatements !== "number") continue;
    const seen = out[op];
    out[op] = seen ? { min: Math.min(seen.min, entry.sqlStatements), max: Math.max(seen.max, entry.sqlStatements) } : { min: entry.sqlStatements, max: entry.sqlStatements };
  }
  return out;
}
