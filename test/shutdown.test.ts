// Settings from a .env file, and what a stop looks like from outside: WebSocket clients get a
// proper close code, the process exits cleanly, and the database is checkpointed.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { createTestDatabase, onPostgres, sqlGet, type TestDatabase } from "./helpers";

const ENTRY = path.resolve(__dirname, "../src/index.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-shutdown-"));
const children: ChildProcess[] = [];
const databases: TestDatabase[] = [];

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once("exit", r)) : null)));
  await Promise.all(databases.map((d) => d.release()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A new PostgreSQL database's DATABASE_URL. */
async function postgresUrl(): Promise<string> {
  const database = await createTestDatabase();
  databases.push(database);
  return database.url;
}

function run(env: Record<string, string>, cwd = dir) {
  const child = spawn(process.execPath, [ENTRY], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start:\n${output}`)), 20_000);
    const poll = setInterval(() => {
      const line = output.split("\n").find((l) => l.includes('"url"'));
      if (line) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  return { child, ready, exited, output: () => output };
}

test("settings come from .env in the working directory; the environment wins over the file", async () => {
  const cwd = fs.mkdtempSync(path.join(dir, "env-"));
  const database = onPostgres ? await postgresUrl() : "file:./from-dotenv.db";
  fs.writeFileSync(
    path.join(cwd, ".env"),
    ["# comments are fine", `DATABASE_URL=${database}`, "HOST=127.0.0.1", "PORT=1", "SEED_DEMO=false", "LOG_LEVEL=info"].join("\n"),
  );
  const server = run({ PORT: "0" }, cwd);
  const url = await server.ready;
  if (onPostgres) {
    // Nothing else migrates that new database: its tables are there.
    assert.deepEqual(await sqlGet(database, "select count(*) as n from customers"), { n: 0 }, "DATABASE_URL taken from .env");
  } else assert.ok(fs.existsSync(path.join(cwd, "from-dotenv.db")), "DATABASE_URL taken from .env");
  assert.notEqual(new URL(url).port, "1", "PORT from the environment wins");
  assert.match(server.output(), /read settings from \.env/);
  server.child.kill("SIGTERM");
  assert.equal(await server.exited, 0);
});

test("a bad value in .env stops the start with a message naming the variable; a missing ENV_FILE is an error", async () => {
  const cwd = fs.mkdtempSync(path.join(dir, "badenv-"));
  fs.writeFileSync(path.join(cwd, ".env"), "PORT=seventy\n");
  const bad = run({}, cwd);
  await assert.rejects(bad.ready);
  assert.equal(await bad.exited, 1);
  assert.match(bad.output(), /PORT: /);

  const missing = run({ ENV_FILE: path.join(cwd, "nope.env") }, cwd);
  await assert.rejects(missing.ready);
  assert.equal(await missing.exited, 1);
  assert.match(missing.output(), /ENV_FILE: cannot read .*nope\.env/);
});

test("SIGTERM closes WebSockets with 1001 (going away), exits 0 and leaves the database checkpointed", async (t) => {
  const dbFile = onPostgres ? await postgresUrl() : path.join(dir, "stop.db");
  const server = run({ DATABASE_URL: dbFile, HOST: "127.0.0.1", PORT: "0", SEED_DEMO: "false" });
  const url = await server.ready;
  const socket = new WebSocket(url.replace("http", "ws"), "graphql-transport-ws");
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data) => {
      const message = JSON.parse(String(data));
      if (message.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { customerEvents { id } }" } }));
        resolve();
      }
    });
    socket.once("error", reject);
  });
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  server.child.kill("SIGTERM");
  assert.equal(await closed, 1001);
  assert.equal(await server.exited, 0);
  assert.match(server.output(), /"signal":"SIGTERM"/);
  await t.test("the WAL was checkpointed into the database file", { skip: onPostgres ? "SQLite's write-ahead log" : false }, () => {
    const wal = `${dbFile}-wal`;
    assert.ok(!fs.existsSync(wal) || fs.statSync(wal).size === 0, "the WAL was checkpointed into the database file");
  });
});
