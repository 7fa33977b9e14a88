// `npm run bench`: seeds a fresh database, starts the API as users run it, drives it with
// autocannon and WebSocket subscribers, runs a raw baseline beside each scenario, and prints
// requests/s, latency percentiles, peak RSS and the API/raw ratio against the issue's targets.
// Timings are reported, never asserted; the run fails only when the harness itself fails or the
// raw baseline stops answering byte-for-byte what the API answers.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { parseOptions, USAGE, type Options, type Scenario } from "./options";
import { cliHas, DIST, ForeignCpu, ROOT, runToCompletion, waitForIdle, startApi, startRaw, type ApiServer, type RawServer } from "./processes";
import { body, CREATE, GET, LIST } from "./queries";
import { createInput } from "./data";
import { formatStatements, formatTable, formatTargets, type ScenarioResult, type Statements, type Target } from "./report";
import { createScenario, getScenario, listPages, listScenario, PAGE_SIZE, type HttpContext } from "./scenarios/http";
import { fanoutScenario } from "./scenarios/fanout";
import { importScenario } from "./scenarios/import";
import { probeStatements, statementsFromLog } from "./statements";

const log = (line: string) => console.log(`· ${line}`);
const MB = 1024 * 1024;
/** Percent of one core that other processes may use before a scenario's figures are flagged. */
const BUSY_PERCENT = 10;
const SEED_CACHE_ENTRIES = 4;

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
 * A fresh database with `customers` varied customers: the CLI's `seed` when it has one, else
 * seed.js (service calls). Seeding is deterministic, so a seeded file is cached by everything
 * that shapes it (seeder code, migrations, count) and copied for later runs.
 */
