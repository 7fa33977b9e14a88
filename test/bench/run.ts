// `npm run bench`: seeds a fresh database, starts the API as users run it, drives it with
// autocannon and WebSocket subscribers, runs a raw baseline beside each scenario, and prints
// requests/s, latency percentiles, peak RSS and the API/raw ratio against the issue's targets.
// Timings are reported, never asserted; the run fails only when the harness itself fails or the
// raw baseline stops answering byte-for-byte what the API answers.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { parseOptions, USAGE, type Scenario } from "./options";
import { ForeignCpu, waitForIdle, startApi, startRaw, type ApiServer, type RawServer } from "./processes";
import { seedDatabase } from "./cli";
import { body, CREATE, GET, LIST } from "./queries";
import { createInput } from "./data";
import { BUSY_PERCENT, formatStatements, formatTable, formatTargets, type ScenarioResult, type Statements, type Target } from "./report";
import { createScenario, getScenario, listPages, listScenario, PAGE_SIZE, type HttpContext } from "./scenarios/http";
import { fanoutScenario } from "./scenarios/fanout";
import { importScenario } from "./scenarios/import";
import { probeStatements, statementsFromLog } from "./statements";

const log = (line: string) => console.log(`· ${line}`);
const MB = 1024 * 1024;

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
    `${options.smoke ? "smoke run" : "run"}: ${options.scenarios.join(", ")}; ${options.customers} customers, ${options.duration} s per side after ${options.warmup} s of warm-up, ` +
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
      await seedDatabase({ file: database, customers: options.customers, dir, cache: options.seedCache, log });
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
      const ctx: HttpContext = { database, api, raw, authorization, connections: options.connections, seconds: options.duration, warmup: options.warmup, run, log };

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
      results.push(await importScenario({ dir, rows: options.importRows, log }));
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
      `* Other processes used CPU during ${contended.map((r) => `${r.scenario} (${(r.otherCpuPercent as number).toFixed(0)}% of a core)`).join(", ")}; ` +
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
