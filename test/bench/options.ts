// Benchmark options: flags, else BENCH_* environment variables, else defaults (--smoke: tiny).
import { parseArgs } from "node:util";

export const SCENARIOS = ["list", "get", "create", "fanout", "import"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Options {
  /** Seconds of load per HTTP scenario and side. */
  duration: number;
  /** Seconds of unmeasured load before each side's measured load (JIT compilation, caches). */
  warmup: number;
  connections: number;
  customers: number;
  subscribers: number;
  updates: number;
  importRows: number;
  scenarios: Scenario[];
  smoke: boolean;
  json: string | null;
  /** Keep the scratch directory (databases, server logs) instead of deleting it. */
  keep: boolean;
  /** Reuse a seeded database from an earlier run with the same seed inputs. */
  seedCache: boolean;
  /** Extra environment for the API server, e.g. to compare configurations. */
  serverEnv: Record<string, string>;
  /** Before each scenario, wait up to this many seconds for other processes to leave the CPU. */
  waitIdle: number;
}

export const USAGE = `Usage: npm run bench -- [options]

  --duration <s>       seconds of load per HTTP scenario and side   (BENCH_DURATION, 10)
  --warmup <s>         unmeasured load before each side's run       (BENCH_WARMUP, 3; 0: none)
  --connections <n>    concurrent HTTP connections                  (BENCH_CONNECTIONS, 10)
  --customers <n>      customers seeded                             (BENCH_CUSTOMERS, 10000)
  --subscribers <n>    WebSocket subscribers in fan-out             (BENCH_SUBSCRIBERS, 1000)
  --updates <n>        updates broadcast in fan-out                 (BENCH_UPDATES, 200)
  --import-rows <n>    rows in the import file                      (BENCH_IMPORT_ROWS, 100000)
  --scenarios <list>   comma-separated subset of ${SCENARIOS.join(",")} (BENCH_SCENARIOS)
  --smoke              tiny run: 50 customers, 1 s, 20 subscribers, 5 updates, 200 rows
  --json <file>        also write the results as JSON
  --keep               keep the scratch directory (databases, server logs)
  --no-seed-cache      seed afresh even when an identical seeded database is cached
  --server-env <k=v,…> extra environment for the API server        (BENCH_SERVER_ENV)
  --wait-idle <s>      before each scenario, wait up to s seconds for the machine to be idle
                       (BENCH_WAIT_IDLE, 0: do not wait; busy scenarios are flagged anyway)`;

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
}

function keyValues(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of list.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--server-env wants KEY=VALUE pairs, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      customers: { type: "string" },
      subscribers: { type: "string" },
      updates: { type: "string" },
      "import-rows": { type: "string" },
      scenarios: { type: "string" },
      smoke: { type: "boolean", default: false },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      "no-seed-cache": { type: "boolean", default: false },
      "server-env": { type: "string" },
      "wait-idle": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  const smoke = values.smoke === true || env.BENCH_SMOKE === "true";
  const scenarioList = (values.scenarios ?? env.BENCH_SCENARIOS ?? SCENARIOS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scenarioList) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}"; known: ${SCENARIOS.join(", ")}`);
  }
  return {
    duration: number("duration", values.duration ?? env.BENCH_DURATION, smoke ? 1 : 10),
    warmup: (values.warmup ?? env.BENCH_WARMUP) === "0" ? 0 : number("warmup", values.warmup ?? env.BENCH_WARMUP, smoke ? 0 : 3),
    connections: Math.round(number("connections", values.connections ?? env.BENCH_CONNECTIONS, 10)),
    customers: Math.round(number("customers", values.customers ?? env.BENCH_CUSTOMERS, smoke ? 50 : 10_000)),
    subscribers: Math.round(number("subscribers", values.subscribers ?? env.BENCH_SUBSCRIBERS, smoke ? 20 : 1000)),
    updates: Math.round(number("updates", values.updates ?? env.BENCH_UPDATES, smoke ? 5 : 200)),
    importRows: Math.round(number("import-rows", values["import-rows"] ?? env.BENCH_IMPORT_ROWS, smoke ? 200 : 100_000)),
    scenarios: SCENARIOS.filter((s) => scenarioList.includes(s)),
    smoke,
    json: values.json ?? env.BENCH_JSON ?? null,
    keep: values.keep === true,
    seedCache: values["no-seed-cache"] !== true && env.BENCH_SEED_CACHE !== "false",
    serverEnv: keyValues(values["server-env"] ?? env.BENCH_SERVER_ENV ?? ""),
    waitIdle: (values["wait-idle"] ?? env.BENCH_WAIT_IDLE) === "0" ? 0 : number("wait-idle", values["wait-idle"] ?? env.BENCH_WAIT_IDLE, 0),
  };
}
