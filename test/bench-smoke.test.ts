// The benchmark harness keeps working: a tiny run of `npm run bench` (--smoke) completes, covers
// every scenario, its raw baselines still answer byte-for-byte what the API answers, and it reports
// SQL statements per request. Timings are never asserted: they depend on the machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SCENARIOS } from "./bench/options";
import type { ScenarioResult, Statements } from "./bench/report";

// test/bench runs on SQLite files of its own whatever TEST_DIALECT says: its run belongs to the SQLite suite.
const skip = process.env.TEST_DIALECT === "postgres" ? "the benchmark harness (test/bench) runs on SQLite files; the SQLite suite runs it" : false;

test("npm run bench -- --smoke completes every scenario with byte-equal raw baselines", { timeout: 180_000, skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"));
  const json = path.join(dir, "bench.json");
  try {
    const output: string[] = [];
    // The developer's own BENCH_* settings would change what the smoke run covers.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BENCH_")));
    const child = spawn(process.execPath, [path.join(__dirname, "bench/run.js"), "--smoke", "--no-seed-cache", "--json", json], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 0, output.join(""));

    const report = JSON.parse(fs.readFileSync(json, "utf8")) as { ok: boolean; results: ScenarioResult[]; statements: Statements };
    assert.equal(report.ok, true);
    assert.deepEqual(report.results.map((r) => r.scenario), [...SCENARIOS]);
    for (const r of report.results) {
      assert.equal(r.error, undefined, `${r.scenario}: ${String(r.error)}`);
      assert.ok(r.raw, `${r.scenario} has a raw baseline`);
      // The import needs the CLI's import command; every other scenario needs the API side.
      if (r.scenario !== "import" || !r.note) assert.ok(r.api, `${r.scenario} has an API side`);
    }
    for (const scenario of ["list", "get", "create"]) {
      assert.equal(report.results.find((r) => r.scenario === scenario)?.equal, true, `${scenario}: API and raw answers match`);
    }
    const imported = report.results.find((r) => r.scenario === "import");
    if (imported?.api) assert.equal(imported.equal, true, "import: the CLI and the raw baseline write the same rows");
    for (const first of ["5", "50", "100"]) assert.equal(typeof report.statements.list[first], "number", `statements for first: ${first}`);
    assert.equal(typeof report.statements.get, "number");
    // Production counts statements only when asked (SQL_STATEMENT_COUNTS): the smoke run does not ask.
    assert.deepEqual(report.statements.underLoad, {});
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
