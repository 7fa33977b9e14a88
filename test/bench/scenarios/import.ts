// Import: the CLI's `import --format jsonl` of R sample customers, one per line in the export's
// shape (the API's Customer with organizationId; documents as a connection), against the raw
// baseline inserting the same rows by prepared statements in batched transactions. Both write
// into copies of one fresh, migrated database that holds only the organizations, and must end
// with the same rows.
import fs from "node:fs";
import path from "node:path";
import { cliHas, createOrganizations } from "../cli";
import { writeImportFile } from "../data";
import { DIST, RssSampler, runToCompletion } from "../processes";
import type { ScenarioResult, Side } from "../report";
import { checkpoint, countDifferences, tableCounts } from "../tables";

const customersIn = (file: string) => tableCounts(file).get("customers") ?? 0;

const TARGET = 0.3;

async function timed(args: string[], env: Record<string, string>, logFile: string): Promise<{ code: number | null; seconds: number; output: string; rss: number }> {
  let sampler: RssSampler | null = null;
  const result = await runToCompletion(args, { env, logFile, onStart: (pid) => (sampler = new RssSampler(pid).start()) });
  const rss = (sampler as RssSampler | null)?.stop() ?? 0;
  return { ...result, rss };
}

export async function importScenario(options: { dir: string; rows: number; log: (line: string) => void }): Promise<ScenarioResult> {
  const { dir, rows } = options;
  // A fresh, migrated database with the organizations only; each side imports into a copy.
  const base = path.join(dir, "import-base.db");
  const organizationIds = await createOrganizations(base, path.join(dir, "import-base.log"));
  checkpoint(base);
  const input = path.join(dir, "import.jsonl");
  await writeImportFile(input, rows, organizationIds);
  const apiDb = path.join(dir, "import-api.db");
  const rawDb = path.join(dir, "import-raw.db");
  fs.copyFileSync(base, apiDb);
  fs.copyFileSync(base, rawDb);
  const result: ScenarioResult = { scenario: "import", api: null, raw: null, ratio: null, ratioOf: "throughput", target: `≥ ${TARGET}×`, pass: null, rows };

  const raw = await timed([path.join(__dirname, "../raw/import.js"), rawDb, input], {}, path.join(dir, "import-raw.log"));
  if (raw.code !== 0) throw new Error(`raw import failed:\n${raw.output}`);
  const rawRows = customersIn(rawDb);
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
  const apiRows = fs.existsSync(apiDb) ? customersIn(apiDb) : 0;
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