async function seed(options: Options, dir: string, file: string): Promise<void> {
  const viaCli = await cliHas("seed", dir);
  const hash = createHash("sha256").update(`${viaCli ? "cli" : "bench"}:${options.customers}`);
  hashTree(hash, path.join(ROOT, "drizzle"));
  if (viaCli) hashTree(hash, path.join(DIST, "src"));
  else for (const f of ["data.js", "seed.js"]) hash.update(fs.readFileSync(path.join(__dirname, f)));
  const cacheDir = path.join(os.tmpdir(), "customer-graph-bench-cache");
  const cached = path.join(cacheDir, `${hash.digest("hex").slice(0, 24)}.db`);
  if (options.seedCache && fs.existsSync(cached)) {
    fs.copyFileSync(cached, file);
    const now = new Date();
    fs.utimesSync(cached, now, now);
    log(`seeded ${options.customers} customers: a copy of the identical seed cached at ${cached}`);
    return;
  }
  const started = Date.now();
  if (viaCli) await seedWithCli(options.customers, dir, file);
  else {
    const result = await runToCompletion([path.join(__dirname, "seed.js"), file, String(options.customers)], {
      env: {},
      logFile: path.join(dir, "seed.log"),
    });
    if (result.code !== 0) throw new Error(`seeding failed (seed.js):\n${result.output.slice(-2000)}`);
  }
  // One self-contained file: whatever is still in the write-ahead log goes into it.
  const db = new Database(file);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  log(`seeded ${options.customers} customers with ${viaCli ? "cli seed" : "seed.js"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (options.seedCache) {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.copyFileSync(file, `${cached}.tmp`);
    fs.renameSync(`${cached}.tmp`, cached);
    // Every change to the seeder makes a new entry: keep the few most recent.
    const entries = fs
      .readdirSync(cacheDir)
      .filter((f) => f.endsWith(".db"))
      .map((f) => ({ f, at: fs.statSync(path.join(cacheDir, f)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { f } of entries.slice(SEED_CACHE_ENTRIES)) fs.rmSync(path.join(cacheDir, f), { force: true });
  }
}

/** `cli seed` into two organizations, a bank and a partner it manages, so that memberships vary. */
async function seedWithCli(customers: number, dir: string, file: string): Promise<void> {
  const cli = async (args: string[]) => {
    const result = await runToCompletion([path.join(DIST, "src/cli.js"), ...args], { env: { DATABASE_URL: file }, logFile: path.join(dir, "seed.log") });
    if (result.code !== 0) throw new Error(`cli ${args.join(" ")} failed:\n${result.output.slice(-2000)}`);
    return result.output;
  };
  const created = async (args: string[]) => {
    const id = /\b(org_[0-9a-z]{26})\b/.exec(await cli(args))?.[1];
    if (!id) throw new Error(`cli ${args.join(" ")} printed no organization id`);
    return id;
  };
  const bank = await created(["orgs", "create", "--name", "Bench Bank", "--legal-name", "Bench Bank plc", "--country", "GB"]);
  const partner = await created(["orgs", "create", "--name", "Bench Partner", "--parent", bank, "--country", "AE"]);
  const inBank = Math.ceil((customers * 3) / 4);
  await cli(["seed", "--customers", String(inBank), "--org", bank, "--seed", "1"]);
  if (customers > inBank) await cli(["seed", "--customers", String(customers - inBank), "--org", partner, "--seed", "2"]);
}

/** Up to `n` customer ids spread over the whole table. */
function sampleIds(file: string, n: number): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const ids = db.prepare("select id from customers where erased_at is null order by id").pluck().all() as string[];
    const step = Math.max(1, Math.floor(ids.length / n));
    return ids.filter((_, i) => i % step === 0).slice(0, n);
  } finally {
    db.close();
  }
}

async function extensionsOf(api: ApiServer, authorization: string, payload: string): Promise<unknown> {
  const res = await fetch(api.url, { method: "POST", headers: { "content-type": "application/json", authorization }, body: payload });
  const json = (await res.json()) as { errors?: unknown; extensions?: unknown };
  if (json.errors) throw new Error(`the API refused the benchmark's document: ${JSON.stringify(json.errors).slice(0, 1000)}`);
  return json.extensions;
}

function failed(scenario: Scenario, error: unknown): ScenarioResult {
  const message = error instanceof Error ? error.message : String(error);
  return { scenario, api: null, raw: null, ratio: null, ratioOf: "throughput", target: "–", pass: false, note: "error", error: message };
}

function targets(results: ScenarioResult[], statements: Statements | null): Target[] {
  const out: Target[] = results.map((r) => ({
    name: r.scenario === "fanout" ? "fan-out p99 API/raw" : `${r.scenario} API/raw`,
    measured: r.ratio === null ? (r.note ?? "n/a") : `${r.ratio.toFixed(2)}×`,
    target: r.target,
    pass: r.pass,
  }));
  if (statements) {
    const counts = Object.values(statements.list);
    out.push({
      name: "statements per list, by page size",
      measured: Object.entries(statements.list).map(([first, n]) => `${first}: ${n}`).join(", "),
      target: "constant",
      pass: counts.length > 1 ? counts.every((n) => n === counts[0]) : null,
    });
  }
  const list = results.find((r) => r.scenario === "list");
  if (list?.api?.peakRssBytes) {
    out.push({ name: "API peak RSS during list", measured: `${(list.api.peakRssBytes / MB).toFixed(0)} MB`, target: "< 300 MB", pass: list.api.peakRssBytes < 300 * MB });
  }
  return out;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-graph-bench-"));
  const run = randomBytes(4).toString("hex");
  const key = randomBytes(30).toString("base64url");
  const authorization = `Bearer ${key}`;
  const results: ScenarioResult[] = [];
  let statements: Statements | null = null;
  const startedAt = new Date().toISOString();
  log(
    `${options.smoke ? "smoke run" : "run"}: ${options.scenarios.join(", ")}; ${options.customers} customers, ${options.duration} s per side, ` +
      `${options.connections} connections, ${options.subscribers} subscribers × ${options.updates} updates, ${options.importRows} import rows; ` +
      `${os.cpus().length} CPUs, node ${process.version}; scratch ${dir}` +
      (Object.keys(options.serverEnv).length ? `; server env ${JSON.stringify(options.serverEnv)}` : ""),
  );

  let api: ApiServer | null = null;
  let raw: RawServer | null = null;
  try {
    const serverScenarios = options.scenarios.filter((s) => s !== "import");
    if (serverScenarios.length > 0) {
      const database = path.join(dir, "bench.db");
      await seed(options, dir, database);
      const ids = sampleIds(database, options.smoke ? 50 : 200);
      if (ids.length === 0) throw new Error("the seeded database has no customers");
      // Production, as users run it, with a root key. Rate limiting is off: it would throttle
      // the benchmark's single credential long before the server is saturated.
      const env = { ...options.serverEnv, ADMIN_API_KEY: key, RATE_LIMIT_ENABLED: "false", SEED_DEMO: "false", DATABASE_URL: database };
      // The statement probe runs while the API starts: counts do not depend on timing.
      const [probe, started] = await Promise.allSettled([
        probeStatements({ dir, database, env, authorization, customerId: ids[0] }),
        startApi({ dir, name: "api", env: { ...env, NODE_ENV: "production" } }),
      ]);
      if (started.status === "rejected") throw started.reason;
      api = started.value;
      if (probe.status === "rejected") throw probe.reason;
      statements = { ...probe.value, underLoad: {} };
      log(formatStatements(statements).split("\n")[0]);
      log(`API (NODE_ENV=production, pid ${api.pid}) at ${api.url}`);
      const extensions: Record<string, unknown> = {
        list: await extensionsOf(api, authorization, body(LIST, { first: PAGE_SIZE, after: null })),
        get: await extensionsOf(api, authorization, body(GET, { id: ids[0] })),
      };
      if (options.scenarios.includes("create")) {
        extensions.create = await extensionsOf(api, authorization, body(CREATE, { input: createInput(`${run}ext`, 0) }));
      }
      raw = await startRaw({ dir, database, extensions });
      log(`raw baseline (pid ${raw.pid}) at ${raw.url}`);
      const ctx: HttpContext = { database, api, raw, authorization, connections: options.connections, seconds: options.duration, run, log };

      for (const scenario of serverScenarios) {
        if (options.waitIdle > 0) await waitForIdle(options.waitIdle, BUSY_PERCENT, log);
        log(`${scenario}…`);
        const servers = [api.pid, raw.pid];
        const cpu = new ForeignCpu(() => servers);
        try {
          if (scenario === "list") results.push(await listScenario(ctx, await listPages(ctx, options.customers)));
          else if (scenario === "get") results.push(await getScenario(ctx, ids));
          else if (scenario === "create") results.push(await createScenario(ctx));
          else if (scenario === "fanout") {
            results.push(await fanoutScenario({ api, raw, authorization, customerId: ids[0], subscribers: options.subscribers, updates: options.updates, run }));
          }
        } catch (error) {
          log(`${scenario} failed: ${error instanceof Error ? error.message : String(error)}`);
          results.push(failed(scenario, error));
        }
        const last = results.at(-1);
        if (last) last.otherCpuPercent = cpu.stop();
        if (last?.api) log(`${scenario}: API ${last.api.throughput.toFixed(1)} ${last.api.unit}, raw ${last.raw?.throughput.toFixed(1) ?? "–"}`);
      }
    }
  } finally {
    await api?.stop();
    await raw?.stop();
  }
  if (api && statements) statements.underLoad = statementsFromLog(api.logFile);

  if (options.scenarios.includes("import")) {
    if (options.waitIdle > 0) await waitForIdle(options.waitIdle, BUSY_PERCENT, log);
    log("import…");
    const cpu = new ForeignCpu(() => []);
    try {
      const base = path.join(dir, "import-base.db");
      const made = await runToCompletion([path.join(__dirname, "seed.js"), base, "0"], { env: {}, logFile: path.join(dir, "import-base.log") });
      if (made.code !== 0) throw new Error(`could not create the import database:\n${made.output}`);
      results.push(await importScenario({ dir, base, rows: options.importRows, run, log }));
    } catch (error) {
      log(`import failed: ${error instanceof Error ? error.message : String(error)}`);
      results.push(failed("import", error));
    }
    const last = results.at(-1);
    if (last) last.otherCpuPercent = cpu.stop();
  }

  const targetList = targets(results, statements);
  console.log("");
  console.log(formatTable(results));
  console.log("");
  const contended = results.filter((r) => typeof r.otherCpuPercent === "number" && r.otherCpuPercent > BUSY_PERCENT);
  if (contended.length) {
    console.log(
      `Warning: other processes used CPU during ${contended.map((r) => `${r.scenario} (${(r.otherCpuPercent as number).toFixed(0)}% of a core)`).join(", ")}; ` +
        `those figures are not reliable. Run on an otherwise idle machine.\n`,
    );
  }
  if (statements) console.log(`${formatStatements(statements)}\n`);
  console.log(formatTargets(targetList));
  const broken = results.filter((r) => r.error !== undefined || r.equal === false);
  if (options.json) {
    const report = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: { loadAverageAtEnd: os.loadavg(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` },
      options,
      results,
      statements,
      targets: targetList,
      ok: broken.length === 0,
    };
    fs.writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (options.keep) log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
  if (broken.length) console.error(`\nbenchmark harness failed: ${broken.map((r) => `${r.scenario} (${r.error ?? "answers differ"})`).join("; ")}`);
  return broken.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
