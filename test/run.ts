// `npm test`: the whole suite on SQLite, then, when TEST_POSTGRES_URL names a PostgreSQL server,
// the same suite again on PostgreSQL (TEST_DIALECT=postgres: every test server gets a fresh
// database there, see helpers.ts). Each file runs in its own process, one at a time.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith(".test.js"))
  .sort()
  .map((f) => path.join(__dirname, f));

function suite(dialect: "sqlite" | "postgres"): boolean {
  console.log(`# suite on ${dialect}`);
  const { status } = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], {
    stdio: "inherit",
    env: { ...process.env, TEST_DIALECT: dialect },
  });
  return status === 0;
}

const sqlite = suite("sqlite");
const postgres = process.env.TEST_POSTGRES_URL ? suite("postgres") : (console.log("# TEST_POSTGRES_URL is not set: the PostgreSQL suite is skipped"), true);
process.exit(sqlite && postgres ? 0 : 1);
