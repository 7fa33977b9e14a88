// Import: the CLI's `import --format jsonl` of R records, one customer per line in the export's
// shape (the API's Customer with organizationId; documents as a connection), against the raw
// baseline inserting the same rows by prepared statements in batched transactions. Both write
// into copies of one fresh, migrated database that holds only the organizations.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { variedCustomer } from "../data";
import { cliHas, DIST, RssSampler, runToCompletion } from "../processes";
import type { ScenarioResult, Side } from "../report";
import { countDifferences, tableCounts } from "../tables";

const TARGET = 0.3;

/** Writes `rows` records, JSON Lines, spread over the database's organizations. */
export async function writeImportFile(file: string, rows: number, organizationIds: string[], run: string): Promise<void> {
  const out = fs.createWriteStream(file);
  for (let i = 0; i < rows; i++) {
    const { documents, ...input } = variedCustomer(i, { organizationIds, run });
    const record = documents ? { ...input, documents: { nodes: documents } } : input;
    if (!out.write(`${JSON.stringify(record)}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

function count(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("select count(*) from customers").pluck().get() as number;
  } finally {
    db.close();
  }
}

async function timed(args: string[], env: Record<string, string>, logFile: string): Promise<{ code: number | null; seconds: number; output: string; rss: number }> {
  let sampler: RssSampler | null = null;
  const result = await runToCompletion(args, { env, logFile, onStart: (pid) => (sampler = new RssSampler(pid).start()) });
  const rss = (sampler as RssSampler | null)?.stop() ?? 0;
  return { ...result, rss };
}

export async function importScenario(options: {
  dir: string;
  /** A fresh, migrated database with the organizations only. */
  base: string;
  rows: number;
  run: string;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const { dir, base, rows } = options;
  const organizationIds = (() => {
    const db = new Database(base, { readonly: true });
    try {
      return db.prepare("select id from organizations order by id").pluck().all() as string[];
    } finally {
      db.close();
    }
  })();
  const input = path.join(dir, "import.jsonl");
  await writeImportFile(input, rows, organizationIds, options.run);
  const apiDb = path.join(dir, "import-api.db");
  const rawDb = path.join(dir, "import-raw.db");
  fs.copyFileSync(base, apiDb);
  fs.copyFileSync(base, rawDb);
  const result: ScenarioResult = { scenario: "import", api: null, raw: null, ratio: null, ratioOf: "throughput", target: `≥ ${TARGET}×`, pass: null, rows };

  const raw = await timed([path.join(__dirname, "../raw/import.js"), rawDb, input], {}, path.join(dir, "import-raw.log"));
  if (raw.code !== 0) throw new Error(`raw import failed:\n${raw.output}`);
  const rawRows = count(rawDb);
  if (rawRows !== rows) throw new Error(`raw import wrote ${rawRows} customers of ${rows}`);
  result.raw = { throughput: rows / raw.seconds, unit: "rows/s", p50: null, p99: null, peakRssBytes: raw.rss };
  options.log(`import: raw ${rows} rows in ${raw.seconds.toFixed(1)} s`);

  if (!(await cliHas("import", dir))) {
    result.note = "cli import missing";
    return result;
  }
  const cli = await timed(
    [path.join(DIST, "src/cli.js"), "import", "--format", "jsonl", "--input", input],
    { DATABASE_URL: apiDb, NODE_ENV: "production" },
    path.join(dir, "import-api.log"),
  );
  const apiRows = fs.existsSync(apiDb) ? count(apiDb) : 0;
  options.log(`import: cli exit ${cli.code}, ${apiRows} of ${rows} rows in ${cli.seconds.toFixed(1)} s`);
  const api: Side = { throughput: apiRows / cli.seconds, unit: "rows/s", p50: null, p99: null, peakRssBytes: cli.rss };
  if (cli.code !== 0 || apiRows !== rows) {
    api.note = `exit ${cli.code}, ${apiRows} of ${rows} rows: ${cli.output.trim().split("\n").slice(-3).join(" / ").slice(0, 300)}`;
  }
  result.api = api;
  // Both started from the same database and read the same file: they must hold the same rows.
  const differences = countDifferences(tableCounts(apiDb), tableCounts(rawDb));
  result.equal = differences === "";
  if (differences) {
    result.diff = `rows differ (API vs raw): ${differences}`;
    options.log(`import: ${result.diff}`);
  }
  result.ratio = api.throughput / result.raw.throughput;
  result.pass = !api.note && result.ratio >= TARGET;
  return result;
}
