// The project's CLI (`node dist/src/cli.js`), as users run it: organizations, seeding, and the
// database file a benchmark starts from, cached because seeding is deterministic.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DIST, ROOT, runToCompletion } from "./processes";
import { checkpoint } from "./tables";

const CLI = path.join(DIST, "src/cli.js");
const CACHE_DIR = path.join(os.tmpdir(), "customer-graph-bench-cache");
const CACHE_ENTRIES = 4;

let help: Promise<string> | null = null;

/** Whether the CLI lists `command` in its help; the CLI is asked once. */
export async function cliHas(command: string, dir: string): Promise<boolean> {
  help ??= runToCompletion([CLI, "--help"], { env: {}, logFile: path.join(dir, "cli-help.log") }).then((r) => r.output);
  return new RegExp(`^\\s*${command}\\b`, "m").test(await help);
}

async function cli(args: string[], database: string, logFile: string): Promise<string> {
  const result = await runToCompletion([CLI, ...args], { env: { DATABASE_URL: database }, logFile });
  if (result.code !== 0) throw new Error(`cli ${args.join(" ")} failed:\n${result.output.slice(-2000)}`);
  return result.output;
}

/** A bank and a partner it manages, so that customers' memberships vary. Returns their ids. */
export async function createOrganizations(database: string, logFile: string): Promise<[string, string]> {
  const created = async (args: string[]) => {
    const id = /\b(org_[0-9a-z]{26})\b/.exec(await cli(args, database, logFile))?.[1];
    if (!id) throw new Error(`cli ${args.join(" ")} printed no organization id`);
    return id;
  };
  const bank = await created(["orgs", "create", "--name", "Bench Bank", "--legal-name", "Bench Bank plc", "--country", "GB"]);
  const partner = await created(["orgs", "create", "--name", "Bench Partner", "--parent", bank, "--country", "AE"]);
  return [bank, partner];
}

/** Every file under `dir` (sorted), hashed into `hash`. */
function hashTree(hash: ReturnType<typeof createHash>, dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) hashTree(hash, full);
    else if (!entry.name.endsWith(".map")) hash.update(entry.name).update(fs.readFileSync(full));
  }
}

/**
 * A fresh database file with `customers` sample customers (`cli seed`, three in four in the bank,
 * the rest in its partner). Seeding is deterministic, so the file is cached by what shapes it (the
 * built code, the migrations, the count) and later runs start from a copy.
 */
export async function seedDatabase(options: { file: string; customers: number; dir: string; cache: boolean; log: (line: string) => void }): Promise<void> {
  const { file, customers, dir, log } = options;
  if (!(await cliHas("seed", dir))) throw new Error("the CLI has no `seed` command");
  const hash = createHash("sha256").update(`cli seed:${customers}`);
  hashTree(hash, path.join(ROOT, "drizzle"));
  hashTree(hash, path.join(DIST, "src"));
  const cached = path.join(CACHE_DIR, `${hash.digest("hex").slice(0, 24)}.db`);
  if (options.cache && fs.existsSync(cached)) {
    fs.copyFileSync(cached, file);
    const now = new Date();
    fs.utimesSync(cached, now, now);
    log(`seeded ${customers} customers: a copy of the identical seed cached at ${cached}`);
    return;
  }
  const started = Date.now();
  const logFile = path.join(dir, "seed.log");
  const [bank, partner] = await createOrganizations(file, logFile);
  const inBank = Math.ceil((customers * 3) / 4);
  await cli(["seed", "--customers", String(inBank), "--org", bank, "--seed", "1"], file, logFile);
  if (customers > inBank) await cli(["seed", "--customers", String(customers - inBank), "--org", partner, "--seed", "2"], file, logFile);
  checkpoint(file);
  log(`seeded ${customers} customers with cli seed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!options.cache) return;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.copyFileSync(file, `${cached}.tmp`);
  fs.renameSync(`${cached}.tmp`, cached);
  // Every change to the built code makes a new entry: keep the few most recent.
  const entries = fs
    .readdirSync(CACHE_DIR)
    .filter((f) => f.endsWith(".db"))
    .map((f) => ({ f, at: fs.statSync(path.join(CACHE_DIR, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of entries.slice(CACHE_ENTRIES)) fs.rmSync(path.join(CACHE_DIR, f), { force: true });
}
