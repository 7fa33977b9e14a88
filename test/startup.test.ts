// The entry point as a newcomer runs it: a real process, the demo seed, GET and POST, the
// explorer page and a WebSocket subscription.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { createTestDatabase, onPostgres, sqlRun, type TestDatabase } from "./helpers";

const ENTRY = path.resolve(__dirname, "../src/index.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-start-"));
const children: ChildProcess[] = [];
const databases: TestDatabase[] = [];

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once("exit", r)) : null)));
  await Promise.all(databases.map((d) => d.release()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A new database's DATABASE_URL: the file `name` in the test's folder, or a new PostgreSQL database. */
async function databaseUrl(name: string): Promise<string> {
  if (!onPostgres) return path.join(dir, name);
  const database = await createTestDatabase();
  databases.push(database);
  return database.url;
}

async function start(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = output.split("\n").find((line) => line.includes('"url"'));
      if (ready) {
        clearTimeout(timer);
        resolve(JSON.parse(ready).url);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

async function post(url: string, query: string, variables?: object) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as any;
}

test("first start migrates a new database file, seeds the demo data once, and serves GET, POST, the explorer and WebSocket", async (t) => {
  const dbFile = onPostgres ? await databaseUrl("customers.db") : path.join(dir, "nested", "dir", "customers.db");
  const server = await start({ DATABASE_URL: onPostgres ? dbFile : `file:${dbFile}` });
  await t.test("the file is created under a new folder", { skip: onPostgres ? "a SQLite file" : false }, () => {
    assert.ok(fs.existsSync(dbFile), "database file created under a new folder");
  });

  const seeded = await post(server.url, "{ organizations { totalCount nodes { name } } customers(first: 100) { totalCount nodes { type } } }");
  assert.equal(seeded.data.customers.totalCount, 12);
  assert.ok(seeded.data.customers.nodes.some((c: { type: string }) => c.type === "ORGANIZATION"));
  assert.ok(seeded.data.customers.nodes.some((c: { type: string }) => c.type === "PERSON"));
  assert.deepEqual(seeded.data.organizations.nodes.map((o: { name: string }) => o.name), ["Demo Bank", "Northwind Retail"]);

  // GraphQL over HTTP GET, as the README shows it.
  const get = await fetch(`${server.url}?query=${encodeURIComponent("{ customers(first: 2) { totalCount nodes { displayName } } }")}`, {
    headers: { "apollo-require-preflight": "true" },
  });
  assert.equal(get.status, 200);
  const body = (await get.json()) as any;
  assert.equal(body.data.customers.nodes.length, 2);

  // A browser asking for HTML gets the explorer: GraphiQL, every file of it from this server.
  const page = await fetch(server.url, { headers: { accept: "text/html" } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  const html = await page.text();
  assert.doesNotMatch(html, /https?:\/\//, "no CDN");
  const bundle = /src="(\/graphql\/explorer\/[^"]+\/graphiql\.js)"/.exec(html)?.[1];
  assert.ok(bundle, "the GraphiQL bundle");
  assert.equal((await fetch(new URL(bundle, server.url))).status, 200);

  // WebSocket subscriptions on the same path.
  const client = createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
  const received = new Promise<any>((resolve, reject) => {
    const dispose = client.subscribe(
      { query: "subscription { customerEvents(types: [UPDATED]) { type customerId changedFields customer { nickname } } }" },
      { next: (value) => { dispose(); resolve(value); }, error: reject, complete: () => undefined },
    );
  });
  await new Promise((r) => setTimeout(r, 200));
  const id = (await post(server.url, "{ customers(first: 1) { nodes { id } } }")).data.customers.nodes[0].id;
  const updated = await post(server.url, "mutation ($id: ID!) { updateCustomer(input: { id: $id, nickname: \"Countess\" }) { userErrors { code } } }", { id });
  assert.deepEqual(updated.data.updateCustomer.userErrors, []);
  const event = await received;
  assert.deepEqual(event.data.customerEvents, { type: "UPDATED", customerId: id, changedFields: ["nickname"], customer: { nickname: "Countess" } });
  await client.dispose();

  assert.equal(await server.stop(), 0);

  // A second start on the same file does not seed again.
  const again = await start({ DATABASE_URL: dbFile });
  const count = await post(again.url, "{ customers { totalCount } }");
  assert.equal(count.data.customers.totalCount, 12);
  assert.equal(await again.stop(), 0);
});

test("SEED_DEMO=false starts empty, and :memory: works", async () => {
  // :memory: is SQLite's; on PostgreSQL a new database.
  const server = await start({ DATABASE_URL: onPostgres ? await databaseUrl("empty.db") : ":memory:", SEED_DEMO: "false" });
  const result = await post(server.url, "{ customers { totalCount } organizations { totalCount } }");
  assert.deepEqual(result.data, { customers: { totalCount: 0 }, organizations: { totalCount: 0 } });
  assert.equal(await server.stop(), 0);
});

test("a bad configuration value stops the start with a message naming the variable", async () => {
  await assert.rejects(start({ PORT: "not-a-port", DATABASE_URL: ":memory:" }), /PORT/);
});

test("after SIGKILL and a restart, a subscriber resumes with `after` and gets every committed change once", async () => {
  const dbFile = await databaseUrl("killed.db");
  const first = await start({ DATABASE_URL: dbFile });
  const id = (await post(first.url, "{ customers(first: 1) { nodes { id } } }")).data.customers.nodes[0].id;
  const mutate = (url: string, nickname: string) =>
    post(url, "mutation ($id: ID!, $n: String) { updateCustomer(input: { id: $id, nickname: $n }) { userErrors { code } } }", { id, n: nickname });

  const client = createClient({ url: first.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  const seen: string[] = [];
  const gotFirst = new Promise<void>((resolve) => {
    client.subscribe(
      { query: "subscription ($id: ID!) { customerEvents(customerId: $id) { id } }", variables: { id } },
      { next: (v) => { seen.push((v.data as any).customerEvents.id); resolve(); }, error: () => undefined, complete: () => undefined },
    );
  });
  await new Promise((r) => setTimeout(r, 200));
  await mutate(first.url, "one");
  await gotFirst;
  const lastSeen = seen[0];
  // Committed (the response came back), then the server dies before anything else.
  await mutate(first.url, "two");
  children.at(-1)!.kill("SIGKILL");
  await Promise.resolve(client.dispose()).catch(() => undefined);

  const second = await start({ DATABASE_URL: dbFile });
  const resumed = createClient({ url: second.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  const after = await new Promise<string[]>((resolve, reject) => {
    const got: string[] = [];
    const dispose = resumed.subscribe(
      { query: "subscription ($id: ID!, $after: ID) { customerEvents(customerId: $id, after: $after) { id changedFields customer { nickname } } }", variables: { id, after: lastSeen } },
      {
        next: (v) => {
          got.push(JSON.stringify((v.data as any).customerEvents));
          if (got.length === 1) void mutate(second.url, "three");
          if (got.length === 2) { dispose(); resolve(got); }
        },
        error: reject,
        complete: () => resolve(got),
      },
    );
  });
  await resumed.dispose();
  const events = after.map((e) => JSON.parse(e));
  assert.deepEqual(events.map((e) => e.changedFields), [["nickname"], ["nickname"]]);
  assert.notEqual(events[0].id, lastSeen);
  assert.ok(events[0].id > lastSeen && events[1].id > events[0].id, "in order, after the resume point");
  assert.equal(events[1].customer.nickname, "three");
  assert.equal(await second.stop(), 0);
});

test("/readyz answers ready once migrations are applied, 503 when one is missing", async () => {
  const dbFile = await databaseUrl("ready.db");
  const server = await start({ DATABASE_URL: dbFile, SEED_DEMO: "false" });
  const origin = new URL(server.url).origin;
  const ready = await fetch(`${origin}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: "ready" });
  // Forget the last migration, as a database an older version left behind would look (drizzle
  // keeps its record in the drizzle schema on PostgreSQL).
  const migrations = onPostgres ? "drizzle.__drizzle_migrations" : "__drizzle_migrations";
  assert.equal(await sqlRun(dbFile, `delete from ${migrations} where created_at = (select max(created_at) from ${migrations})`), 1);
  const notReady = await fetch(`${origin}/readyz`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), { status: "migrations pending", pending: 1 });
  assert.equal(await server.stop(), 0);
});

test("SIGTERM during load: no accepted mutation is lost", async () => {
  const dbFile = await databaseUrl("graceful.db");
  const server = await start({ DATABASE_URL: dbFile });
  const create = (i: number) =>
    fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { createCustomer(input: { type: PERSON, externalReference: "load-${i}", person: { firstName: { name: "Load${i}" } } }) { customer { id } userErrors { code } } }` }),
    })
      .then(async (res) => ((await res.json()) as any).data?.createCustomer?.customer?.id as string | undefined)
      .catch(() => undefined);
  const inFlight: Promise<string | undefined>[] = [];
  for (let i = 0; i < 40; i++) inFlight.push(create(i));
  // Stop once the server is busy: some mutations done, the others still queued or running.
  await Promise.all(inFlight.slice(0, 3));
  const stopped = server.stop();
  for (let i = 40; i < 60; i++) inFlight.push(create(i));
  assert.equal(await stopped, 0, "clean exit");
  const accepted = (await Promise.all(inFlight)).filter((id): id is string => Boolean(id));
  assert.ok(accepted.length > 0, "some mutations were accepted before the stop");

  const again = await start({ DATABASE_URL: dbFile });
  const found = await post(again.url, `query ($ids: [ID!]) { customers(first: 100, filter: { ids: $ids }) { totalCount } }`, { ids: accepted });
  assert.equal(found.data.customers.totalCount, accepted.length, "every accepted mutation is in the database");
  assert.equal(await again.stop(), 0);
});
